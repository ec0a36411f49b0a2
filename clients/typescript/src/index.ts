export * from "./client.js";
export * from "./errors.js";
export { IDEMPOTENT_POSTS, retryAfterMs, type RetryOptions, type SessionTokens } from "./transport.js";
export type { components, operations, paths } from "./schema.js";
