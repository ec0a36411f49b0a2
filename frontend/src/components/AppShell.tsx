"use client";

// The frame of every signed-in screen: navigation, tenant picker, sign-out. Sends
// signed-out visitors to the sign-in screen (and back here afterwards).

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { useSession } from "@/lib/session";
import { Button, cx, Loading } from "./ui";

export const NAV = [
  { href: "/conversations/", label: "Conversations" },
  { href: "/search/", label: "Search" },
  { href: "/live/", label: "Live feed" },
  { href: "/analytics/", label: "Analytics" },
  { href: "/keys/", label: "API keys", adminOnly: true },
  { href: "/retention/", label: "Retention", adminOnly: true },
  { href: "/tenants/", label: "Tenants" },
];

function isCurrent(pathname: string, href: string): boolean {
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  if (href === "/conversations/") return path.startsWith("/conversation");
  return path.startsWith(href);
}

function TenantPicker({ className }: { className?: string }) {
  const { tenants, tenant, setTenant } = useSession();
  const id = useId();
  if (tenants.length === 0) return null;
  return (
    <div className={cx("flex items-center gap-2", className)}>
      <label htmlFor={id} className="text-xs font-medium text-slate-300">
        Tenant
      </label>
      <select
        id={id}
        value={tenant ?? ""}
        onChange={(e) => setTenant(e.target.value)}
        className="min-w-0 max-w-56 rounded-md border-0 bg-slate-800 py-1.5 pl-2 pr-8 text-sm text-white ring-1 ring-inset ring-slate-600 focus:ring-2 focus:ring-indigo-400"
      >
        {tenants.map((t) => (
          <option key={t.tenant_id} value={t.tenant_id}>
            {t.tenant_id}
            {t.role ? ` (${t.role})` : ""}
          </option>
        ))}
      </select>
    </div>
  );
}

export function AppShell({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const router = useRouter();
  const pathname = usePathname() ?? "/";
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();

  useEffect(() => {
    if (session.status === "signed-out") {
      const here = `${window.location.pathname}${window.location.search}`;
      router.replace(`/login/?next=${encodeURIComponent(here)}`);
    }
  }, [session.status, router]);

  useEffect(() => setMenuOpen(false), [pathname]);

  if (session.status !== "signed-in") {
    return (
      <main className="min-h-screen">
        <Loading label={session.status === "loading" ? "Restoring your session…" : "Redirecting to sign in…"} />
      </main>
    );
  }

  const links = NAV.filter((item) => !item.adminOnly || session.isAdmin).map((item) => (
    <Link
      key={item.href}
      href={item.href}
      aria-current={isCurrent(pathname, item.href) ? "page" : undefined}
      className={cx(
        "whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium",
        isCurrent(pathname, item.href) ? "bg-slate-800 text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white",
      )}
    >
      {item.label}
    </Link>
  ));

  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-30 bg-slate-900 text-white shadow">
        <div className="mx-auto flex max-w-7xl items-center gap-4 px-4 py-2.5">
          <Link href="/conversations/" className="flex shrink-0 items-center gap-2 font-semibold">
            <span aria-hidden="true" className="grid h-7 w-7 place-items-center rounded-md bg-indigo-500 text-sm">
              M
            </span>
            <span>Memory Mesh</span>
          </Link>
          <nav aria-label="Main" className="hidden flex-1 items-center gap-0.5 xl:flex">
            {links}
          </nav>
          <div className="ml-auto hidden items-center gap-3 xl:flex">
            <TenantPicker />
            <span className="hidden max-w-48 truncate text-sm text-slate-300 2xl:inline" title={session.me?.email ?? ""}>
              {session.me?.email}
            </span>
            <Button variant="secondary" size="sm" onClick={() => void session.signOut()}>
              Sign out
            </Button>
          </div>
          <button
            type="button"
            className="ml-auto rounded-md p-2 text-slate-200 hover:bg-slate-800 xl:hidden"
            aria-expanded={menuOpen}
            aria-controls={menuId}
            onClick={() => setMenuOpen((open) => !open)}
          >
            <span className="sr-only">{menuOpen ? "Close menu" : "Open menu"}</span>
            <svg aria-hidden="true" viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="2">
              {menuOpen ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M4 7h16M4 12h16M4 17h16" />}
            </svg>
          </button>
        </div>
        {menuOpen && (
          <div id={menuId} className="border-t border-slate-800 px-4 pb-4 pt-2 xl:hidden">
            <nav aria-label="Main" className="grid gap-1">
              {links}
            </nav>
            <div className="mt-3 grid gap-3 border-t border-slate-800 pt-3">
              <TenantPicker />
              <div className="flex items-center justify-between gap-2">
                <span className="truncate text-sm text-slate-300">{session.me?.email}</span>
                <Button variant="secondary" size="sm" onClick={() => void session.signOut()}>
                  Sign out
                </Button>
              </div>
            </div>
          </div>
        )}
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6 sm:py-8">
        {session.tenant ? children : <p className="text-slate-600">This account holds no tenant yet.</p>}
      </main>
    </div>
  );
}
