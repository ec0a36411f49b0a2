import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { message } from "@/test/helpers";
import { EmbeddingBadge, MessageItem, ScoreBreakdown } from "./messages";

describe("messages", () => {
  it("shows a message's role, embedding status, importance, time and text", () => {
    render(
      <ol>
        <MessageItem message={message()} />
      </ol>,
    );
    const item = screen.getByTestId("message");
    expect(within(item).getByText("user")).toBeInTheDocument();
    expect(within(item).getByText("embedded")).toHaveAttribute("title", "embedded (all-MiniLM-L6-v2, 384-d)");
    expect(within(item).getByText("importance 0.72")).toBeInTheDocument();
    expect(within(item).getByText("just now")).toBeInTheDocument();
    expect(within(item).getByText("I'm allergic to peanuts.")).toBeInTheDocument();
  });

  it("tells pending and failed embeddings apart, with the error as a hint", () => {
    const pending = message().embedding;
    render(
      <>
        <EmbeddingBadge embedding={{ ...pending, status: "pending", attempts: 0 }} />
        <EmbeddingBadge embedding={{ ...pending, status: "failed", error: "provider down" }} />
      </>,
    );
    expect(screen.getByText("pending")).toBeInTheDocument();
    expect(screen.getByText("failed")).toHaveAttribute("title", "provider down");
  });

  it("breaks a score into its six parts, with a dash for a part the mode has not", () => {
    render(
      <ScoreBreakdown scores={{ score: 0.81, relevance: 0.9, similarity: 0.9, keyword: null, importance: 0.7, recency: 0.25 }} />,
    );
    for (const [part, value] of [
      ["score", "0.81"],
      ["relevance", "0.90"],
      ["similarity", "0.90"],
      ["keyword", "—"],
      ["importance", "0.70"],
      ["recency", "0.25"],
    ]) {
      expect(screen.getByRole("group", { name: `${part} ${value}` })).toBeInTheDocument();
    }
  });
});
