import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveConnection, type LiveStatus, liveMessagesUrl } from "./live";
import type { LiveFrame } from "./types";

class FakeSocket {
  static made: FakeSocket[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  closedWith: number | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.made.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverClose(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
}

function connect(credential = vi.fn<(renew: boolean) => Promise<string>>(async () => "tok-1")) {
  const frames: LiveFrame[] = [];
  const statuses: [LiveStatus, string | undefined][] = [];
  const connection = new LiveConnection({
    url: "ws://api.test/ws/messages/acme",
    credential,
    onFrame: (f) => frames.push(f),
    onStatus: (s, d) => statuses.push([s, d]),
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
  });
  connection.start();
  return { connection, frames, statuses, credential };
}

const MESSAGE = { id: "m1", conversation_id: "c1", content: "hello" };

describe("LiveConnection", () => {
  beforeEach(() => {
    FakeSocket.made = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("builds the tenant's URL, with the conversation filter when given", () => {
    expect(liveMessagesUrl("acme", null, "wss://api.test")).toBe("wss://api.test/ws/messages/acme");
    expect(liveMessagesUrl("a b", "c-1", "ws://x")).toBe("ws://x/ws/messages/a%20b?conversation_id=c-1");
  });

  it("authenticates with the subprotocols and goes live on the ready frame", async () => {
    const { frames, statuses } = connect();
    await vi.runOnlyPendingTimersAsync();
    const socket = FakeSocket.made[0]!;
    expect(socket.protocols).toEqual(["memory-mesh.v1", "auth.tok-1"]);
    socket.open();
    socket.frame({ type: "ready", tenant_id: "acme" });
    socket.frame({ type: "message.created", tenant_id: "acme", message: MESSAGE, time: "2026-01-01T00:00:00Z" });
    expect(statuses.at(-1)?.[0]).toBe("live");
    expect(frames.map((f) => f.type)).toEqual(["ready", "message.created"]);
  });

  it("reconnects with backoff, and renews the token after a 4401 close", async () => {
    const { credential, statuses } = connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.made[0]!.serverClose(4401, "token_expired");
    expect(statuses.at(-1)?.[0]).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeSocket.made).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.made).toHaveLength(2);
    expect(credential.mock.calls.map((c) => c[0])).toEqual([false, true]);
    expect(LiveConnection.backoff(1)).toBe(1000);
    expect(LiveConnection.backoff(3)).toBe(4000);
    expect(LiveConnection.backoff(20)).toBe(30000);
  });

  it("stops for good when the tenant is refused (4403)", async () => {
    const { statuses } = connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeSocket.made[0]!;
    socket.frame({ type: "error", code: "tenant_forbidden", message: "no access to tenant 'acme'" });
    socket.serverClose(4403, "tenant_forbidden");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.made).toHaveLength(1);
    expect(statuses.at(-1)).toEqual(["stopped", "no access to tenant 'acme'"]);
  });

  it("closes a silent connection (no heartbeat) so that it reconnects", async () => {
    connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeSocket.made[0]!;
    socket.open();
    await vi.advanceTimersByTimeAsync(90_000);
    expect(socket.closedWith).toBe(4000);
  });
});
