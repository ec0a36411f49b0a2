"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { Button, Card, EmptyState, Loading, PageHeader, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { count, formatTime, percent, relativeTime, score, shortId } from "@/lib/format";
import { usePagedList } from "@/lib/hooks";
import { notifyError, notifySuccess } from "@/lib/notify";
import { useSession } from "@/lib/session";
import type { ConversationStats } from "@/lib/types";

const PAGE_SIZE = 20;

/** Statistics of the listed conversations, a few requests at a time (rate limits). */
function useStats(tenant: string, ids: string[]) {
  const { api } = useSession();
  const [stats, setStats] = useState<Record<string, ConversationStats | "error">>({});
  const wanted = ids.join(",");

  useEffect(() => {
    setStats({});
  }, [tenant]);

  useEffect(() => {
    let cancelled = false;
    const queue = wanted ? wanted.split(",") : [];
    async function worker() {
      for (let id = queue.shift(); id !== undefined && !cancelled; id = queue.shift()) {
        const current = id;
        try {
          const figures = await endpoints.conversationStats(api, tenant, current);
          if (!cancelled) setStats((s) => ({ ...s, [current]: figures }));
        } catch {
          if (!cancelled) setStats((s) => ({ ...s, [current]: "error" }));
        }
      }
    }
    void Promise.all([worker(), worker(), worker()]);
    return () => {
      cancelled = true;
    };
  }, [api, tenant, wanted]);

  return stats;
}

function NewConversation({ onCreated }: { onCreated: () => void }) {
  const { api, tenant } = useSession();
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!tenant) return;
    setBusy(true);
    try {
      const made = await endpoints.createConversation(api, tenant, title.trim() || undefined);
      notifySuccess(`Conversation ${made.title ?? shortId(made.id)} created`);
      setTitle("");
      onCreated();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3 sm:flex-row sm:items-end" aria-label="New conversation">
      <TextField
        label="New conversation"
        placeholder="Title (optional)"
        className="flex-1"
        maxLength={500}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <Button type="submit" loading={busy}>
        Create
      </Button>
    </form>
  );
}

export function ConversationsScreen() {
  const { api, tenant } = useSession();
  const tenantId = tenant ?? "";
  const list = usePagedList(tenant, (cursor) => endpoints.listConversations(api, tenantId, cursor, PAGE_SIZE));
  const stats = useStats(tenantId, list.items.map((c) => c.id));

  return (
    <>
      <PageHeader
        title="Conversations"
        description={
          <>
            Newest first, in tenant <span className="font-mono">{tenantId}</span>.
          </>
        }
      />
      <Card className="mb-6">
        <NewConversation onCreated={() => void list.reload()} />
      </Card>
      {list.loading ? (
        <Loading label="Loading conversations…" />
      ) : list.items.length === 0 ? (
        <EmptyState title={list.failed ? "Could not load conversations" : "No conversations yet"}>
          {list.failed
            ? "Try again in a moment."
            : "Create one above, or store messages through the API (POST /v1/conversations, then /v1/messages)."}
        </EmptyState>
      ) : (
        <>
          <ul className="grid gap-3" aria-label="Conversations">
            {list.items.map((conversation) => {
              const figures = stats[conversation.id];
              const ready = figures && figures !== "error" ? figures : null;
              return (
                <li key={conversation.id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                  <div className="flex flex-wrap items-baseline justify-between gap-2">
                    <Link
                      href={`/conversation/?id=${conversation.id}`}
                      className="min-w-0 truncate text-base font-semibold text-indigo-700 hover:underline"
                    >
                      {conversation.title || "Untitled conversation"}
                    </Link>
                    <span className="font-mono text-xs text-slate-500" title={conversation.id}>
                      {shortId(conversation.id)} · created {formatTime(conversation.created_at)}
                    </span>
                  </div>
                  <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4">
                    <Figure label="Messages" value={ready ? count(ready.message_count) : figures === "error" ? "—" : "…"} />
                    <Figure label="Embedded" value={ready ? percent(ready.embedding_coverage) : figures === "error" ? "—" : "…"} />
                    <Figure label="Mean importance" value={ready ? score(ready.mean_importance) : figures === "error" ? "—" : "…"} />
                    <Figure label="Last message" value={ready ? relativeTime(ready.last_message_at) : figures === "error" ? "—" : "…"} />
                  </dl>
                </li>
              );
            })}
          </ul>
          {list.nextCursor && (
            <div className="mt-4 flex justify-center">
              <Button variant="secondary" loading={list.loadingMore} onClick={() => void list.loadMore()}>
                Load more
              </Button>
            </div>
          )}
        </>
      )}
    </>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="font-medium tabular-nums text-slate-900">{value}</dd>
    </div>
  );
}
