// The client against a real `memory-mesh serve` (started by tests/e2e/test_typescript_client.py,
// which passes its URL and credentials in the environment).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import {
  AuthenticationError,
  InvalidRequestError,
  MemoryMesh,
  MemoryMeshError,
  NotFoundError,
  PermissionDeniedError,
  type SessionTokens,
} from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through tests/e2e/test_typescript_client.py`);
  return value;
}

const baseUrl = env("MEMORY_MESH_URL");
const apiKey = env("MEMORY_MESH_API_KEY");
const client = new MemoryMesh({ baseUrl, apiKey });

interface Seen {
  method: string;
  status: number;
  key: string | null;
}

/** A fetch that records each attempt's method, status and Idempotency-Key. */
function recording(inner: (request: Request) => Promise<Response> = (request) => fetch(request)) {
  const seen: Seen[] = [];
  const wrapped = async (request: Request): Promise<Response> => {
    const key = request.headers.get("idempotency-key");
    const response = await inner(request);
    seen.push({ method: request.method, status: response.status, key });
    return response;
  };
  return { seen, fetch: wrapped };
}

function typed<E extends MemoryMeshError>(kind: new (...args: never[]) => E, status: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.notEqual(error.code, `http_${status}`); // the server's own code, not a fallback
    return true;
  };
}

test("a stored message is found by meaning and counted in its conversation's stats", async () => {
  const conversation = await client.createConversation({ title: "ts client" });
  const stored = await client.remember({
    conversation_id: conversation.id,
    role: "user",
    content: "I am allergic to peanuts",
  });
  assert.equal(stored.conversation_id, conversation.id);
  const found = await client.search({ query: "what food should I avoid", conversation_id: conversation.id });
  assert.equal(found.results[0]?.message.id, stored.id);
  assert.ok((found.results[0]?.scores.score ?? 0) > 0);
  const stats = await client.conversationStats(conversation.id);
  assert.equal(stats.message_count, 1);
  assert.equal((await client.getMessage(stored.id)).content, "I am allergic to peanuts");
  const changed = await client.updateMessage(stored.id, { content: "I am allergic to tree nuts" });
  assert.equal(changed.content, "I am allergic to tree nuts");
  await client.forget(stored.id);
  await assert.rejects(client.getMessage(stored.id), typed(NotFoundError, 404));
});

test("the page iterator walks every page of a list in order", async () => {
  const conversation = await client.createConversation({ title: "pages" });
  const contents = Array.from({ length: 7 }, (_, i) => `note number ${i}`);
  const batch = await client.rememberMany({
    items: contents.map((content) => ({ conversation_id: conversation.id, role: "user" as const, content })),
  });
  assert.equal(batch.succeeded, 7);
  const pages = recording();
  const paged = new MemoryMesh({ baseUrl, apiKey, fetch: pages.fetch });
  const read: string[] = [];
  for await (const message of paged.conversationMessages(conversation.id, { limit: 3 })) read.push(message.content);
  // the same order as one page holding them all (one batch shares its created_at)
  const whole = await client.api.GET("/v1/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: conversation.id }, query: { limit: 100 } },
  });
  assert.deepEqual(read, whole.data?.items.map((m) => m.content));
  assert.deepEqual([...read].sort(), contents);
  assert.equal(pages.seen.filter((s) => s.status === 200).length, 3); // 3 + 3 + 1
  const titles: (string | null)[] = [];
  for await (const c of client.conversations({ limit: 2 })) titles.push(c.title);
  assert.ok(titles.includes("pages") && titles.includes("ts client"));
});

test("a write whose answer was lost is retried with its key and stored once", async () => {
  const conversation = await client.createConversation({ title: "lost answer" });
  let lost = false;
  // the first attempt reaches the server and is stored; its answer never reaches the caller
  const lossy = recording(async (request) => {
    const response = await fetch(request);
    if (!lost) {
      lost = true;
      throw new TypeError("fetch failed: socket hang up");
    }
    return response;
  });
  const flaky = new MemoryMesh({ baseUrl, apiKey, fetch: lossy.fetch });
  const stored = await flaky.remember({ conversation_id: conversation.id, role: "user", content: "only once" });
  assert.ok(lost);
  const keys = new Set(lossy.seen.map((s) => s.key));
  assert.equal(keys.size, 1);
  assert.match(String([...keys][0]), /^[0-9a-f-]{36}$/);
  const messages = [];
  for await (const m of client.conversationMessages(conversation.id)) messages.push(m.id);
  assert.deepEqual(messages, [stored.id]);
});

test("requests refused with 429 are retried after Retry-After and all succeed", async () => {
  const burst = recording();
  const limited = new MemoryMesh({ baseUrl, apiKey: env("MEMORY_MESH_BURST_KEY"), fetch: burst.fetch });
  const count = Number(env("MEMORY_MESH_BURST_LIMIT")) + 4;
  const answers = await Promise.all(Array.from({ length: count }, () => limited.me()));
  assert.ok(answers.every((me) => me.kind === "api_key"));
  assert.ok(burst.seen.some((s) => s.status === 429), "the burst never met the rate limit");
  assert.equal(burst.seen.filter((s) => s.status === 200).length, count);
});

test("errors are typed and carry the server's code", async () => {
  await assert.rejects(client.getMessage(randomUUID()), typed(NotFoundError, 404));
  const wrongRole = { conversation_id: randomUUID(), role: "narrator", content: "x" } as unknown as Parameters<
    MemoryMesh["remember"]
  >[0];
  await assert.rejects(client.remember(wrongRole), (error: unknown) => {
    assert.ok(typed(InvalidRequestError, 422)(error) && error instanceof InvalidRequestError);
    assert.equal(error.code, "validation_error");
    assert.ok(error.details?.some((d) => String(d.field).includes("role")));
    return true;
  });
  const reader = new MemoryMesh({ baseUrl, apiKey: env("MEMORY_MESH_READ_KEY") });
  await assert.rejects(reader.createConversation({ title: "not allowed" }), typed(PermissionDeniedError, 403));
  const stranger = new MemoryMesh({ baseUrl, apiKey: "mm_forged" });
  await assert.rejects(stranger.me(), typed(AuthenticationError, 401));
});

test("a session refreshes its expired access token once and hands over the new refresh token", async () => {
  const credentials = { email: env("MEMORY_MESH_EMAIL"), password: env("MEMORY_MESH_PASSWORD") };
  const issued: SessionTokens[] = [];
  const signedIn = await MemoryMesh.login({ baseUrl, onTokens: (t) => issued.push(t) }, credentials);
  assert.equal((await signedIn.me()).kind, "user");
  const first = issued[0]!;
  // an access token the server refuses, with a refresh token that still works
  const expired = new MemoryMesh({
    baseUrl,
    session: { accessToken: "not-a-valid-token", refreshToken: first.refreshToken },
    onTokens: (t) => issued.push(t),
  });
  assert.equal((await expired.me()).email, credentials.email);
  assert.equal(issued.length, 2);
  assert.notEqual(issued[1]!.refreshToken, first.refreshToken);
  assert.deepEqual(expired.session, issued[1]);
  // the spent refresh token is refused: the 401 reaches the caller, typed
  const replayed = new MemoryMesh({ baseUrl, session: { accessToken: "x", refreshToken: first.refreshToken } });
  await assert.rejects(replayed.me(), typed(AuthenticationError, 401));
});
