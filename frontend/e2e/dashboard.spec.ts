import { expect, newAccount, shot, signIn, test } from "./fixtures";

test("register, stay signed in across a reload, sign out and sign in again", async ({ page }) => {
  const account = newAccount();
  await page.goto("/register/");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByLabel("Tenant id (optional)").fill(account.tenant);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page).toHaveURL(/\/conversations\/$/);
  await expect(page.getByRole("heading", { name: "Conversations" })).toBeVisible();
  await expect(page.getByText("No conversations yet")).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Tenant" })).toHaveValue(account.tenant);
  await shot(page, "registered-conversations");

  // the refresh token is an httpOnly cookie: a reload restores the session, and no
  // credential is readable by page scripts
  await page.reload();
  await expect(page.getByRole("heading", { name: "Conversations" })).toBeVisible();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toMatch(/eyJ|mmr_|mm_/);
  expect(await page.evaluate(() => document.cookie)).not.toContain("mm_refresh");
  const cookies = await page.context().cookies();
  const refresh = cookies.find((c) => c.name === "mm_refresh");
  expect(refresh?.httpOnly).toBe(true);
  expect(refresh?.sameSite).toBe("Strict");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\//);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await signIn(page, account);
  await expect(page.getByRole("heading", { name: "Conversations" })).toBeVisible();
});

test("a wrong password shows the server's message as a toast", async ({ page, api }) => {
  await page.goto("/login/");
  await page.getByLabel("Email").fill(api.account.email);
  await page.getByLabel("Password").fill("not the right password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("wrong email or password")).toBeVisible();
  await shot(page, "login-error-toast");
});

test("messages stored through the API are listed, and one is found by meaning", async ({ page, api }) => {
  const conversation = await api.createConversation("Dinner planning");
  await api.storeMessages(conversation, [
    { role: "user", content: "I'm allergic to peanuts, so please keep them out of any recipe." },
    { role: "assistant", content: "Noted. Shall I plan a dinner for Saturday?" },
    { role: "user", content: "My sister's flight lands in Lisbon at 6 pm on Friday." },
    { role: "user", content: "The quarterly report is due on the 14th." },
  ]);

  await signIn(page, api.account);
  await page.getByRole("link", { name: "Dinner planning" }).click();
  await expect(page.getByRole("heading", { name: "Dinner planning" })).toBeVisible();
  const messages = page.getByTestId("message");
  await expect(messages).toHaveCount(4);
  // a batch shares one time, so its order within the page is the server's tie-break
  const peanuts = messages.filter({ hasText: "allergic to peanuts" });
  await expect(peanuts).toContainText("embedded");
  await expect(peanuts).toContainText("user");
  await expect(peanuts).toContainText(/importance 0\.\d\d/);
  await expect(page.getByText("100%")).toBeVisible(); // embedding coverage
  await shot(page, "conversation-messages");

  await page.getByRole("link", { name: "Search", exact: true }).first().click();
  await page.getByLabel("Query").fill("what food should I avoid?");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const results = page.getByTestId("search-result");
  await expect(results.first()).toContainText("allergic to peanuts");
  const parts = results.first().getByTestId("score-breakdown");
  for (const part of ["score", "relevance", "similarity", "keyword", "importance", "recency"]) {
    await expect(parts.getByRole("group", { name: new RegExp(`^${part} `) })).toBeVisible();
  }
  await expect(page.getByText("mode hybrid")).toBeVisible();
  await shot(page, "search-results");

  // the same question by meaning alone
  await page.getByText("vector", { exact: true }).click();
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page.getByText("mode vector")).toBeVisible();
  await expect(results.first()).toContainText("allergic to peanuts");
});

test("watch a new message appear in the live feed", async ({ page, api }) => {
  const conversation = await api.createConversation("Live chat");
  await signIn(page, api.account);
  await page.getByRole("link", { name: "Live feed" }).first().click();
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
  await expect(page.getByText("Waiting for messages…")).toBeVisible();

  await api.storeMessage(conversation, "user", "Remember that the board meeting moved to Thursday.");

  const events = page.getByTestId("live-event").filter({ hasText: "board meeting moved to Thursday" });
  await expect(events.filter({ hasText: "created" })).toHaveCount(1);
  await expect(events.filter({ hasText: "embedded" }).first()).toBeVisible();
  await shot(page, "live-feed");
});

