"use client";

import { Suspense } from "react";
import { Loading } from "@/components/ui";
import { LoginScreen } from "@/screens/AuthScreens";

export default function LoginPage() {
  return (
    <Suspense fallback={<Loading />}>
      <LoginScreen />
    </Suspense>
  );
}
