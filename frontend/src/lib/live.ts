// The live feed: WS /ws/messages/{tenant_id}, authenticated the browser way (a
// WebSocket cannot send headers): the subprotocols ["memory-mesh.v1", "auth.<token>"].
// Reconnects with backoff, and takes a fresh access token for every handshake.

import { apiBase } from "./api";
import type { LiveFrame } from "./types";

export const LIVE_PROTOCOL = "memory-mesh.v1";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "stopped";

/** The WebSocket base: NEXT_PUBLIC_WS_BASE, else the API base (or this origin) as ws(s). */
export function wsBase(): string {
  const configured = (process.env.NEXT_PUBLIC_WS_BASE ?? "").trim().replace(/\/+$/, "");
  if (configured) return configured;
  const http = apiBase() || (typeof window !== "undefined" ? window.location.origin : "");
  return http.replace(/^http(s?):\/\//, "ws$1://");
}

export function liveMessagesUrl(tenant: string, conversationId?: string | null, base = wsBase()): string {
  const qs = conversationId ? `?conversation_id=${encodeURIComponent(conversationId)}` : "";
  return `${base}/ws/messages/${encodeURIComponent(tenant)}${qs}`;
}

export interface LiveOptions {
  url: string;
  /** The access token (or API key) to present; `renew` after the server refused the last
   * one (close 4401). Null: not signed in. */
  credential: (renew: boolean) => Promise<string | null>;
  onFrame: (frame: LiveFrame) => void;
  onStatus: (status: LiveStatus, detail?: string) => void;
  WebSocketImpl?: typeof WebSocket;
  /** Close and reconnect after this long without any frame (the server pings). */
  silenceMs?: number;
}

const MAX_BACKOFF_MS = 30_000;
/** Close codes of the server: credential refused, tenant not held. */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export class LiveConnection {
  private socket: WebSocket | null = null;
  private stopped = false;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private renew = false;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, "done");
    this.options.onStatus("stopped");
  }

  /** Milliseconds before the next attempt after `failures` failed ones. */
  static backoff(failures: number): number {
    return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
  }

  private async connect(): Promise<void> {
    const { onStatus, onFrame, credential } = this.options;
    onStatus(this.failures ? "reconnecting" : "connecting");
    let token: string | null = null;
    try {
      token = await credential(this.renew);
      this.renew = false;
    } catch {
      token = null;
    }
    if (this.stopped) return;
    if (!token) {
      this.retry("not signed in");
      return;
    }
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    let socket: WebSocket;
    try {
      socket = new Impl(this.options.url, [LIVE_PROTOCOL, `auth.${token}`]);
    } catch (error) {
      this.retry(error instanceof Error ? error.message : "could not open the connection");
      return;
    }
    this.socket = socket;
    let lastError: string | undefined;

    socket.onmessage = (event: MessageEvent) => {
      this.watchSilence(socket);
      let frame: LiveFrame;
      try {
        frame = JSON.parse(String(event.data)) as LiveFrame;
      } catch {
        return;
      }
      if (frame.type === "ready") {
        this.failures = 0;
        onStatus("live");
      } else if (frame.type === "error") {
        lastError = frame.message;
      }
      onFrame(frame);
    };
    socket.onopen = () => this.watchSilence(socket);
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (event.code === CLOSE_FORBIDDEN) {
        this.clearTimers();
        onStatus("stopped", lastError ?? "no access to this tenant");
        return;
      }
      if (event.code === CLOSE_UNAUTHENTICATED) this.renew = true;
      this.retry(lastError ?? (event.reason || (event.code === 1006 ? "connection failed" : `closed (${event.code})`)));
    };
  }

  private retry(reason: string): void {
    this.clearTimers();
    if (this.stopped) return;
    this.failures += 1;
    const delay = LiveConnection.backoff(this.failures);
    this.options.onStatus("reconnecting", `${reason}; retrying in ${Math.round(delay / 1000)} s`);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private watchSilence(socket: WebSocket): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      if (this.socket === socket) socket.close(4000, "no heartbeat");
    }, this.options.silenceMs ?? 90_000);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.retryTimer = null;
    this.silenceTimer = null;
  }
}
