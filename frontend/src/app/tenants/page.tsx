"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { TenantsScreen } from "@/screens/TenantsScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <TenantsScreen />
      </Suspense>
    </AppShell>
  );
}
