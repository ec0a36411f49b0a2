// How a message, its embedding and its search scores are shown everywhere.

import { formatTime, relativeTime, score } from "@/lib/format";
import type { Embedding, Message, Role, Scores } from "@/lib/types";
import { Badge, cx } from "./ui";

const ROLE_TONES = { user: "sky", assistant: "violet", system: "amber", tool: "slate" } as const;

export function RoleBadge({ role }: { role: Role }) {
  return <Badge tone={ROLE_TONES[role] ?? "slate"}>{role}</Badge>;
}

export function EmbeddingBadge({ embedding }: { embedding: Embedding }) {
  if (embedding.status === "ready") {
    const detail = [embedding.model, embedding.dimensions && `${embedding.dimensions}-d`].filter(Boolean).join(", ");
    return (
      <Badge tone="green" title={detail ? `embedded (${detail})` : "embedded"}>
        embedded
      </Badge>
    );
  }
  if (embedding.status === "failed") {
    return (
      <Badge tone="rose" title={embedding.error ?? "embedding failed"}>
        failed
      </Badge>
    );
  }
  return (
    <Badge tone="amber" title={embedding.attempts ? `attempt ${embedding.attempts}: ${embedding.error ?? ""}` : "waiting for the worker"}>
      pending
    </Badge>
  );
}

/** A 0..1 value as a bar and a number. */
export function Bar({
  label,
  value,
  tone = "bg-indigo-500",
}: {
  label: string;
  value: number | null;
  tone?: string;
}) {
  const width = value === null ? 0 : Math.max(0, Math.min(1, value)) * 100;
  return (
    <div className="flex items-center gap-2" aria-label={`${label} ${score(value)}`} role="group">
      <span className="w-20 shrink-0 text-xs text-slate-500">{label}</span>
      <span className="relative h-2 flex-1 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
        <span className={cx("absolute inset-y-0 left-0 rounded-full", tone)} style={{ width: `${width}%` }} />
      </span>
      <span className="w-10 shrink-0 text-right font-mono text-xs tabular-nums text-slate-700">{score(value)}</span>
    </div>
  );
}

export function ImportanceMeter({ value, explicit }: { value: number; explicit?: boolean }) {
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs text-slate-600"
      title={explicit ? "importance set by the client" : "importance computed from role and content"}
    >
      <span className="relative h-1.5 w-12 overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
        <span className="absolute inset-y-0 left-0 rounded-full bg-amber-500" style={{ width: `${Math.round(value * 100)}%` }} />
      </span>
      <span className="font-mono tabular-nums">importance {score(value)}</span>
    </span>
  );
}

export function MessageMeta({ message }: { message: Message }) {
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
      <RoleBadge role={message.role} />
      <EmbeddingBadge embedding={message.embedding} />
      {message.archived && <Badge tone="slate">archived</Badge>}
      <ImportanceMeter value={message.importance} explicit={message.importance_explicit} />
      <time className="text-xs text-slate-500" dateTime={message.created_at} title={formatTime(message.created_at)}>
        {relativeTime(message.created_at)}
      </time>
    </div>
  );
}

export function MessageItem({ message, children }: { message: Message; children?: React.ReactNode }) {
  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4" data-testid="message" data-message-id={message.id}>
      <MessageMeta message={message} />
      <p className="mt-2 whitespace-pre-wrap break-words text-sm text-slate-900">{message.content}</p>
      {children}
    </li>
  );
}

// the rank fields (hybrid mode's vector_rank / keyword_rank) are positions, not score parts
const SCORE_PARTS: { key: Exclude<keyof Scores, `${string}_rank`>; label: string; tone: string }[] = [
  { key: "score", label: "score", tone: "bg-indigo-600" },
  { key: "relevance", label: "relevance", tone: "bg-indigo-400" },
  { key: "similarity", label: "similarity", tone: "bg-sky-500" },
  { key: "keyword", label: "keyword", tone: "bg-teal-500" },
  { key: "importance", label: "importance", tone: "bg-amber-500" },
  { key: "recency", label: "recency", tone: "bg-emerald-500" },
];

/** Every part of a search result's score (null parts — e.g. keyword in vector mode — show "—"). */
export function ScoreBreakdown({ scores }: { scores: Scores }) {
  return (
    <div className="grid gap-1.5" data-testid="score-breakdown">
      {SCORE_PARTS.map((part) => (
        <Bar key={part.key} label={part.label} value={scores[part.key]} tone={part.tone} />
      ))}
    </div>
  );
}
