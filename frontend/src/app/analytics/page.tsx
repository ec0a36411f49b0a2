"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { AnalyticsScreen } from "@/screens/AnalyticsScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <AnalyticsScreen />
      </Suspense>
    </AppShell>
  );
}
