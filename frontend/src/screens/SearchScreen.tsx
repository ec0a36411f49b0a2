"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useRef, useState } from "react";
import { MessageMeta, ScoreBreakdown } from "@/components/messages";
import { Badge, Button, Card, Checkbox, cx, EmptyState, Loading, PageHeader, SelectField, TextArea, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { localInputToIso, score, shortId } from "@/lib/format";
import { useLoad } from "@/lib/hooks";
import { notifyError } from "@/lib/notify";
import { useSession } from "@/lib/session";
import { ROLES, type Role, SEARCH_MODES, type SearchMode, type SearchParams, type SearchResult } from "@/lib/types";

const MODE_HELP: Record<SearchMode, string> = {
  hybrid: "meaning + keywords",
  vector: "meaning only",
  keyword: "words only",
};

export interface SearchForm {
  query: string;
  mode: SearchMode;
  top_k: string;
  conversation_id: string;
  role: "" | Role;
  created_after: string;
  created_before: string;
  metadata: string;
  min_score: string;
  include_archived: boolean;
}

/** The form as API parameters, or the problem with it (shown next to the field). */
export function toSearchParams(form: SearchForm): { params?: SearchParams; problem?: { field: keyof SearchForm; message: string } } {
  if (!form.query.trim()) return { problem: { field: "query", message: "Type what to look for." } };
  let metadata: Record<string, unknown> | undefined;
  if (form.metadata.trim()) {
    try {
      const parsed: unknown = JSON.parse(form.metadata);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      metadata = parsed as Record<string, unknown>;
    } catch {
      return { problem: { field: "metadata", message: 'A JSON object, for example {"topic": "travel"}.' } };
    }
  }
  return {
    params: {
      query: form.query.trim(),
      mode: form.mode,
      top_k: Number(form.top_k) || 10,
      conversation_id: form.conversation_id || undefined,
      role: form.role || undefined,
      created_after: localInputToIso(form.created_after),
      created_before: localInputToIso(form.created_before),
      metadata,
      min_score: form.min_score ? Number(form.min_score) : undefined,
      include_archived: form.include_archived || undefined,
    },
  };
}

function ModePicker({ value, onChange }: { value: SearchMode; onChange: (mode: SearchMode) => void }) {
  return (
    <fieldset>
      <legend className="mb-1 block text-sm font-medium text-slate-700">Mode</legend>
      <div className="inline-flex rounded-md bg-slate-100 p-1">
        {SEARCH_MODES.map((mode) => (
          <label
            key={mode}
            className={cx(
              "cursor-pointer rounded px-3 py-1.5 text-sm font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600",
              value === mode ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900",
            )}
            title={MODE_HELP[mode]}
          >
            <input
              type="radio"
              name="mode"
              value={mode}
              checked={value === mode}
              onChange={() => onChange(mode)}
              className="sr-only"
            />
            {mode}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function SearchScreen() {
  const { api, tenant } = useSession();
  const params = useSearchParams();
  const tenantId = tenant ?? "";
  const [form, setForm] = useState<SearchForm>(() => ({
    query: params.get("q") ?? "",
    mode: (SEARCH_MODES as string[]).includes(params.get("mode") ?? "") ? (params.get("mode") as SearchMode) : "hybrid",
    top_k: "10",
    conversation_id: params.get("conversation_id") ?? "",
    role: "",
    created_after: "",
    created_before: "",
    metadata: "",
    min_score: "",
    include_archived: false,
  }));
  const [problem, setProblem] = useState<{ field: keyof SearchForm; message: string } | null>(null);
  const [result, setResult] = useState<SearchResult | null>(null);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef<AbortController | null>(null);
  const conversations = useLoad(tenant, () => endpoints.listConversations(api, tenantId, null, 100));

  const set = <K extends keyof SearchForm>(key: K, value: SearchForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const { params: query, problem: wrong } = toSearchParams(form);
    setProblem(wrong ?? null);
    if (!query || !tenant) return;
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setBusy(true);
    try {
      const found = await endpoints.search(api, tenant, query, controller.signal);
      if (!controller.signal.aborted) setResult(found);
    } catch (error) {
      notifyError(error);
    } finally {
      if (inFlight.current === controller) setBusy(false);
    }
  }

  const known = conversations.data?.items ?? [];
  const titles = new Map(known.map((c) => [c.id, c.title || `Untitled ${shortId(c.id)}`]));

  return (
    <>
      <PageHeader title="Search" description="Find memories by meaning; every result shows the parts of its score." />
      <Card className="mb-6">
        <form onSubmit={submit} className="grid gap-4" aria-label="Search memories" role="search">
          <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
            <TextField
              label="Query"
              name="query"
              type="search"
              placeholder="What food should I avoid?"
              className="flex-1"
              autoFocus
              value={form.query}
              error={problem?.field === "query" ? problem.message : null}
              onChange={(e) => set("query", e.target.value)}
            />
            <Button type="submit" loading={busy}>
              Search
            </Button>
          </div>
          <div className="flex flex-wrap items-end gap-4">
            <ModePicker value={form.mode} onChange={(mode) => set("mode", mode)} />
            <TextField
              label="Results"
              type="number"
              min={1}
              max={100}
              className="w-24"
              value={form.top_k}
              onChange={(e) => set("top_k", e.target.value)}
            />
            <TextField
              label="Min score"
              type="number"
              min={0}
              max={1}
              step={0.05}
              placeholder="0"
              className="w-28"
              value={form.min_score}
              onChange={(e) => set("min_score", e.target.value)}
            />
          </div>
          <details className="group rounded-md border border-slate-200 px-3 py-2" open={Boolean(form.conversation_id) || undefined}>
            <summary className="cursor-pointer text-sm font-medium text-slate-700">Filters</summary>
            <div className="mt-3 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
              <SelectField label="Conversation" value={form.conversation_id} onChange={(e) => set("conversation_id", e.target.value)}>
                <option value="">All conversations</option>
                {form.conversation_id && !titles.has(form.conversation_id) && (
                  <option value={form.conversation_id}>{shortId(form.conversation_id)}</option>
                )}
                {known.map((c) => (
                  <option key={c.id} value={c.id}>
                    {titles.get(c.id)}
                  </option>
                ))}
              </SelectField>
              <SelectField label="Role" value={form.role} onChange={(e) => set("role", e.target.value as Role | "")}>
                <option value="">Any role</option>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </SelectField>
              <div className="flex items-end pb-2">
                <Checkbox
                  label="Include archived"
                  checked={form.include_archived}
                  onChange={(e) => set("include_archived", e.target.checked)}
                />
              </div>
              <TextField
                label="Created after"
                type="datetime-local"
                value={form.created_after}
                onChange={(e) => set("created_after", e.target.value)}
              />
              <TextField
                label="Created before"
                type="datetime-local"
                value={form.created_before}
                onChange={(e) => set("created_before", e.target.value)}
              />
              <TextArea
                label="Metadata contains (JSON)"
                rows={1}
                placeholder='{"topic": "travel"}'
                mono
                value={form.metadata}
                error={problem?.field === "metadata" ? problem.message : null}
                onChange={(e) => set("metadata", e.target.value)}
              />
            </div>
          </details>
        </form>
      </Card>
      {busy && !result ? (
        <Loading label="Searching…" />
      ) : result === null ? (
        <EmptyState title="Ask something">Results appear here, best first, with their similarity, keyword, importance and recency parts.</EmptyState>
      ) : (
        <section aria-label="Search results" aria-busy={busy}>
          <div className="mb-3 flex flex-wrap items-center gap-2 text-sm text-slate-600">
            <span>
              {result.results.length} result{result.results.length === 1 ? "" : "s"} for “{result.query}”
            </span>
            <Badge tone="indigo">mode {result.mode}</Badge>
            <Badge tone="slate" title="exact distance over a small scope, or the HNSW index over a large one">
              plan {result.plan}
            </Badge>
            {result.degraded && (
              <Badge tone="amber" title="the embedder was unavailable: keyword search only">
                degraded
              </Badge>
            )}
          </div>
          {result.results.length === 0 ? (
            <EmptyState title="Nothing found">Try another wording, the keyword mode, or fewer filters.</EmptyState>
          ) : (
            <ol className="grid gap-3">
              {result.results.map((hit, index) => (
                <li
                  key={hit.message.id}
                  data-testid="search-result"
                  className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm md:grid-cols-[1fr_18rem]"
                >
                  <div className="min-w-0">
                    <div className="mb-2 flex items-center gap-2">
                      <span className="grid h-6 w-6 shrink-0 place-items-center rounded-full bg-indigo-600 text-xs font-semibold text-white">
                        {index + 1}
                      </span>
                      <span className="font-mono text-sm font-semibold text-indigo-700" aria-label={`score ${score(hit.scores.score)}`}>
                        {score(hit.scores.score, 3)}
                      </span>
                    </div>
                    <p className="whitespace-pre-wrap break-words text-sm text-slate-900">{hit.message.content}</p>
                    <div className="mt-3">
                      <MessageMeta message={hit.message} />
                    </div>
                    <Link
                      href={`/conversation/?id=${hit.message.conversation_id}`}
                      className="mt-2 inline-block text-xs text-indigo-700 hover:underline"
                    >
                      in {titles.get(hit.message.conversation_id) ?? `conversation ${shortId(hit.message.conversation_id)}`}
                    </Link>
                  </div>
                  <ScoreBreakdown scores={hit.scores} />
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </>
  );
}
