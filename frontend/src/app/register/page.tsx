"use client";

import { Suspense } from "react";
import { Loading } from "@/components/ui";
import { RegisterScreen } from "@/screens/AuthScreens";

export default function RegisterPage() {
  return (
    <Suspense fallback={<Loading />}>
      <RegisterScreen />
    </Suspense>
  );
}
