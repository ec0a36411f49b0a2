// Memory Mesh quick start in JavaScript (Node 18+ or any browser: only `fetch`).
//
// Registers an account (its own tenant), signs in, stores a short conversation under your
// own conversation id, then searches it and reads it back.
//
//   memory-mesh serve                               # in another terminal
//   node examples/javascript/quickstart.mjs         # MEMORY_MESH_URL=http://127.0.0.1:8000
//
// TypeScript: the same code type-checks once `call` is given a return type, e.g.
// `async function call<T>(...): Promise<T>` with interfaces for the bodies you read.

const BASE_URL = (process.env.MEMORY_MESH_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");

/** One JSON request; throws with the API's error code and message on a 4xx/5xx. */
async function call(method, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(BASE_URL + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json();
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${payload.code}: ${payload.message}`);
  }
  return payload;
}

async function main() {
  const suffix = Math.random().toString(16).slice(2, 10);
  const tenant = `quickstart-js-${suffix}`;
  const account = { email: `js-${suffix}@example.com`, password: "a long enough passphrase" };
  await call("POST", "/v1/auth/register", { ...account, tenant_id: tenant });
  const { access_token: token } = await call("POST", "/v1/auth/login", account);

  // your own conversation id: the first message creates the conversation
  const conversation = "user-123";
  let stored;
  for (const [role, content] of [
    ["user", "I need help with Python programming"],
    ["assistant", "Sure. What are you building?"],
    ["user", "A web scraper; I am allergic to regular expressions."],
  ]) {
    stored = await call(
      "POST",
      "/v1/messages",
      { tenant_id: tenant, conversation_id: conversation, role, content },
      token,
    );
  }
  console.log(
    `stored 3 messages in ${stored.conversation_external_id} (server id ${stored.conversation_id})`,
  );

  const query = new URLSearchParams({
    tenant_id: tenant,
    query: "Python",
    conversation_id: conversation,
    top_k: "3",
  });
  const { results } = await call("GET", `/v1/memory/search?${query}`, undefined, token);
  console.log(`top hit: ${results[0].message.content} (score ${results[0].scores.score.toFixed(3)})`);

  const page = await call(
    "GET",
    `/v1/conversations/${conversation}/messages?tenant_id=${tenant}`,
    undefined,
    token,
  );
  console.log(`conversation ${conversation} holds ${page.items.length} messages`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
