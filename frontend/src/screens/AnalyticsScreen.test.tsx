import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { niceCeiling } from "@/components/charts";
import type { EmbeddingStats, Trends, Usage } from "@/lib/types";
import { renderSignedIn } from "@/test/helpers";
import { AnalyticsScreen, AnalyticsView, bucketLabel, trendColumns } from "./AnalyticsScreen";

const RANGE = { from: "2026-11-01T00:00:00Z", to: "2026-11-03T00:00:00Z" };
const USAGE: Usage = {
  tenant_id: "acme",
  range: RANGE,
  messages: 7,
  by_role: { user: 4, assistant: 3 },
  archived: 1,
  content_chars: 420,
  mean_importance: 0.5,
  active_conversations: 2,
  conversations_created: 1,
  stored: { messages: 12, archived: 2, conversations: 3 },
};
const bucket = (day: string, user: number, assistant: number) => ({
  bucket_start: `2026-11-0${day}T00:00:00Z`,
  messages: user + assistant,
  user_messages: user,
  assistant_messages: assistant,
  system_messages: 0,
  tool_messages: 0,
  active_conversations: 1,
  mean_importance: 0.5,
});
const TRENDS: Trends = { tenant_id: "acme", range: RANGE, granularity: "day", timezone: "UTC", buckets: [bucket("1", 3, 1), bucket("2", 1, 2)] };
const EMBEDDINGS: EmbeddingStats = {
  tenant_id: "acme",
  range: RANGE,
  messages: 7,
  ready: 5,
  pending: 1,
  failed: 1,
  coverage: 5 / 7,
  models: [{ provider: "local", model: "minilm", dimensions: 384, messages: 5 }],
  latency_ms: { p50: 8.2, p90: 20, p99: 31, mean: 10, max: 40 },
  top_errors: [{ error: "provider timeout", messages: 1 }],
};

describe("analytics", () => {
  it("turns trend buckets into chart columns by role", () => {
    const columns = trendColumns(TRENDS);
    expect(columns).toHaveLength(2);
    expect(columns[0]?.values).toEqual({ user: 3, assistant: 1, system: 0, tool: 0 });
    expect(bucketLabel("2026-11-02T00:00:00Z", "day")).toMatch(/Nov/);
    expect(bucketLabel("2026-11-02T14:00:00Z", "hour")).toMatch(/(14|02):00/);
    expect([niceCeiling(0), niceCeiling(3), niceCeiling(7), niceCeiling(130)]).toEqual([1, 5, 10, 200]);
  });

  it("shows usage, the trend chart with a table alternative, top conversations and embedding health", () => {
    render(
      <AnalyticsView
        report={{
          usage: USAGE,
          trends: TRENDS,
          top: [{ id: "c1", external_id: null, title: "Dinner", created_at: RANGE.from, messages: 5, first_message_at: RANGE.from, last_message_at: RANGE.to, mean_importance: 0.5 }],
          embeddings: EMBEDDINGS,
        }}
      />,
    );
    expect(screen.getByRole("img", { name: "Messages per day by role: 7 in total over 2 periods" })).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Messages per day by role" });
    expect(within(table).getAllByRole("row")).toHaveLength(3);
    expect(screen.getByRole("link", { name: "Dinner" })).toHaveAttribute("href", expect.stringContaining("c1"));
    expect(screen.getByText("71%")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Embedding status: ready 5, pending 1, failed 1" })).toBeInTheDocument();
    expect(screen.getByText("8.2 ms")).toBeInTheDocument();
    expect(screen.getByText("provider timeout")).toBeInTheDocument();
  });

  it("asks for the chosen range with the granularity that suits it", async () => {
    const user = userEvent.setup();
    const { calls } = renderSignedIn(<AnalyticsScreen />, {
      "GET /v1/analytics/usage": () => ({ body: USAGE }),
      "GET /v1/analytics/trends": () => ({ body: TRENDS }),
      "GET /v1/analytics/top-conversations": () => ({ body: { tenant_id: "acme", range: RANGE, items: [] } }),
      "GET /v1/analytics/embedding-stats": () => ({ body: EMBEDDINGS }),
    });
    expect(await screen.findByText("Busiest conversations")).toBeInTheDocument();
    await user.click(screen.getByText("90 days"));
    await screen.findByText(/over the last 90 days/);
    const trends = calls.filter((c) => c.path === "/v1/analytics/trends");
    expect(trends.map((c) => c.query.get("granularity"))).toEqual(["day", "week"]);
    const last = trends.at(-1)!;
    const days = (Date.parse(last.query.get("to")!) - Date.parse(last.query.get("from")!)) / 86_400_000;
    expect(Math.round(days)).toBe(90);
  });
});
