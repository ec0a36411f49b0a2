"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { LiveStatusPill } from "@/components/LiveStatusPill";
import { MessageItem, RoleBadge } from "@/components/messages";
import { Button, Card, Checkbox, EmptyState, Loading, PageHeader, SelectField, Stat, TextArea, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { count, formatTime, percent, relativeTime, score, shortId } from "@/lib/format";
import { useLoad, usePagedList } from "@/lib/hooks";
import { notifyError, notifySuccess } from "@/lib/notify";
import { useSession } from "@/lib/session";
import { useLiveMessages } from "@/lib/useLive";
import { type ConversationStats, isMessageFrame, type Message, type Role, ROLES } from "@/lib/types";

const PAGE_SIZE = 50;

function StatsPanel({ stats }: { stats: ConversationStats }) {
  return (
    <div className="mb-6 grid gap-3">
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label="Messages" value={count(stats.message_count)} hint={`${count(stats.archived_count)} archived`} />
        <Stat
          label="Embedded"
          value={percent(stats.embedding_coverage)}
          hint={`${count(stats.embedded_count)} ready · ${count(stats.pending_count)} pending · ${count(stats.failed_count)} failed`}
        />
        <Stat label="Mean importance" value={score(stats.mean_importance)} />
        <Stat
          label="Last message"
          value={relativeTime(stats.last_message_at)}
          hint={`${formatTime(stats.last_message_at)}; first ${formatTime(stats.first_message_at)}`}
        />
      </dl>
      {Object.keys(stats.by_role).length > 0 && (
        <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600" aria-label="Messages by role">
          {Object.entries(stats.by_role).map(([role, n]) => (
            <span key={role} className="inline-flex items-center gap-1.5">
              <RoleBadge role={role as Role} /> {count(n)}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

function AddMessage({ conversationId, onStored }: { conversationId: string; onStored: (m: Message) => void }) {
  const { api, tenant } = useSession();
  const [role, setRole] = useState<Role>("user");
  const [content, setContent] = useState("");
  const [importance, setImportance] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event?: React.FormEvent) {
    event?.preventDefault();
    if (!tenant || !content.trim()) return;
    setBusy(true);
    try {
      const stored = await endpoints.createMessage(api, tenant, {
        conversation_id: conversationId,
        role,
        content,
        importance: importance === "" ? undefined : Number(importance),
      });
      setContent("");
      setImportance("");
      onStored(stored);
      notifySuccess("Message stored");
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-3" aria-label="Store a message">
      <TextArea
        label="Message"
        rows={3}
        required
        value={content}
        onChange={(e) => setContent(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit();
        }}
        hint="Ctrl+Enter stores it."
      />
      <div className="grid grid-cols-2 gap-3 sm:flex sm:items-end">
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Importance"
          type="number"
          min={0}
          max={1}
          step={0.05}
          placeholder="auto"
          value={importance}
          onChange={(e) => setImportance(e.target.value)}
        />
        <Button type="submit" loading={busy} className="col-span-2 sm:ml-auto">
          Store message
        </Button>
      </div>
    </form>
  );
}

export function ConversationScreen() {
  const params = useSearchParams();
  const id = params.get("id") ?? "";
  const { api, tenant } = useSession();
  const router = useRouter();
  const tenantId = tenant ?? "";
  const [includeArchived, setIncludeArchived] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const key = tenant && id ? `${tenant}/${id}` : null;

  const conversation = useLoad(key, () => endpoints.getConversation(api, tenantId, id));
  const stats = useLoad(key, () => endpoints.conversationStats(api, tenantId, id));
  const messages = usePagedList(key ? `${key}/${includeArchived}` : null, (cursor) =>
    endpoints.conversationMessages(api, tenantId, id, { cursor, limit: PAGE_SIZE, includeArchived }),
  );

  // live: new messages join the end (when the last page is shown), changes replace
  const statsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadStats = stats.reload;
  const refreshStats = useCallback(() => {
    if (statsTimer.current) clearTimeout(statsTimer.current);
    statsTimer.current = setTimeout(() => void reloadStats(), 800);
  }, [reloadStats]);
  useEffect(() => () => {
    if (statsTimer.current) clearTimeout(statsTimer.current);
  }, []);
  const { setItems } = messages;
  const atEnd = !messages.nextCursor;
  const upsert = useCallback(
    (message: Message, append: boolean) =>
      setItems((items) => {
        const at = items.findIndex((m) => m.id === message.id);
        if (at >= 0) return items.map((m, i) => (i === at ? message : m));
        return append ? [...items, message] : items;
      }),
    [setItems],
  );
  const live = useLiveMessages({ tenant, conversationId: id || null, enabled: Boolean(key) }, (frame) => {
    if (!isMessageFrame(frame) || frame.message.conversation_id !== id) return;
    if (frame.type === "message.deleted") setItems((items) => items.filter((m) => m.id !== frame.message.id));
    else upsert(frame.message, frame.type === "message.created" && atEnd);
    refreshStats();
  });

  if (!id) {
    return <EmptyState title="No conversation chosen">Pick one on the Conversations screen.</EmptyState>;
  }

  async function remove() {
    try {
      const gone = await endpoints.deleteConversation(api, tenantId, id);
      notifySuccess(`Conversation deleted with ${gone.deleted_messages} messages`);
      router.push("/conversations/");
    } catch (error) {
      notifyError(error);
    }
  }

  const title = conversation.data?.title || (conversation.loading ? "Conversation" : "Untitled conversation");

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href="/conversations/" className="text-indigo-700 hover:underline">
          ← Conversations
        </Link>
      </nav>
      <PageHeader
        title={title}
        description={
          <span className="font-mono" title={id}>
            {shortId(id)}
            {conversation.data ? ` · created ${formatTime(conversation.data.created_at)}` : ""}
          </span>
        }
        actions={
          <>
            <LiveStatusPill state={live} />
            <Link
              href={`/search/?conversation_id=${id}`}
              className="rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 ring-1 ring-inset ring-indigo-200 hover:bg-indigo-50"
            >
              Search in it
            </Link>
            {confirmDelete ? (
              <span className="flex items-center gap-2" role="group" aria-label="Confirm deletion">
                <Button variant="danger" size="sm" onClick={() => void remove()} autoFocus>
                  Delete with all messages
                </Button>
                <Button variant="ghost" size="sm" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </Button>
              </span>
            ) : (
              <Button variant="secondary" size="sm" onClick={() => setConfirmDelete(true)}>
                Delete…
              </Button>
            )}
          </>
        }
      />
      {stats.data ? <StatsPanel stats={stats.data} /> : stats.loading ? <Loading label="Loading statistics…" /> : null}
      <Card className="mb-6">
        <AddMessage
          conversationId={id}
          onStored={(m) => {
            if (atEnd) upsert(m, true);
            refreshStats();
          }}
        />
      </Card>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-semibold">Messages</h2>
        <Checkbox label="Include archived" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} />
      </div>
      {messages.loading ? (
        <Loading label="Loading messages…" />
      ) : messages.items.length === 0 ? (
        <EmptyState title={messages.failed ? "Could not load messages" : "No messages yet"}>
          {messages.failed ? "Try again in a moment." : "Store one above, or through POST /v1/messages."}
        </EmptyState>
      ) : (
        <>
          <ol className="grid gap-3" aria-label="Messages, oldest first">
            {messages.items.map((m) => (
              <MessageItem key={m.id} message={m} />
            ))}
          </ol>
          {messages.nextCursor && (
            <div className="mt-4 flex justify-center">
              <Button variant="secondary" loading={messages.loadingMore} onClick={() => void messages.loadMore()}>
                Load more
              </Button>
            </div>
          )}
        </>
      )}
    </>
  );
}
