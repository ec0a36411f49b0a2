// Pure logic of the transport (which answers are retried, how long it waits), with a
// scripted fetch: no server here (server.test.ts runs against a real one).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ConnectionError, MemoryMesh, ServerError, retryAfterMs } from "../src/index.js";

const baseUrl = "http://memory-mesh.invalid";
const retry = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };

function scripted(...answers: (Response | Error)[]) {
  const requests: { method: string; key: string | null; body: string }[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    requests.push({ method: request.method, key: request.headers.get("idempotency-key"), body: await request.text() });
    const next = answers.shift();
    if (next === undefined) throw new Error("no answer scripted");
    if (next instanceof Error) throw next;
    return next;
  };
  return { requests, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const unavailable = () => json(503, { code: "datastore_unavailable", message: "down" });
const message = { id: "m1", content: "hi" };

test("Retry-After is read as seconds or as an HTTP date", () => {
  assert.equal(retryAfterMs("2"), 2000);
  assert.equal(retryAfterMs("Thu, 01 Jan 1970 00:00:10 GMT", 4000), 6000);
  assert.equal(retryAfterMs("soon"), null);
});

test("a keyed write answered 503 is retried with the same key and the same body", async () => {
  const server = scripted(unavailable(), unavailable(), json(201, message));
  const client = new MemoryMesh({ baseUrl, apiKey: "mm_x", retry, fetch: server.fetch });
  assert.deepEqual(await client.remember({ conversation_id: "c", role: "user", content: "hi" }), message);
  assert.equal(server.requests.length, 3);
  assert.equal(new Set(server.requests.map((r) => r.key)).size, 1);
  assert.ok(server.requests[0]?.key);
  assert.equal(new Set(server.requests.map((r) => r.body)).size, 1);
});

test("a POST that does not honour Idempotency-Key is not retried after a 503", async () => {
  const server = scripted(unavailable(), json(200, {}));
  const client = new MemoryMesh({ baseUrl, apiKey: "mm_x", retry, fetch: server.fetch });
  await assert.rejects(
    client.search({ query: "q" }),
    (error: unknown) => error instanceof ServerError && error.code === "datastore_unavailable",
  );
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]?.key, null);
});

test("connection errors are retried for reads and give up with ConnectionError", async () => {
  const server = scripted(new TypeError("fetch failed"), json(200, message));
  const client = new MemoryMesh({ baseUrl, apiKey: "mm_x", retry, fetch: server.fetch });
  assert.deepEqual(await client.getMessage("m1"), message);
  const down = scripted(...Array.from({ length: 4 }, () => new TypeError("fetch failed")));
  const gone = new MemoryMesh({ baseUrl, apiKey: "mm_x", retry, fetch: down.fetch });
  await assert.rejects(gone.getMessage("m1"), ConnectionError);
  assert.equal(down.requests.length, 4);
});

test("a key still in flight (409 with Retry-After) is retried", async () => {
  const server = scripted(
    json(409, { code: "request_in_progress", message: "busy" }, { "retry-after": "0" }),
    json(201, message),
  );
  const client = new MemoryMesh({ baseUrl, apiKey: "mm_x", retry, fetch: server.fetch });
  assert.deepEqual(await client.createConversation({ title: "t" }), message);
  assert.equal(server.requests.length, 2);
});
