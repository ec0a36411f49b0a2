"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { ApiKeysScreen } from "@/screens/ApiKeysScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <ApiKeysScreen />
      </Suspense>
    </AppShell>
  );
}
