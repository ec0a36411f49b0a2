"use client";

import Link from "next/link";
import { useMemo, useState } from "react";
import { BarList, type Column, type Series, SplitBar, StackedBars } from "@/components/charts";
import { Card, cx, EmptyState, Loading, PageHeader, Stat } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { count, percent, score, shortId } from "@/lib/format";
import { useLoad } from "@/lib/hooks";
import { useSession } from "@/lib/session";
import type { EmbeddingStats, Granularity, TopConversation, Trends, Usage } from "@/lib/types";

export const RANGES = [
  { key: "24h", label: "24 hours", ms: 86_400_000, granularity: "hour" },
  { key: "7d", label: "7 days", ms: 7 * 86_400_000, granularity: "day" },
  { key: "30d", label: "30 days", ms: 30 * 86_400_000, granularity: "day" },
  { key: "90d", label: "90 days", ms: 90 * 86_400_000, granularity: "week" },
] as const satisfies readonly { key: string; label: string; ms: number; granularity: Granularity }[];

type RangeKey = (typeof RANGES)[number]["key"];

const ROLE_SERIES: Series[] = [
  { key: "user", label: "user", color: "#0ea5e9" },
  { key: "assistant", label: "assistant", color: "#8b5cf6" },
  { key: "system", label: "system", color: "#f59e0b" },
  { key: "tool", label: "tool", color: "#94a3b8" },
];

/** A bucket's short label (under the bar) for its granularity. */
export function bucketLabel(iso: string, granularity: Granularity, timeZone = "UTC"): string {
  const options: Intl.DateTimeFormatOptions =
    granularity === "hour"
      ? { hour: "2-digit", minute: "2-digit", timeZone }
      : granularity === "month"
        ? { month: "short", year: "2-digit", timeZone }
        : { month: "short", day: "numeric", timeZone };
  return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
}

export function trendColumns(trends: Trends): Column[] {
  return trends.buckets.map((b) => ({
    label: bucketLabel(b.bucket_start, trends.granularity, trends.timezone),
    title: `${trends.granularity} of ${new Date(b.bucket_start).toLocaleString(undefined, { timeZone: trends.timezone })}`,
    values: { user: b.user_messages, assistant: b.assistant_messages, system: b.system_messages, tool: b.tool_messages },
  }));
}

interface Report {
  usage: Usage;
  trends: Trends;
  top: TopConversation[];
  embeddings: EmbeddingStats;
}

