"use client";

import { Toaster } from "react-hot-toast";
import { SessionProvider } from "@/lib/session";

export function Providers({ children }: { children: React.ReactNode }) {
  return (
    <SessionProvider>
      {children}
      <Toaster
        position="top-center"
        containerStyle={{ top: 68 }}
        toastOptions={{
          duration: 5000,
          error: { duration: 8000 },
          className: "text-sm",
          ariaProps: { role: "status", "aria-live": "polite" },
        }}
      />
    </SessionProvider>
  );
}
