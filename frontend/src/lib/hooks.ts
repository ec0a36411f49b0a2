"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { notifyError } from "./notify";
import type { Page } from "./types";

export interface PagedList<T> {
  items: T[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  failed: boolean;
  loadMore: () => Promise<void>;
  reload: () => Promise<void>;
  setItems: React.Dispatch<React.SetStateAction<T[]>>;
}

/** A cursor-paged listing: the first page on mount (and when `key` changes), more on demand.
 * Answers for an older `key` (say, the previous tenant) are dropped. */
export function usePagedList<T>(key: string | null, loadPage: (cursor: string | null) => Promise<Page<T>>): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [failed, setFailed] = useState(false);
  const generation = useRef(0);
  const loader = useRef(loadPage);
  loader.current = loadPage;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    setFailed(false);
    try {
      const page = await loader.current(null);
      if (mine !== generation.current) return;
      setItems(page.items);
      setNextCursor(page.next_cursor);
    } catch (error) {
      if (mine !== generation.current) return;
      setItems([]);
      setNextCursor(null);
      setFailed(true);
      notifyError(error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (key === null) return;
    void reload();
  }, [key, reload]);

  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await loader.current(nextCursor);
      if (mine !== generation.current) return;
      setItems((current) => [...current, ...page.items]);
      setNextCursor(page.next_cursor);
    } catch (error) {
      notifyError(error);
    } finally {
      setLoadingMore(false);
    }
  }, [nextCursor]);

  return { items, nextCursor, loading, loadingMore, failed, loadMore, reload, setItems };
}

/** Run `load` when `key` changes; the latest answer wins. */
export function useLoad<T>(key: string | null, load: () => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [loading, setLoading] = useState(true);
  const [failed, setFailed] = useState(false);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    setFailed(false);
    try {
      const value = await loader.current();
      if (mine === generation.current) setData(value);
    } catch (error) {
      if (mine === generation.current) {
        setFailed(true);
        notifyError(error);
      }
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (key === null) return;
    void reload();
  }, [key, reload]);

  return { data, loading, failed, reload, setData };
}
