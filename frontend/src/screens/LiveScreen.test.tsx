import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LiveFrame } from "@/lib/types";
import { message, renderSignedIn } from "@/test/helpers";
import { addToFeed, LiveFeed, LiveScreen } from "./LiveScreen";

class FakeSocket {
  static last: FakeSocket | null = null;
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.last = this;
  }
  send() {}
  close() {
    this.readyState = 3;
  }
}

const created = (content: string): LiveFrame => ({
  type: "message.created",
  tenant_id: "acme",
  message: message({ content }),
  time: new Date().toISOString(),
});

describe("live feed", () => {
  beforeEach(() => vi.stubGlobal("WebSocket", FakeSocket));
  afterEach(() => vi.unstubAllGlobals());

  it("keeps message events newest first and ignores heartbeats", () => {
    let events = addToFeed([], created("first"), 1);
    events = addToFeed(events, { type: "ping", time: "" }, 2);
    events = addToFeed(events, created("second"), 3);
    expect(events.map((e) => e.message.content)).toEqual(["second", "first"]);
  });

  it("says it is waiting when nothing has happened yet", () => {
    render(<LiveFeed events={[]} />);
    expect(screen.getByText("Waiting for messages…")).toBeInTheDocument();
  });

  it("connects to the tenant's feed with the access token and shows new messages", async () => {
    renderSignedIn(<LiveScreen />, { "GET /v1/conversations": () => ({ body: { items: [], next_cursor: null } }) });
    await waitFor(() => expect(FakeSocket.last).not.toBeNull());
    await screen.findByText("Waiting for messages…");
    const socket = FakeSocket.last!;
    expect(socket.url).toMatch(/\/ws\/messages\/acme$/);
    expect(socket.protocols).toEqual(["memory-mesh.v1", "auth.access-1"]);

    act(() => socket.onmessage?.({ data: JSON.stringify({ type: "ready", tenant_id: "acme" }) }));
    expect(screen.getByTestId("live-status")).toHaveTextContent("Live");
    act(() => socket.onmessage?.({ data: JSON.stringify(created("The board meeting moved to Thursday.")) }));
    expect(await screen.findByText("The board meeting moved to Thursday.")).toBeInTheDocument();
    expect(screen.getByTestId("live-event")).toHaveTextContent("created");
  });
});
