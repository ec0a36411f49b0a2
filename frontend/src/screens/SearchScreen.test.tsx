import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { searchQuery } from "@/lib/endpoints";
import { message, renderSignedIn } from "@/test/helpers";
import { type SearchForm, SearchScreen, toSearchParams } from "./SearchScreen";

const EMPTY: SearchForm = {
  query: "peanuts",
  mode: "hybrid",
  top_k: "10",
  conversation_id: "",
  role: "",
  created_after: "",
  created_before: "",
  metadata: "",
  min_score: "",
  include_archived: false,
};

describe("search form", () => {
  it("sends only the filters that are set", () => {
    const { params } = toSearchParams({ ...EMPTY, mode: "vector", role: "user", metadata: '{"topic":"food"}', min_score: "0.2" });
    expect(searchQuery("acme", params!)).toEqual({
      tenant_id: "acme",
      query: "peanuts",
      mode: "vector",
      top_k: 10,
      conversation_id: undefined,
      role: "user",
      created_after: undefined,
      created_before: undefined,
      metadata: '{"topic":"food"}',
      min_score: 0.2,
      include_archived: undefined,
    });
  });

  it("refuses metadata that is not a JSON object, and an empty query", () => {
    expect(toSearchParams({ ...EMPTY, metadata: "[1]" }).problem?.field).toBe("metadata");
    expect(toSearchParams({ ...EMPTY, metadata: "{oops" }).problem?.field).toBe("metadata");
    expect(toSearchParams({ ...EMPTY, query: "  " }).problem?.field).toBe("query");
  });

  it("shows results best first with every score part, the mode and the plan", async () => {
    const user = userEvent.setup();
    const { calls } = renderSignedIn(<SearchScreen />, {
      "GET /v1/conversations": () => ({ body: { items: [], next_cursor: null } }),
      "GET /v1/memory/search": () => ({
        body: {
          query: "what can't I eat?",
          mode: "keyword",
          degraded: true,
          plan: "exact",
          results: [
            {
              message: message(),
              scores: { score: 0.8, relevance: 0.9, similarity: null, keyword: 0.9, importance: 0.72, recency: 1 },
            },
          ],
        },
      }),
    });
    await user.type(await screen.findByLabelText("Query"), "what can't I eat?");
    await user.click(screen.getByText("keyword"));
    await user.click(screen.getByRole("button", { name: "Search" }));

    const result = await screen.findByTestId("search-result");
    expect(result).toHaveTextContent("I'm allergic to peanuts.");
    expect(within(result).getByRole("group", { name: "similarity —" })).toBeInTheDocument();
    expect(within(result).getByRole("group", { name: "keyword 0.90" })).toBeInTheDocument();
    expect(screen.getByText("mode keyword")).toBeInTheDocument();
    expect(screen.getByText("plan exact")).toBeInTheDocument();
    expect(screen.getByText("degraded")).toBeInTheDocument();
    const sent = calls.find((c) => c.path === "/v1/memory/search");
    expect(sent?.query.get("mode")).toBe("keyword");
    expect(sent?.query.get("tenant_id")).toBe("acme");
  });

  it("shows an empty state when nothing matches", async () => {
    const user = userEvent.setup();
    renderSignedIn(<SearchScreen />, {
      "GET /v1/conversations": () => ({ body: { items: [], next_cursor: null } }),
      "GET /v1/memory/search": () => ({ body: { query: "x", mode: "hybrid", degraded: false, plan: "exact", results: [] } }),
    });
    await user.type(await screen.findByLabelText("Query"), "x{Enter}");
    expect(await screen.findByText("Nothing found")).toBeInTheDocument();
  });
});
