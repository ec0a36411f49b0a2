import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ApiKey } from "@/lib/types";
import { ME, renderSignedIn } from "@/test/helpers";
import { ApiKeysScreen, keyState } from "./ApiKeysScreen";

const KEY: ApiKey = {
  id: "k1",
  tenant_id: "acme",
  name: "chatbot",
  prefix: "mm_abcdefg",
  scopes: ["read", "write"],
  created_at: new Date().toISOString(),
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
};

describe("API keys", () => {
  it("creates a key, shows it once, and lists it without the secret", async () => {
    const user = userEvent.setup();
    const keys: ApiKey[] = [];
    const { calls } = renderSignedIn(<ApiKeysScreen />, {
      "GET /v1/auth/api-keys": () => ({ body: keys }),
      "POST /v1/auth/api-keys": ({ body }) => {
        const b = body as { name: string; scopes: string[] };
        keys.push({ ...KEY, name: b.name, scopes: b.scopes });
        return { status: 201, body: { ...KEY, name: b.name, scopes: b.scopes, key: "mm_secret_value_123" } };
      },
    });
    expect(await screen.findByText("No API keys yet")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Name"), "chatbot");
    await user.click(screen.getByLabelText("admin"));
    await user.click(screen.getByRole("button", { name: "Create key" }));

    const panel = await screen.findByTestId("new-key");
    expect(within(panel).getByLabelText("New API key")).toHaveValue("mm_secret_value_123");
    expect(within(panel).getByRole("heading")).toHaveFocus();
    expect(calls.find((c) => c.method === "POST" && c.path === "/v1/auth/api-keys")?.body).toEqual({
      tenant_id: "acme",
      name: "chatbot",
      scopes: ["read", "write", "admin"],
    });
    const row = await screen.findByTestId("api-key");
    expect(row).toHaveTextContent("mm_abcdefg…");

    await user.click(within(panel).getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("new-key")).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue("mm_secret_value_123")).not.toBeInTheDocument();
  });

  it("revokes a key after a confirmation", async () => {
    const user = userEvent.setup();
    let revoked = false;
    const { calls } = renderSignedIn(<ApiKeysScreen />, {
      "GET /v1/auth/api-keys": () => ({ body: [{ ...KEY, revoked_at: revoked ? new Date().toISOString() : null }] }),
      "DELETE /v1/auth/api-keys/k1": () => {
        revoked = true;
        return { status: 204 };
      },
    });
    const row = await screen.findByTestId("api-key");
    expect(row).toHaveTextContent("active");
    await user.click(within(row).getByRole("button", { name: "Revoke chatbot" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(row).getByRole("button", { name: "Revoke now" }));
    await waitFor(() => expect(screen.getByTestId("api-key")).toHaveTextContent("revoked"));
    expect(await screen.findByText("Key “chatbot” revoked")).toBeInTheDocument();
  });

  it("tells members that only admins manage keys", async () => {
    renderSignedIn(<ApiKeysScreen />, {
      "GET /v1/auth/me": () => ({ body: { ...ME, tenants: [{ tenant_id: "acme", scopes: ["read", "write"], role: "member" }] } }),
    });
    expect(await screen.findByText("Only tenant admins manage API keys")).toBeInTheDocument();
  });

  it("knows active, expired and revoked keys apart", () => {
    expect(keyState(KEY)).toBe("active");
    expect(keyState({ ...KEY, expires_at: "2020-01-01T00:00:00Z" })).toBe("expired");
    expect(keyState({ ...KEY, revoked_at: "2020-01-01T00:00:00Z" })).toBe("revoked");
  });
});
