// Test helpers: a fake API server behind `fetch`, and rendering inside a signed-in session.

import { render } from "@testing-library/react";
import { Toaster } from "react-hot-toast";
import { vi } from "vitest";
import { ApiClient } from "@/lib/api";
import { SessionProvider } from "@/lib/session";
import type { Me, Message, Tokens } from "@/lib/types";

export type Handler = (request: { method: string; url: URL; body: unknown; headers: Headers }) =>
  | { status?: number; body?: unknown }
  | undefined;

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Headers;
  credentials: RequestCredentials | undefined;
}

export function json(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "x-request-id": "req-test" },
  });
}

export function tokens(access = "access-1", inSeconds = 900): Tokens {
  return {
    token_type: "bearer",
    access_token: access,
    access_expires_at: new Date(Date.now() + inSeconds * 1000).toISOString(),
    refresh_token: null,
    refresh_expires_at: new Date(Date.now() + 86400_000).toISOString(),
  };
}

export const ME: Me = {
  kind: "user",
  id: "00000000-0000-0000-0000-000000000001",
  email: "ada@example.com",
  username: null,
  is_superuser: false,
  tenants: [{ tenant_id: "acme", scopes: ["admin", "read", "write"], role: "admin" }],
};

/** A fetch that answers from `routes` ("METHOD /path" -> handler); unknown routes 404.
 * /v1/auth/refresh and /v1/auth/me answer as for a signed-in user unless overridden. */
export function fakeServer(routes: Record<string, Handler> = {}) {
  const calls: Call[] = [];
  const all: Record<string, Handler> = {
    "POST /v1/auth/refresh": () => ({ body: tokens() }),
    "GET /v1/auth/me": () => ({ body: ME }),
    ...routes,
  };
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://dashboard.test");
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers);
    const body = typeof init.body === "string" && init.body ? JSON.parse(init.body) : undefined;
    calls.push({ method, path: url.pathname, query: url.searchParams, body, headers, credentials: init.credentials });
    const handler = all[`${method} ${url.pathname}`];
    const answer = handler?.({ method, url, body, headers });
    if (!answer) return json(404, { code: "route_not_found", message: "Not Found", request_id: "req-404" });
    return json(answer.status ?? 200, answer.body);
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

export function renderSignedIn(ui: React.ReactElement, routes: Record<string, Handler> = {}) {
  const server = fakeServer(routes);
  const api = new ApiClient({ baseUrl: "", fetchImpl: server.fetchImpl });
  const view = render(
    <SessionProvider api={api}>
      {ui}
      <Toaster />
    </SessionProvider>,
  );
  return { ...view, ...server, api };
}

export const message = (over: Partial<Message> = {}): Message => ({
  id: "11111111-1111-1111-1111-111111111111",
  tenant_id: "acme",
  conversation_id: "22222222-2222-2222-2222-222222222222",
  role: "user",
  content: "I'm allergic to peanuts.",
  metadata: {},
  importance: 0.72,
  importance_explicit: false,
  archived: false,
  created_at: new Date().toISOString(),
  updated_at: new Date().toISOString(),
  embedding: { status: "ready", provider: "local", model: "all-MiniLM-L6-v2", dimensions: 384, attempts: 1, error: null, embedded_at: null },
  ...over,
});