test("create an API key (shown once), use it, and revoke it", async ({ page, api, request }) => {
  await signIn(page, api.account);
  await page.getByRole("link", { name: "API keys" }).first().click();
  await expect(page.getByText("No API keys yet")).toBeVisible();

  await page.getByLabel("Name").fill("e2e chatbot");
  await page.getByRole("button", { name: "Create key" }).click();
  const panel = page.getByTestId("new-key");
  await expect(panel).toContainText("copy it now");
  const key = await panel.getByLabel("New API key").inputValue();
  expect(key).toMatch(/^mm_/);
  await shot(page, "api-key-created");

  const asKey = await request.get("/v1/auth/me", { headers: { "x-api-key": key } });
  expect(asKey.status()).toBe(200);

  await panel.getByRole("button", { name: "Done" }).click();
  await expect(panel).toHaveCount(0);
  await expect(page.getByText(key)).toHaveCount(0); // never shown again

  const row = page.getByTestId("api-key").filter({ hasText: "e2e chatbot" });
  await expect(row).toContainText("active");
  await row.getByRole("button", { name: "Revoke e2e chatbot" }).click();
  await row.getByRole("button", { name: "Revoke now" }).click();
  await expect(row).toContainText("revoked");
  await shot(page, "api-key-revoked");

  const refused = await request.get("/v1/auth/me", { headers: { "x-api-key": key } });
  expect(refused.status()).toBe(401);
});

test("an admin adds a retention rule, dry-runs it, then applies it", async ({ page, api }) => {
  const conversation = await api.createConversation("Agent run");
  await api.storeMessages(conversation, [
    { role: "user", content: "Find me a flight to Oslo." },
    { role: "tool", content: '{"flights": 3, "cheapest": "SK 4021"}' },
    { role: "tool", content: '{"weather": "snow"}' },
  ]);
  await signIn(page, api.account);
  await page.getByRole("link", { name: "Retention" }).first().click();
  await expect(page.getByText("No rules yet")).toBeVisible();

  const form = page.getByRole("form", { name: "New retention rule" });
  await form.getByLabel("Name").fill("archive tool output");
  await form.getByLabel("tool").check();
  await form.getByRole("button", { name: "Create rule" }).click();
  const rule = page.getByTestId("retention-rule");
  await expect(rule).toContainText("archive tool output");
  await expect(rule).toContainText("role tool");

  await page.getByRole("button", { name: "Dry run" }).click();
  const report = page.getByTestId("retention-run");
  await expect(report).toContainText("dry run");
  await expect(report).toContainText("would archive 2");
  await shot(page, "retention-dry-run");

  await page.getByRole("button", { name: "Run now…" }).click();
  await page.getByRole("button", { name: "Apply the rules now" }).click();
  await expect(report).toContainText("archived 2");
  await expect(page.getByRole("list", { name: "Retention runs" }).getByRole("listitem")).toHaveCount(2);

  // archived messages leave the conversation's listing unless asked for
  await page.goto(`/conversation/?id=${conversation}`);
  await expect(page.getByTestId("message")).toHaveCount(1);
  await page.getByLabel("Include archived").check();
  await expect(page.getByTestId("message")).toHaveCount(3);
});

test("memory-mesh serve serves the dashboard at / without shadowing the API", async ({ request }) => {
  const page = await request.get("/some/unknown/page/");
  expect(page.status()).toBe(200);
  expect(page.headers()["content-type"]).toContain("text/html");
  expect((await request.get("/search/")).headers()["content-type"]).toContain("text/html");

  const api = await request.get("/v1/nothing-here");
  expect(api.status()).toBe(404);
  expect((await api.json()).code).toBe("route_not_found");
  expect((await request.delete("/v1/admin/health")).status()).toBe(405);
  expect((await request.get("/ws/nothing")).status()).toBe(404);
  expect((await request.get("/v2/not-yet")).status()).toBe(404); // any API version stays the API's
  expect((await request.get("/openapi.json")).headers()["content-type"]).toContain("application/json");
  expect((await request.post("/some/page/")).status()).toBe(404); // only GET / HEAD reach the files
  expect((await request.get("/_next/static/missing.js")).status()).toBe(404); // no HTML for a script
});
