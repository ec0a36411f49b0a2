"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { LiveScreen } from "@/screens/LiveScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <LiveScreen />
      </Suspense>
    </AppShell>
  );
}
