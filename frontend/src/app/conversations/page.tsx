"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { ConversationsScreen } from "@/screens/ConversationsScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <ConversationsScreen />
      </Suspense>
    </AppShell>
  );
}
