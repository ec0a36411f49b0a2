"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { RetentionScreen } from "@/screens/RetentionScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <RetentionScreen />
      </Suspense>
    </AppShell>
  );
}
