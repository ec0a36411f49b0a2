import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConversationStats } from "@/lib/types";
import { message, renderSignedIn } from "@/test/helpers";
import { ConversationScreen } from "./ConversationScreen";

const ID = "22222222-2222-2222-2222-222222222222";
const STATS: ConversationStats = {
  conversation_id: ID,
  message_count: 3,
  archived_count: 0,
  by_role: { user: 2, assistant: 1 },
  first_message_at: new Date().toISOString(),
  last_message_at: new Date().toISOString(),
  mean_importance: 0.5,
  embedded_count: 2,
  pending_count: 1,
  failed_count: 0,
  embedding_coverage: 2 / 3,
};

class QuietSocket {
  readyState = 0;
  onopen = null;
  onmessage = null;
  onclose = null;
  close() {}
}

describe("a conversation", () => {
  beforeEach(() => {
    vi.stubGlobal("WebSocket", QuietSocket);
    window.history.pushState({}, "", `/conversation/?id=${ID}`);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.pushState({}, "", "/");
  });

  it("shows its statistics and pages through its messages with the cursor", async () => {
    const user = userEvent.setup();
    const { calls } = renderSignedIn(<ConversationScreen />, {
      [`GET /v1/conversations/${ID}`]: () => ({
        body: { id: ID, tenant_id: "acme", title: "Dinner", metadata: {}, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" },
      }),
      [`GET /v1/conversations/${ID}/stats`]: () => ({ body: STATS }),
      [`GET /v1/conversations/${ID}/messages`]: ({ url }) =>
        url.searchParams.get("cursor") === "page-2"
          ? { body: { items: [message({ id: "m3", content: "third", embedding: { ...message().embedding, status: "pending" } })], next_cursor: null } }
          : { body: { items: [message({ id: "m1", content: "first" }), message({ id: "m2", role: "assistant", content: "second" })], next_cursor: "page-2" } },
    });
    expect(await screen.findByRole("heading", { name: "Dinner" })).toBeInTheDocument();
    expect(await screen.findByText("67%")).toBeInTheDocument();
    expect(screen.getByText("2 ready · 1 pending · 0 failed")).toBeInTheDocument();
    expect(await screen.findAllByTestId("message")).toHaveLength(2);

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(screen.getAllByTestId("message")).toHaveLength(3));
    const third = screen.getAllByTestId("message")[2]!;
    expect(within(third).getByText("pending")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    const pages = calls.filter((c) => c.path.endsWith("/messages"));
    expect(pages.map((c) => c.query.get("cursor"))).toEqual([null, "page-2"]);
  });

  it("stores a message typed by the user and shows it at the end", async () => {
    const user = userEvent.setup();
    const { calls } = renderSignedIn(<ConversationScreen />, {
      [`GET /v1/conversations/${ID}`]: () => ({
        body: { id: ID, tenant_id: "acme", title: null, metadata: {}, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" },
      }),
      [`GET /v1/conversations/${ID}/stats`]: () => ({ body: STATS }),
      [`GET /v1/conversations/${ID}/messages`]: () => ({ body: { items: [], next_cursor: null } }),
      "POST /v1/messages": ({ body }) => ({ status: 201, body: message({ id: "new", content: (body as { content: string }).content }) }),
    });
    expect(await screen.findByText("No messages yet")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Message"), "Remember: I prefer aisle seats.");
    await user.selectOptions(screen.getByLabelText("Role"), "assistant");
    await user.click(screen.getByRole("button", { name: "Store message" }));
    expect(await screen.findByText("Remember: I prefer aisle seats.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST" && c.path === "/v1/messages")?.body).toEqual({
      tenant_id: "acme",
      conversation_id: ID,
      role: "assistant",
      content: "Remember: I prefer aisle seats.",
    });
  });
});
