"use client";

import Link from "next/link";
import { useRef, useState } from "react";
import { LiveStatusPill } from "@/components/LiveStatusPill";
import { MessageMeta } from "@/components/messages";
import { Badge, Button, EmptyState, PageHeader, SelectField } from "@/components/ui";
import { ApiError } from "@/lib/api";
import * as endpoints from "@/lib/endpoints";
import { formatTime, shortId } from "@/lib/format";
import { useLoad } from "@/lib/hooks";
import { notifyError } from "@/lib/notify";
import { useSession } from "@/lib/session";
import { isMessageFrame, type LiveEventType, type LiveFrame, type Message } from "@/lib/types";
import { useLiveMessages } from "@/lib/useLive";

export interface FeedEvent {
  key: string;
  type: LiveEventType;
  time: string;
  message: Message;
}

const MAX_EVENTS = 200;

const TYPE_LOOK: Record<LiveEventType, { label: string; tone: "green" | "sky" | "indigo" | "rose" }> = {
  "message.created": { label: "created", tone: "green" },
  "message.updated": { label: "updated", tone: "sky" },
  "message.embedded": { label: "embedded", tone: "indigo" },
  "message.deleted": { label: "deleted", tone: "rose" },
};

/** Add a frame to the feed (newest first, capped); other frames leave it unchanged. */
export function addToFeed(events: FeedEvent[], frame: LiveFrame, sequence: number): FeedEvent[] {
  if (!isMessageFrame(frame)) return events;
  const event: FeedEvent = {
    key: `${sequence}:${frame.type}:${frame.message.id}`,
    type: frame.type,
    time: frame.time,
    message: frame.message,
  };
  return [event, ...events].slice(0, MAX_EVENTS);
}

export function LiveFeed({ events }: { events: FeedEvent[] }) {
  if (events.length === 0) {
    return (
      <EmptyState title="Waiting for messages…">
        New, changed, embedded and deleted messages of this tenant appear here as they happen. Store one on a
        conversation&apos;s page or through <span className="font-mono">POST /v1/messages</span>.
      </EmptyState>
    );
  }
  return (
    <ol className="grid gap-3" aria-label="Live events, newest first" aria-live="polite" aria-relevant="additions">
      {events.map((event) => {
        const look = TYPE_LOOK[event.type];
        return (
          <li key={event.key} data-testid="live-event" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <div className="mb-2 flex flex-wrap items-center gap-2 text-xs text-slate-500">
              <Badge tone={look.tone}>{look.label}</Badge>
              <time dateTime={event.time}>{formatTime(event.time)}</time>
              <Link href={`/conversation/?id=${event.message.conversation_id}`} className="text-indigo-700 hover:underline">
                conversation {shortId(event.message.conversation_id)}
              </Link>
            </div>
            <p className="line-clamp-4 whitespace-pre-wrap break-words text-sm text-slate-900">{event.message.content}</p>
            <div className="mt-2">
              <MessageMeta message={event.message} />
            </div>
          </li>
        );
      })}
    </ol>
  );
}

export function LiveScreen() {
  const { api, tenant } = useSession();
  const tenantId = tenant ?? "";
  const [conversationId, setConversationId] = useState("");
  const [paused, setPaused] = useState(false);
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const sequence = useRef(0);
  const conversations = useLoad(tenant, () => endpoints.listConversations(api, tenantId, null, 100));

  const live = useLiveMessages({ tenant, conversationId: conversationId || null, enabled: !paused }, (frame) => {
    if (frame.type === "error") {
      notifyError(new ApiError(0, frame.code, frame.message));
      return;
    }
    const n = ++sequence.current;
    setEvents((current) => addToFeed(current, frame, n));
  });

  return (
    <>
      <PageHeader
        title="Live feed"
        description={
          <>
            Message events of tenant <span className="font-mono">{tenantId}</span>, over the WebSocket.
          </>
        }
        actions={<LiveStatusPill state={live} />}
      />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <SelectField
          label="Conversation"
          className="min-w-0 flex-1 sm:max-w-sm"
          value={conversationId}
          onChange={(e) => setConversationId(e.target.value)}
        >
          <option value="">All conversations</option>
          {(conversations.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.title || `Untitled ${shortId(c.id)}`}
            </option>
          ))}
        </SelectField>
        <Button variant="secondary" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </Button>
        <Button variant="ghost" onClick={() => setEvents([])} disabled={events.length === 0}>
          Clear
        </Button>
      </div>
      <LiveFeed events={events} />
    </>
  );
}
