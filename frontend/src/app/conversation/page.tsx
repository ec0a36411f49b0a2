"use client";

import { Suspense } from "react";
import { AppShell } from "@/components/AppShell";
import { Loading } from "@/components/ui";
import { ConversationScreen } from "@/screens/ConversationScreen";

export default function Page() {
  return (
    <AppShell>
      <Suspense fallback={<Loading />}>
        <ConversationScreen />
      </Suspense>
    </AppShell>
  );
}
