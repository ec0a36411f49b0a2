"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { SearchScreen } from "@/screens/SearchScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <SearchScreen />
      </Suspense>
    </AppShell>
  );
}
