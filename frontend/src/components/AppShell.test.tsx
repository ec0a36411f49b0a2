import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useRouter } from "next/navigation";
import { describe, expect, it } from "vitest";
import { ApiClient } from "@/lib/api";
import { SessionProvider } from "@/lib/session";
import { fakeServer, ME, renderSignedIn } from "@/test/helpers";
import { AppShell } from "./AppShell";

describe("app shell", () => {
  it("restores the session from the refresh cookie on load and shows the navigation", async () => {
    const { calls } = renderSignedIn(<AppShell>content</AppShell>, {
      "GET /v1/auth/me": () => ({
        body: { ...ME, tenants: [...ME.tenants, { tenant_id: "beta", scopes: ["read", "write"], role: "member" }] },
      }),
    });
    expect(await screen.findByText("content")).toBeInTheDocument();
    expect(calls[0]).toMatchObject({ method: "POST", path: "/v1/auth/refresh", credentials: "include" });
    expect(screen.getAllByRole("link", { name: "Search" })[0]).toHaveAttribute("href", expect.stringMatching(/^\/search\/?$/));
    expect(screen.getByRole("combobox", { name: "Tenant" })).toHaveValue("acme");
  });

  it("sends a signed-out visitor to sign in, and back afterwards", async () => {
    window.history.pushState({}, "", "/search/?q=peanuts");
    const server = fakeServer({ "POST /v1/auth/refresh": () => ({ status: 401, body: { code: "invalid_token", message: "no" } }) });
    render(
      <SessionProvider api={new ApiClient({ baseUrl: "", fetchImpl: server.fetchImpl })}>
        <AppShell>secret</AppShell>
      </SessionProvider>,
    );
    await waitFor(() =>
      expect(useRouter().replace).toHaveBeenCalledWith(`/login/?next=${encodeURIComponent("/search/?q=peanuts")}`),
    );
    expect(screen.queryByText("secret")).not.toBeInTheDocument();
    window.history.pushState({}, "", "/");
  });

  it("signs out through the server, which clears the refresh cookie", async () => {
    const user = userEvent.setup();
    const { calls } = renderSignedIn(<AppShell>content</AppShell>, { "POST /v1/auth/logout": () => ({ status: 204 }) });
    await screen.findByText("content");
    await user.click(screen.getAllByRole("button", { name: "Sign out" })[0]!);
    await waitFor(() => expect(calls.some((c) => c.path === "/v1/auth/logout")).toBe(true));
    expect(calls.find((c) => c.path === "/v1/auth/logout")).toMatchObject({ body: {}, credentials: "include" });
  });
});
