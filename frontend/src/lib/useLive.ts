"use client";

import { useEffect, useRef, useState } from "react";
import { LiveConnection, type LiveStatus, liveMessagesUrl } from "./live";
import { useSession } from "./session";
import type { LiveFrame } from "./types";

export interface LiveState {
  status: LiveStatus;
  detail: string | null;
}

/** Subscribe to the tenant's message events (optionally one conversation's) while mounted. */
export function useLiveMessages(
  options: { tenant: string | null; conversationId?: string | null; enabled?: boolean },
  onFrame: (frame: LiveFrame) => void,
): LiveState {
  const { api } = useSession();
  const [state, setState] = useState<LiveState>({ status: "connecting", detail: null });
  const handler = useRef(onFrame);
  handler.current = onFrame;
  const { tenant, conversationId, enabled = true } = options;

  useEffect(() => {
    if (!tenant || !enabled) {
      setState({ status: "stopped", detail: null });
      return;
    }
    const connection = new LiveConnection({
      url: liveMessagesUrl(tenant, conversationId),
      credential: async (renew) => {
        if (renew) await api.refresh();
        return api.freshAccessToken();
      },
      onFrame: (frame) => handler.current(frame),
      onStatus: (status, detail) => setState({ status, detail: detail ?? null }),
    });
    connection.start();
    return () => connection.stop();
  }, [api, tenant, conversationId, enabled]);

  return state;
}
