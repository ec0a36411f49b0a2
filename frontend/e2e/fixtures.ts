// Shared pieces of the end-to-end tests: the server's URL, fresh accounts, API calls
// made the way an application makes them, and signing in through the dashboard.

import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type APIRequestContext, test as base, expect, type Page } from "@playwright/test";

export interface Account {
  email: string;
  password: string;
  tenant: string;
}

export function newAccount(): Account {
  const id = randomUUID().slice(0, 8);
  return { email: `e2e-${id}@example.com`, password: `correct horse ${id} battery`, tenant: `e2e-${id}` };
}

/** An API client for one account, as an application would use it (Bearer token). */
export class Api {
  private token = "";

  constructor(
    private readonly request: APIRequestContext,
    readonly account: Account,
  ) {}

  async register(): Promise<this> {
    const made = await this.request.post("/v1/auth/register", {
      data: { email: this.account.email, password: this.account.password, tenant_id: this.account.tenant },
    });
    expect(made.status(), await made.text()).toBe(201);
    const tokens = await this.request.post("/v1/auth/login", {
      data: { email: this.account.email, password: this.account.password },
    });
    expect(tokens.ok()).toBeTruthy();
    this.token = (await tokens.json()).access_token;
    return this;
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  async createConversation(title: string): Promise<string> {
    const made = await this.request.post("/v1/conversations", {
      headers: this.headers,
      data: { tenant_id: this.account.tenant, title },
    });
    expect(made.status(), await made.text()).toBe(201);
    return (await made.json()).id;
  }

  async storeMessages(conversationId: string, items: { role: string; content: string }[]): Promise<void> {
    const stored = await this.request.post("/v1/messages/batch", {
      headers: this.headers,
      data: { tenant_id: this.account.tenant, items: items.map((m) => ({ conversation_id: conversationId, ...m })) },
    });
    expect(stored.ok(), await stored.text()).toBeTruthy();
    expect((await stored.json()).failed).toBe(0);
  }

  async storeMessage(conversationId: string, role: string, content: string): Promise<void> {
    const stored = await this.request.post("/v1/messages", {
      headers: this.headers,
      data: { tenant_id: this.account.tenant, conversation_id: conversationId, role, content },
    });
    expect(stored.status(), await stored.text()).toBe(201);
  }
}

export async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto("/login/");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/conversations\/$/);
}

const SHOTS = path.resolve(__dirname, "..", "test-results", "screenshots");

/** Keep a screenshot as a test artifact under test-results/screenshots. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export const test = base.extend<{ api: Api }>({
  baseURL: async ({}, use) => {
    const url = process.env.MM_BASE_URL;
    if (!url) throw new Error("MM_BASE_URL is not set: the global setup did not start the server");
    await use(url);
  },
  api: async ({ request }, use) => {
    await use(await new Api(request, newAccount()).register());
  },
});

export { expect };
