import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useRouter } from "next/navigation";
import { Toaster } from "react-hot-toast";
import { describe, expect, it } from "vitest";
import { ApiClient } from "@/lib/api";
import { SessionProvider } from "@/lib/session";
import { fakeServer, type Handler, tokens } from "@/test/helpers";
import { LoginScreen, RegisterScreen, safeNext } from "./AuthScreens";

const signedOut: Record<string, Handler> = {
  "POST /v1/auth/refresh": () => ({ status: 401, body: { code: "invalid_token", message: "no refresh token" } }),
};

function renderScreen(ui: React.ReactElement, routes: Record<string, Handler>) {
  const server = fakeServer({ ...signedOut, ...routes });
  const api = new ApiClient({ baseUrl: "", fetchImpl: server.fetchImpl });
  render(
    <SessionProvider api={api}>
      {ui}
      <Toaster />
    </SessionProvider>,
  );
  return server;
}

describe("sign in", () => {
  it("signs in from the keyboard and goes on to the dashboard", async () => {
    const user = userEvent.setup();
    const { calls } = renderScreen(<LoginScreen />, { "POST /v1/auth/login": () => ({ body: tokens() }) });
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery{Enter}");
    await waitFor(() => expect(useRouter().replace).toHaveBeenCalledWith("/conversations/"));
    expect(calls.find((c) => c.path === "/v1/auth/login")?.body).toMatchObject({ use_cookie: true });
  });

  it("shows the server's message as a toast when sign-in is refused", async () => {
    const user = userEvent.setup();
    renderScreen(<LoginScreen />, {
      "POST /v1/auth/login": () => ({
        status: 401,
        body: { code: "invalid_credentials", message: "wrong email or password", request_id: "req-7" },
      }),
    });
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "nope{Enter}");
    expect(await screen.findByText("wrong email or password")).toBeInTheDocument();
    expect(screen.getByText("request req-7")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeEnabled();
  });

  it("only goes back to paths of this site after signing in", () => {
    expect(safeNext("/search/?q=x")).toBe("/search/?q=x");
    expect(safeNext("//evil.example")).toBe("/conversations/");
    expect(safeNext("https://evil.example")).toBe("/conversations/");
    expect(safeNext(null)).toBe("/conversations/");
  });
});

describe("register", () => {
  it("creates the account, signs in and picks the new tenant", async () => {
    const user = userEvent.setup();
    const { calls } = renderScreen(<RegisterScreen />, {
      "POST /v1/auth/register": () => ({ status: 201, body: { user_id: "u1", tenant_id: "acme" } }),
      "POST /v1/auth/login": () => ({ body: tokens() }),
    });
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.type(screen.getByLabelText("Tenant id (optional)"), "acme");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("Welcome! Your tenant is acme.")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/v1/auth/register")?.body).toEqual({
      email: "ada@example.com",
      password: "correct horse battery",
      tenant_id: "acme",
    });
  });

  it("shows why the server refused a weak password", async () => {
    const user = userEvent.setup();
    renderScreen(<RegisterScreen />, {
      "POST /v1/auth/register": () => ({
        status: 422,
        body: { code: "weak_password", message: "password: use at least 12 characters" },
      }),
    });
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "short123{Enter}");
    expect(await screen.findByText("password: use at least 12 characters")).toBeInTheDocument();
  });
});