function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function RangePicker({ value, onChange }: { value: RangeKey; onChange: (key: RangeKey) => void }) {
  return (
    <fieldset>
      <legend className="sr-only">Date range</legend>
      <div className="inline-flex flex-wrap rounded-md bg-slate-100 p-1">
        {RANGES.map((range) => (
          <label
            key={range.key}
            className={cx(
              "cursor-pointer rounded px-3 py-1.5 text-sm font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600",
              value === range.key ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900",
            )}
          >
            <input
              type="radio"
              name="range"
              value={range.key}
              checked={value === range.key}
              onChange={() => onChange(range.key)}
              className="sr-only"
            />
            {range.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function ms(value: number | null): string {
  return value === null ? "—" : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

export function AnalyticsView({ report }: { report: Report }) {
  const { usage, trends, top, embeddings } = report;
  const columns = useMemo(() => trendColumns(trends), [trends]);
  return (
    <div className="grid gap-6">
      <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Messages" value={count(usage.messages)} hint={`${count(usage.archived)} archived since`} />
        <Stat
          label="Active conversations"
          value={count(usage.active_conversations)}
          hint={`${count(usage.conversations_created)} new`}
        />
        <Stat label="Mean importance" value={score(usage.mean_importance)} hint={`${count(usage.content_chars)} characters`} />
        <Stat
          label="Stored now"
          value={count(usage.stored.messages)}
          hint={`${count(usage.stored.conversations)} conversations · ${count(usage.stored.archived)} archived`}
        />
      </dl>

      <Card title="Messages over time">
        {usage.messages === 0 ? (
          <EmptyState title="No messages in this range" />
        ) : (
          <StackedBars columns={columns} series={ROLE_SERIES} caption={`Messages per ${trends.granularity} by role`} />
        )}
      </Card>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Busiest conversations">
          {top.length === 0 ? (
            <EmptyState title="No conversation had messages in this range" />
          ) : (
            <BarList
              label="Messages per conversation"
              items={top.map((c) => ({
                key: c.id,
                value: c.messages,
                label: (
                  <Link href={`/conversation/?id=${c.id}`} className="text-indigo-700 hover:underline">
                    {c.title || `Untitled ${shortId(c.id)}`}
                  </Link>
                ),
              }))}
            />
          )}
        </Card>
        <Card title="By role">
          <BarList
            label="Messages by role"
            color="bg-sky-500"
            items={ROLE_SERIES.map((s) => ({ key: s.key, label: s.label, value: usage.by_role[s.key] ?? 0 }))}
          />
        </Card>
      </div>

      <Card title="Embeddings">
        <div className="grid gap-6 lg:grid-cols-2">
          <div className="grid content-start gap-4">
            <p className="text-sm text-slate-600">
              Coverage <span className="text-lg font-semibold text-slate-900">{percent(embeddings.coverage)}</span> of{" "}
              {count(embeddings.messages)} messages
            </p>
            <SplitBar
              label="Embedding status"
              parts={[
                { key: "ready", label: "ready", value: embeddings.ready, color: "#10b981" },
                { key: "pending", label: "pending", value: embeddings.pending, color: "#f59e0b" },
                { key: "failed", label: "failed", value: embeddings.failed, color: "#f43f5e" },
              ]}
            />
            <dl className="grid grid-cols-3 gap-3 text-sm sm:grid-cols-5">
              {(["p50", "p90", "p99", "mean", "max"] as const).map((k) => (
                <div key={k}>
                  <dt className="text-xs text-slate-500">{k}</dt>
                  <dd className="font-medium tabular-nums">{ms(embeddings.latency_ms[k])}</dd>
                </div>
              ))}
            </dl>
            <p className="text-xs text-slate-500">Latency: from storing (or changing) a message to its vector.</p>
          </div>
          <div className="grid content-start gap-4">
            <div>
              <h3 className="mb-2 text-sm font-medium text-slate-700">Models</h3>
              {embeddings.models.length === 0 ? (
                <p className="text-sm text-slate-500">No vectors yet.</p>
              ) : (
                <ul className="grid gap-1 text-sm">
                  {embeddings.models.map((m) => (
                    <li key={`${m.provider}/${m.model}/${m.dimensions}`} className="flex justify-between gap-3">
                      <span className="min-w-0 truncate font-mono text-xs">
                        {m.provider}/{m.model} · {m.dimensions}-d
                      </span>
                      <span className="tabular-nums">{count(m.messages)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
            {embeddings.top_errors.length > 0 && (
              <div>
                <h3 className="mb-2 text-sm font-medium text-slate-700">Commonest errors</h3>
                <ul className="grid gap-1 text-sm">
                  {embeddings.top_errors.map((e) => (
                    <li key={e.error} className="flex justify-between gap-3">
                      <span className="min-w-0 break-words text-rose-700">{e.error}</span>
                      <span className="tabular-nums">{count(e.messages)}</span>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        </div>
      </Card>
    </div>
  );
}

export function AnalyticsScreen() {
  const { api, tenant } = useSession();
  const tenantId = tenant ?? "";
  const [rangeKey, setRangeKey] = useState<RangeKey>("30d");
  const range = RANGES.find((r) => r.key === rangeKey) ?? RANGES[2];
  const report = useLoad<Report>(tenant ? `${tenant}/${rangeKey}` : null, async () => {
    const to = new Date();
    const span = { from: new Date(to.getTime() - range.ms).toISOString(), to: to.toISOString() };
    const [usage, trends, top, embeddings] = await Promise.all([
      endpoints.usage(api, tenantId, span),
      endpoints.trends(api, tenantId, span, range.granularity, localZone()),
      endpoints.topConversations(api, tenantId, span, 8),
      endpoints.embeddingStats(api, tenantId, span),
    ]);
    return { usage, trends, top: top.items, embeddings };
  });

  return (
    <>
      <PageHeader
        title="Analytics"
        description={
          <>
            Usage of tenant <span className="font-mono">{tenantId}</span> over the last {range.label}.
          </>
        }
        actions={<RangePicker value={rangeKey} onChange={setRangeKey} />}
      />
      {report.loading && !report.data ? (
        <Loading label="Loading analytics…" />
      ) : report.data ? (
        <div aria-busy={report.loading}>
          <AnalyticsView report={report.data} />
        </div>
      ) : (
        <EmptyState title="Could not load analytics">Try again in a moment.</EmptyState>
      )}
    </>
  );
}
