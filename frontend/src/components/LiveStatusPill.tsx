import type { LiveState } from "@/lib/useLive";
import { cx } from "./ui";

const LOOK = {
  live: { dot: "bg-emerald-500", text: "Live", ring: "ring-emerald-200 bg-emerald-50 text-emerald-800" },
  connecting: { dot: "bg-amber-400 animate-pulse", text: "Connecting…", ring: "ring-amber-200 bg-amber-50 text-amber-800" },
  reconnecting: { dot: "bg-amber-500 animate-pulse", text: "Reconnecting", ring: "ring-amber-200 bg-amber-50 text-amber-800" },
  stopped: { dot: "bg-slate-400", text: "Paused", ring: "ring-slate-200 bg-slate-50 text-slate-700" },
} as const;

export function liveLabel(state: LiveState): string {
  if (state.status === "stopped") return state.detail ? `Stopped — ${state.detail}` : "Paused";
  if (state.status === "reconnecting" && state.detail) return `Reconnecting — ${state.detail}`;
  return LOOK[state.status].text;
}

/** The WebSocket's state, announced politely to screen readers. */
export function LiveStatusPill({ state }: { state: LiveState }) {
  const look = LOOK[state.status];
  return (
    <span
      role="status"
      data-testid="live-status"
      data-status={state.status}
      title={state.detail ?? undefined}
      className={cx("inline-flex max-w-full items-center gap-2 rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset", look.ring)}
    >
      <span aria-hidden="true" className={cx("h-2 w-2 shrink-0 rounded-full", look.dot)} />
      <span className="truncate">{liveLabel(state)}</span>
    </span>
  );
}
