"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { Button, Loading, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { notifyError, notifySuccess } from "@/lib/notify";
import { useSession } from "@/lib/session";

/** Only paths of this site: never an open redirect to another origin. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/conversations/";
  if (next.startsWith("/login") || next.startsWith("/register")) return "/conversations/";
  return next;
}

function AuthFrame({ title, children, footer }: { title: string; children: React.ReactNode; footer: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-start justify-center bg-slate-100 px-4 py-12 sm:items-center">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2 text-lg font-semibold text-slate-900">
          <span aria-hidden="true" className="grid h-8 w-8 place-items-center rounded-md bg-indigo-600 text-white">
            M
          </span>
          Memory Mesh
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="mb-5 text-xl font-semibold text-slate-900">{title}</h1>
          {children}
        </div>
        <p className="mt-4 text-center text-sm text-slate-600">{footer}</p>
      </div>
    </main>
  );
}

function useLeaveWhenSignedIn() {
  const { status } = useSession();
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  useEffect(() => {
    if (status === "signed-in") router.replace(next);
  }, [status, router, next]);
  return status;
}

export function LoginScreen() {
  const session = useSession();
  const status = useLeaveWhenSignedIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);

  if (status === "loading") return <Loading label="Restoring your session…" />;

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await session.signIn(email.trim(), password);
    } catch (error) {
      notifyError(error);
      setBusy(false);
    }
  }

  return (
    <AuthFrame
      title="Sign in"
      footer={
        <>
          No account yet?{" "}
          <Link href="/register/" className="font-medium text-indigo-700 hover:underline">
            Create one
          </Link>
        </>
      }
    >
      <form onSubmit={submit} className="grid gap-4" aria-label="Sign in">
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Button type="submit" loading={busy} className="w-full">
          Sign in
        </Button>
      </form>
    </AuthFrame>
  );
}

const TENANT_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,127}";

export function RegisterScreen() {
  const session = useSession();
  const status = useLeaveWhenSignedIn();
  const [form, setForm] = useState({ email: "", password: "", tenant_id: "", tenant_name: "" });
  const [busy, setBusy] = useState(false);

  if (status === "loading") return <Loading label="Restoring your session…" />;

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const made = await endpoints.register(session.api, {
        email: form.email.trim(),
        password: form.password,
        tenant_id: form.tenant_id.trim() || undefined,
        tenant_name: form.tenant_name.trim() || undefined,
      });
      await session.signIn(form.email.trim(), form.password);
      session.setTenant(made.tenant_id);
      notifySuccess(`Welcome! Your tenant is ${made.tenant_id}.`);
    } catch (error) {
      notifyError(error);
      setBusy(false);
    }
  }

  return (
    <AuthFrame
      title="Create an account"
      footer={
        <>
          Already registered?{" "}
          <Link href="/login/" className="font-medium text-indigo-700 hover:underline">
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={submit} className="grid gap-4" aria-label="Create an account">
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          autoFocus
          value={form.email}
          onChange={set("email")}
        />
        <TextField
          label="Password"
          type="password"
          name="new-password"
          autoComplete="new-password"
          required
          minLength={8}
          hint="At least 12 characters, not a common password."
          value={form.password}
          onChange={set("password")}
        />
        <TextField
          label="Tenant id (optional)"
          name="tenant_id"
          pattern={TENANT_PATTERN}
          hint="Letters, digits, '_', '.', ':' or '-'. Left empty, one is made up for you."
          value={form.tenant_id}
          onChange={set("tenant_id")}
        />
        <TextField label="Tenant name (optional)" name="tenant_name" value={form.tenant_name} onChange={set("tenant_name")} />
        <Button type="submit" loading={busy} className="w-full">
          Create account
        </Button>
      </form>
    </AuthFrame>
  );
}
