// Screenshots of every screen on a desktop and a phone, kept as artifacts for review.

import { expect, shot, signIn, test } from "./fixtures";

const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];

test("every screen renders on a desktop and on a phone", async ({ page, api }) => {
  const conversation = await api.createConversation("Trip to Lisbon");
  await api.storeMessages(conversation, [
    { role: "system", content: "You are a helpful travel assistant." },
    { role: "user", content: "I prefer window seats and I'm vegetarian." },
    { role: "assistant", content: "Got it: window seat, vegetarian meals. Which dates?" },
    { role: "user", content: "Remember my passport expires in March 2027." },
  ]);
  await api.createConversation("Support ticket 4711");

  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.goto("/login/");
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await shot(page, `${viewport.name}-login`);
    await page.goto("/register/");
    await shot(page, `${viewport.name}-register`);

    await signIn(page, api.account);
    await expect(page.getByText("Trip to Lisbon")).toBeVisible();
    await expect(page.getByText("…")).toHaveCount(0); // statistics loaded
    await shot(page, `${viewport.name}-conversations`);

    await page.goto(`/conversation/?id=${conversation}`);
    await expect(page.getByTestId("message").nth(3)).toBeVisible();
    await shot(page, `${viewport.name}-conversation`);

    await page.goto("/search/");
    await page.getByLabel("Query").fill("travel documents");
    await page.getByLabel("Query").press("Enter");
    await expect(page.getByTestId("search-result").first()).toBeVisible();
    await shot(page, `${viewport.name}-search`);

    await page.goto("/live/");
    await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
    await api.storeMessage(conversation, "user", `Book the hotel near the river (${viewport.name}).`);
    await expect(page.getByTestId("live-event").first()).toBeVisible();
    await shot(page, `${viewport.name}-live`);

    await page.goto("/analytics/");
    await expect(page.getByRole("img", { name: /Messages per (hour|day) by role/ })).toBeVisible();
    await shot(page, `${viewport.name}-analytics`);

    await page.goto("/retention/");
    await expect(page.getByRole("heading", { name: "Retention" })).toBeVisible();
    await expect(page.getByText("No rules yet")).toBeVisible();
    await shot(page, `${viewport.name}-retention`);

    await page.goto("/keys/");
    await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
    await shot(page, `${viewport.name}-keys`);

    await page.goto("/tenants/");
    await expect(page.getByRole("heading", { name: "Tenants" })).toBeVisible();
    await expect(page.getByTestId("tenant-figures")).toContainText("messages");
    await shot(page, `${viewport.name}-tenants`);

    if (viewport.name === "phone") {
      await page.getByRole("button", { name: "Open menu" }).click();
      await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
      await shot(page, "phone-menu");
    }
    await page.context().clearCookies();
  }
});
