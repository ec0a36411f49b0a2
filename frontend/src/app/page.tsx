"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { Loading } from "@/components/ui";
import { useSession } from "@/lib/session";

/** The entry point (and the fallback of unknown paths): off to the right screen. */
export default function Home() {
  const { status } = useSession();
  const router = useRouter();
  useEffect(() => {
    if (status === "signed-in") router.replace("/conversations/");
    if (status === "signed-out") router.replace("/login/");
  }, [status, router]);
  return (
    <main className="min-h-screen">
      <Loading label="Opening Memory Mesh…" />
    </main>
  );
}
