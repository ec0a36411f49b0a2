"use client";

// The signed-in session: the API client (holding the access token in memory), who the
// user is, and which tenant the screens act in. On page load the refresh cookie (if any)
// is traded for an access token, so a reload keeps the user signed in without any
// credential in localStorage / sessionStorage.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import toast from "react-hot-toast";
import { ApiClient, errorMessage } from "./api";
import * as endpoints from "./endpoints";
import type { Me, TenantAccess } from "./types";

export type SessionStatus = "loading" | "signed-in" | "signed-out";

export interface Session {
  status: SessionStatus;
  api: ApiClient;
  me: Me | null;
  tenants: TenantAccess[];
  /** The tenant every screen acts in. */
  tenant: string | null;
  /** The user's role in `tenant` allows administration (API keys, members, retention). */
  isAdmin: boolean;
  setTenant: (tenantId: string) => void;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  reloadMe: () => Promise<Me | null>;
}

const SessionContext = createContext<Session | null>(null);

// Only the tenant choice is remembered across reloads (not a credential).
const TENANT_KEY = "memory-mesh.tenant";
const REFRESH_CHECK_MS = 20_000;
const REFRESH_AHEAD_MS = 90_000;

function rememberedTenant(): string | null {
  try {
    return window.localStorage.getItem(TENANT_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children, api: given }: { children: React.ReactNode; api?: ApiClient }) {
  const [api] = useState(() => given ?? new ApiClient());
  const [status, setStatus] = useState<SessionStatus>("loading");
  const [me, setMe] = useState<Me | null>(null);
  const [tenant, setTenantState] = useState<string | null>(null);
  const started = useRef(false);

  const adopt = useCallback((who: Me | null) => {
    setMe(who);
    if (!who) {
      setTenantState(null);
      return;
    }
    const ids = who.tenants.map((t) => t.tenant_id);
    setTenantState((current) => {
      if (current && ids.includes(current)) return current;
      const remembered = rememberedTenant();
      if (remembered && ids.includes(remembered)) return remembered;
      return ids[0] ?? null;
    });
  }, []);

  const reloadMe = useCallback(async () => {
    const who = await endpoints.me(api);
    adopt(who);
    return who;
  }, [api, adopt]);

  // page load: a refresh cookie from an earlier sign-in restores the session
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    (async () => {
      try {
        if (await api.refresh()) {
          await reloadMe();
          setStatus("signed-in");
          return;
        }
      } catch (error) {
        toast.error(errorMessage(error));
      }
      setStatus("signed-out");
    })();
  }, [api, reloadMe]);

  // the server refused a refresh mid-session (expired, revoked, reused elsewhere)
  useEffect(
    () =>
      api.onSignedOut(() => {
        adopt(null);
        setStatus("signed-out");
        toast.error("Your session has ended. Please sign in again.", { id: "session-ended" });
      }),
    [api, adopt],
  );

  // refresh ahead of expiry, so WebSockets and idle tabs keep a valid token
  useEffect(() => {
    if (status !== "signed-in") return;
    const timer = window.setInterval(async () => {
      const expiresAt = api.accessExpiresAt;
      if (expiresAt !== null && expiresAt - Date.now() < REFRESH_AHEAD_MS && !(await api.refresh())) {
        adopt(null);
        setStatus("signed-out");
      }
    }, REFRESH_CHECK_MS);
    return () => window.clearInterval(timer);
  }, [api, status, adopt]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      await api.login(email, password);
      await reloadMe();
      setStatus("signed-in");
    },
    [api, reloadMe],
  );

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // the session is gone either way; nothing to tell the user
    }
    adopt(null);
    setStatus("signed-out");
  }, [api, adopt]);

  const setTenant = useCallback((tenantId: string) => {
    setTenantState(tenantId);
    try {
      window.localStorage.setItem(TENANT_KEY, tenantId);
    } catch {
      // private mode: the choice just is not remembered
    }
  }, []);

  const value = useMemo<Session>(() => {
    const tenants = me?.tenants ?? [];
    const access = tenants.find((t) => t.tenant_id === tenant);
    return {
      status,
      api,
      me,
      tenants,
      tenant,
      isAdmin: Boolean(access?.scopes.includes("admin")),
      setTenant,
      signIn,
      signOut,
      reloadMe,
    };
  }, [status, api, me, tenant, setTenant, signIn, signOut, reloadMe]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession() outside <SessionProvider>");
  return session;
}
