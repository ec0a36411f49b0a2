import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeServer, tokens } from "@/test/helpers";
import { ApiClient, ApiError, apiBase } from "./api";

function client(routes: Parameters<typeof fakeServer>[0] = {}) {
  const server = fakeServer(routes);
  return { api: new ApiClient({ baseUrl: "https://api.test", fetchImpl: server.fetchImpl }), ...server };
}

describe("ApiClient", () => {
  it("signs in with the cookie scheme and keeps the access token in memory only", async () => {
    const { api, calls } = client({ "POST /v1/auth/login": () => ({ body: tokens("access-login") }) });
    await api.login("ada@example.com", "correct horse battery");
    expect(calls[0]?.body).toEqual({ email: "ada@example.com", password: "correct horse battery", use_cookie: true });
    expect(calls[0]?.credentials).toBe("include");
    expect(api.accessToken).toBe("access-login");
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it("sends the bearer token, the tenant and credentials on every call", async () => {
    const { api, calls } = client({ "GET /v1/conversations": () => ({ body: { items: [], next_cursor: null } }) });
    api.setTokens(tokens("access-2"));
    await api.request("/v1/conversations", { query: { tenant_id: "acme", cursor: undefined, limit: 20 } });
    expect(calls[0]?.headers.get("authorization")).toBe("Bearer access-2");
    expect(calls[0]?.query.toString()).toBe("tenant_id=acme&limit=20");
    expect(calls[0]?.credentials).toBe("include");
  });

  it("turns the server's JSON error into an ApiError with its code, message and request id", async () => {
    const { api } = client({
      "POST /v1/messages": () => ({
        status: 422,
        body: { code: "content_empty", message: "content: must not be empty", request_id: "r-42", details: [] },
      }),
    });
    api.setTokens(tokens());
    const error = await api.request("/v1/messages", { method: "POST", body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "content_empty", message: "content: must not be empty", requestId: "r-42" });
  });

  it("refreshes once on 401 token_expired and retries with the new token", async () => {
    let first = true;
    const { api, calls } = client({
      "GET /v1/auth/me": ({ headers }) => {
        if (first) {
          first = false;
          return { status: 401, body: { code: "token_expired", message: "the access token has expired" } };
        }
        return { body: { seen: headers.get("authorization") } };
      },
      "POST /v1/auth/refresh": () => ({ body: tokens("access-new") }),
    });
    api.setTokens(tokens("access-old"));
    const answer = await api.request<{ seen: string }>("/v1/auth/me");
    expect(answer.seen).toBe("Bearer access-new");
    const refresh = calls.find((c) => c.path === "/v1/auth/refresh");
    expect(refresh?.body).toEqual({}); // the cookie carries the refresh token
    expect(refresh?.credentials).toBe("include");
  });

  it("shares one refresh between concurrent callers (a refresh token is single use)", async () => {
    const { api, calls } = client({ "POST /v1/auth/refresh": () => ({ body: tokens("access-shared") }) });
    const results = await Promise.all([api.refresh(), api.refresh(), api.refresh()]);
    expect(results).toEqual([true, true, true]);
    expect(calls.filter((c) => c.path === "/v1/auth/refresh")).toHaveLength(1);
  });

  it("ends the session when the server refuses a refresh mid-session", async () => {
    const { api } = client({
      "GET /v1/auth/me": () => ({ status: 401, body: { code: "token_expired", message: "the access token has expired" } }),
      "POST /v1/auth/refresh": () => ({ status: 401, body: { code: "refresh_token_reused", message: "reused" } }),
    });
    const ended = vi.fn();
    api.onSignedOut(ended);
    api.setTokens(tokens());
    await expect(api.request("/v1/auth/me")).rejects.toMatchObject({ code: "token_expired" });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(api.accessToken).toBeNull();
  });

  it("on page load, a refused refresh is simply 'not signed in'", async () => {
    const { api } = client({ "POST /v1/auth/refresh": () => ({ status: 401, body: { code: "invalid_token", message: "no" } }) });
    const ended = vi.fn();
    api.onSignedOut(ended);
    expect(await api.refresh()).toBe(false);
    expect(ended).not.toHaveBeenCalled();
  });

  it("reports an unreachable server as network_error", async () => {
    const api = new ApiClient({ baseUrl: "https://api.test", fetchImpl: () => Promise.reject(new TypeError("Failed to fetch")) });
    await expect(api.request("/v1/auth/me")).rejects.toMatchObject({ code: "network_error", status: 0 });
  });
});

describe("apiBase", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("reads NEXT_PUBLIC_API_BASE_URL, the seed README's name", () => {
    vi.stubEnv("NEXT_PUBLIC_API_BASE_URL", "http://localhost:8000/");
    vi.stubEnv("NEXT_PUBLIC_API_BASE", "");
    expect(apiBase()).toBe("http://localhost:8000");
  });

  it("keeps NEXT_PUBLIC_API_BASE as an alias, the seed name winning when both are set", () => {
    vi.stubEnv("NEXT_PUBLIC_API_BASE_URL", "");
    vi.stubEnv("NEXT_PUBLIC_API_BASE", "https://api.example.com");
    expect(apiBase()).toBe("https://api.example.com");
    vi.stubEnv("NEXT_PUBLIC_API_BASE_URL", "https://seed.example.com");
    expect(apiBase()).toBe("https://seed.example.com");
  });

  it("is empty (the same origin) when neither is set", () => {
    vi.stubEnv("NEXT_PUBLIC_API_BASE_URL", "");
    vi.stubEnv("NEXT_PUBLIC_API_BASE", "");
    expect(apiBase()).toBe("");
  });
});
