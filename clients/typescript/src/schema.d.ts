// Generated from openapi.json by scripts/generate.mjs (npm run generate): do not edit.

export interface paths {
    "/v1/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create an account and its first tenant (you are its admin) */
        post: operations["register_v1_auth_register_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in: an access token (Bearer) and a refresh token
         * @description Name the account by `email` or `username` (either field; `email` may also hold the username). Repeated failures for one account are throttled (429 with Retry-After).
         */
        post: operations["login_v1_auth_login_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Trade a refresh token for a new pair (the old one is spent)
         * @description Using a spent refresh token again revokes the whole session.
         */
        post: operations["refresh_v1_auth_refresh_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke the session a refresh token belongs to */
        post: operations["logout_v1_auth_logout_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the credential is and what it may touch */
        get: operations["me_v1_auth_me_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create another tenant */
        post: operations["create_tenant_v1_auth_tenants_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/tenants/{tenant_id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Give an existing user a role in a tenant (tenant admins only) */
        post: operations["add_member_v1_auth_tenants__tenant_id__members_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a tenant's API keys (never the keys themselves) */
        get: operations["list_api_keys_v1_auth_api_keys_get"];
        put?: never;
        /** Create an API key for one tenant (shown once) */
        post: operations["create_api_key_v1_auth_api_keys_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/api-keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key (effective at once) */
        delete: operations["revoke_api_key_v1_auth_api_keys__key_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Store many messages
         * @description Each item is validated on its own; valid items are stored in one statement. The answer reports every item: `created`, `existing` (same client id) or `error`.
         */
        post: operations["create_batch_v1_messages_batch_post"];
        /** Delete many messages */
        delete: operations["delete_batch_v1_messages_batch_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages/batch/update": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Change many messages */
        put: operations["update_batch_v1_messages_batch_update_put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Store a message
         * @description Stored and embedded: in inline mode before answering (embedded first and stored with its vector; if the embedding fails, stored `pending` and retried), in async mode in the background. A retry with the same `id` answers 200 with the stored message.
         */
        post: operations["create_message_v1_messages_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages/{message_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a message */
        get: operations["get_message_v1_messages__message_id__get"];
        /**
         * Change a message
         * @description Only the fields sent change. New content is re-embedded.
         */
        put: operations["update_message_v1_messages__message_id__put"];
        post?: never;
        /** Delete a message */
        delete: operations["delete_message_v1_messages__message_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/memory/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search memories
         * @description Candidates are found inside PostgreSQL (exact distance over a small tenant or conversation, the HNSW index over a large one; BM25 for keywords) and ranked by `score = relevance * (w_rel + w_imp*importance + w_rec*recency)` (weights normalised; recency = 0.5^(age/half-life), age from `reference_time` or now): importance and recency reorder related hits, never lift an unrelated one. Relevance is absolute (similarity, BM25 over the query's best, or in hybrid 0.4 x similarity + 0.6 x keyword), so `min_score` 0.1 drops unrelated hits. Each result carries its score parts. Archived messages are left out unless `include_archived` is true.
         */
        get: operations["search_get_v1_memory_search_get"];
        put?: never;
        /**
         * Search memories (JSON body)
         * @description Candidates are found inside PostgreSQL (exact distance over a small tenant or conversation, the HNSW index over a large one; BM25 for keywords) and ranked by `score = relevance * (w_rel + w_imp*importance + w_rec*recency)` (weights normalised; recency = 0.5^(age/half-life), age from `reference_time` or now): importance and recency reorder related hits, never lift an unrelated one. Relevance is absolute (similarity, BM25 over the query's best, or in hybrid 0.4 x similarity + 0.6 x keyword), so `min_score` 0.1 drops unrelated hits. Each result carries its score parts. Archived messages are left out unless `include_archived` is true. Same as GET, with the parameters in a JSON body.
         */
        post: operations["search_post_v1_memory_search_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List conversations, newest first */
        get: operations["list_conversations_v1_conversations_get"];
        put?: never;
        /** Create a conversation */
        post: operations["create_conversation_v1_conversations_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversation_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a conversation */
        get: operations["get_conversation_v1_conversations__conversation_id__get"];
        /** Change a conversation's title or metadata */
        put: operations["update_conversation_v1_conversations__conversation_id__put"];
        post?: never;
        /** Delete a conversation and its messages */
        delete: operations["delete_conversation_v1_conversations__conversation_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversation_id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A conversation's messages, oldest first
         * @description Reading order: by `created_at`, and messages with the same `created_at` (a batch sent without times shares its request's) in the order they were stored, as their context and the export have them. `next_cursor` resumes after the page's last message; if that message is deleted meanwhile, the next page starts again at its `created_at`, so a message of the same time may come twice but none is skipped.
         */
        get: operations["conversation_messages_v1_conversations__conversation_id__messages_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversation_id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A conversation's statistics */
        get: operations["conversation_stats_v1_conversations__conversation_id__stats_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversation_id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export a conversation as JSON Lines */
        get: operations["export_conversation_v1_conversations__conversation_id__export_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: operations["health_v1_admin_health_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/readiness": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: each dependency checked, with its latency */
        get: operations["readiness_v1_admin_readiness_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/embeddings/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Re-queue failed embeddings
         * @description Messages whose embedding failed every attempt go back to pending with fresh attempts; the worker embeds them. Optionally for one tenant only.
         */
        post: operations["replay_failed_v1_admin_embeddings_replay_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/retention/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List retention rules */
        get: operations["list_rules_v1_admin_retention_rules_get"];
        put?: never;
        /** Create a retention rule */
        post: operations["create_rule_v1_admin_retention_rules_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/retention/rules/{rule_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a retention rule */
        get: operations["get_rule_v1_admin_retention_rules__rule_id__get"];
        /** Change a retention rule */
        put: operations["update_rule_v1_admin_retention_rules__rule_id__put"];
        post?: never;
        /** Delete a retention rule */
        delete: operations["delete_rule_v1_admin_retention_rules__rule_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/retention/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Apply retention now (or a dry run)
         * @description Applies the tenant's enabled rules in priority order, then the default policy, in batches; answers with the recorded run. A dry run counts what each step would archive or delete, with sample ids, and changes nothing. Safe to repeat or to run while the schedule runs: no message is acted on twice.
         */
        post: operations["run_retention_v1_admin_retention_run_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/retention/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Retention runs, newest first */
        get: operations["list_runs_v1_admin_retention_runs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/retention/runs/{run_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One retention run */
        get: operations["get_run_v1_admin_retention_runs__run_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/analytics/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Usage in a date range */
        get: operations["usage_v1_analytics_usage_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/analytics/trends": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Messages over time */
        get: operations["trends_v1_analytics_trends_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/analytics/top-conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The busiest conversations in a date range */
        get: operations["top_conversations_v1_analytics_top_conversations_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/analytics/embedding-stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Embedding coverage, failures, models and latency */
        get: operations["embedding_stats_v1_analytics_embedding_stats_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export the whole tenant as JSON Lines (tenant admins) */
        get: operations["export_tenant_v1_export_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import JSON Lines (an export) into a tenant
         * @description The body is read line by line and written in batches through the normal message path (each message is embedded as usual). Bad lines are reported with their line numbers and skipped. Re-importing the same file changes nothing. `ids=preserve` keeps ids; `ids=remap` derives new stable ids (to copy into another tenant of the same database). Bodies are capped by MEMORY_MAX_REQUEST_BYTES: split larger files at line boundaries (conversation lines before their messages).
         */
        post: operations["import_tenant_v1_import_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search memories (old path)
         * @deprecated
         * @description **Deprecated** since 2026-11-28; it may stop answering after 2027-06-01. Use `/v1/memory/search` instead.
         *
         *     The first path of `GET /v1/memory/search`, kept for existing clients; same parameters and answer.
         */
        get: operations["search_get_v1_search_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** ApiKeyIn */
        ApiKeyIn: {
            /** Tenant Id */
            tenant_id?: string | null;
            /**
             * Name
             * @example chatbot production
             */
            name: string;
            /** Scopes */
            scopes?: components["schemas"]["Scope"][];
            /** Expires In Days */
            expires_in_days?: number | null;
        };
        /** ApiKeyOut */
        ApiKeyOut: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Tenant Id */
            tenant_id: string;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description First characters of the key, to recognise it.
             */
            prefix: string;
            /** Scopes */
            scopes: string[];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Expires At */
            expires_at: string | null;
            /** Last Used At */
            last_used_at: string | null;
            /** Revoked At */
            revoked_at: string | null;
        };
        /** BatchItemOut */
        BatchItemOut: {
            /** Index */
            index: number;
            /**
             * Status
             * @enum {string}
             */
            status: "created" | "existing" | "updated" | "deleted" | "error";
            /** Id */
            id?: string | null;
            message?: components["schemas"]["MessageOut"] | null;
            error?: components["schemas"]["ItemError"] | null;
        };
        /** BatchOut */
        BatchOut: {
            /** Succeeded */
            succeeded: number;
            /** Failed */
            failed: number;
            /** Results */
            results: components["schemas"]["BatchItemOut"][];
        };
        /** BucketOut */
        BucketOut: {
            /**
             * Bucket Start
             * Format: date-time
             */
            bucket_start: string;
            /** Messages */
            messages: number;
            /** User Messages */
            user_messages: number;
            /** Assistant Messages */
            assistant_messages: number;
            /** System Messages */
            system_messages: number;
            /** Tool Messages */
            tool_messages: number;
            /** Active Conversations */
            active_conversations: number;
            /** Mean Importance */
            mean_importance: number | null;
        };
        /** CheckOut */
        CheckOut: {
            /** Name */
            name: string;
            /** Ok */
            ok: boolean;
            /** Latency Ms */
            latency_ms: number;
            /** Detail */
            detail?: string | null;
        };
        /** ConditionsIn */
        ConditionsIn: {
            /**
             * Older Than Days
             * @description Created more than this many days before the run started.
             * @example 90
             */
            older_than_days?: number | null;
            /**
             * Importance Below
             * @description Importance strictly below this (0 < x <= 1).
             * @example 0.3
             */
            importance_below?: number | null;
            /**
             * Roles
             * @description Any of these roles.
             */
            roles?: components["schemas"]["Role"][] | null;
            /**
             * Conversation Id
             * @description Only this conversation: its UUID or your own id for it.
             */
            conversation_id?: string | null;
            /**
             * Metadata Contains
             * @description The message's metadata contains this JSON object.
             */
            metadata_contains?: {
                [key: string]: unknown;
            } | null;
        };
        /** ConditionsOut */
        ConditionsOut: {
            /** Older Than Days */
            older_than_days: number | null;
            /** Importance Below */
            importance_below: number | null;
            /** Roles */
            roles: components["schemas"]["Role"][] | null;
            /** Conversation Id */
            conversation_id: string | null;
            /**
             * Conversation External Id
             * @description That conversation's external id, if it has one.
             */
            conversation_external_id?: string | null;
            /** Metadata Contains */
            metadata_contains: {
                [key: string]: unknown;
            } | null;
        };
        /** ConversationCreate */
        ConversationCreate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /** Title */
            title?: string | null;
            /**
             * Metadata
             * @description Free JSON object (size and depth limited).
             * @example {
             *       "topic": "travel"
             *     }
             */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * Id
             * @description Client-chosen id (a retried create is safe).
             */
            id?: string | null;
            /**
             * External Id
             * @description Your own id for it (e.g. `user-123`), usable wherever a conversation id is. A create naming an external id the tenant holds returns that conversation (200, unchanged).
             * @example user-123
             */
            external_id?: string | null;
        };
        /** ConversationOut */
        ConversationOut: {
            /**
             * Id
             * Format: uuid
             * @description The server's id.
             */
            id: string;
            /**
             * External Id
             * @description Your own id for it, if it has one.
             */
            external_id: string | null;
            /** Tenant Id */
            tenant_id: string;
            /** Title */
            title: string | null;
            /** Metadata */
            metadata: {
                [key: string]: unknown;
            };
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** ConversationPage */
        ConversationPage: {
            /** Items */
            items: components["schemas"]["ConversationOut"][];
            /**
             * Next Cursor
             * @description Pass as `cursor` for the next page; null at end.
             */
            next_cursor: string | null;
        };
        /** ConversationStats */
        ConversationStats: {
            /**
             * Conversation Id
             * Format: uuid
             */
            conversation_id: string;
            /**
             * Conversation External Id
             * @description The conversation's external id (your own id for it), if it has one.
             */
            conversation_external_id?: string | null;
            /** Message Count */
            message_count: number;
            /** Archived Count */
            archived_count: number;
            /** By Role */
            by_role: {
                [key: string]: number;
            };
            /** First Message At */
            first_message_at: string | null;
            /** Last Message At */
            last_message_at: string | null;
            /** Mean Importance */
            mean_importance: number | null;
            /** Embedded Count */
            embedded_count: number;
            /** Pending Count */
            pending_count: number;
            /** Failed Count */
            failed_count: number;
            /**
             * Embedding Coverage
             * @description Share of messages with a vector.
             */
            embedding_coverage: number | null;
        };
        /** ConversationUpdate */
        ConversationUpdate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /** Title */
            title?: string | null;
            /** Metadata */
            metadata?: {
                [key: string]: unknown;
            } | null;
        };
        /** DeletedConversation */
        DeletedConversation: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** External Id */
            external_id: string | null;
            /** Deleted Messages */
            deleted_messages: number;
        };
        /** EmbeddingOut */
        EmbeddingOut: {
            status: components["schemas"]["EmbeddingStatus"];
            /** Provider */
            provider: string | null;
            /** Model */
            model: string | null;
            /** Dimensions */
            dimensions: number | null;
            /** Attempts */
            attempts: number;
            /** Error */
            error: string | null;
            /** Embedded At */
            embedded_at: string | null;
        };
        /** EmbeddingStatsOut */
        EmbeddingStatsOut: {
            /** Tenant Id */
            tenant_id: string;
            range: components["schemas"]["RangeOut"];
            /** Messages */
            messages: number;
            /** Ready */
            ready: number;
            /** Pending */
            pending: number;
            /** Failed */
            failed: number;
            /**
             * Coverage
             * @description ready / messages (null without messages).
             */
            coverage: number | null;
            /**
             * Models
             * @description Vectors by provider, model and dimension.
             */
            models: components["schemas"]["ModelOut"][];
            /** @description From the request of the current embedding (store, or content change) to its vector, over ready messages. */
            latency_ms: components["schemas"]["LatencyOut"];
            /**
             * Top Errors
             * @description Commonest errors of unembedded rows.
             */
            top_errors: components["schemas"]["ErrorCountOut"][];
        };
        /**
         * EmbeddingStatus
         * @enum {string}
         */
        EmbeddingStatus: "pending" | "ready" | "failed";
        /** ErrorBody */
        ErrorBody: {
            /**
             * Code
             * @description Stable machine-readable code.
             * @example message_not_found
             */
            code: string;
            /**
             * Message
             * @description What is wrong, for a person.
             */
            message: string;
            /**
             * Request Id
             * @description Quote it when reporting a problem.
             */
            request_id?: string | null;
            /** Details */
            details?: components["schemas"]["ErrorDetail"][];
        };
        /** ErrorCountOut */
        ErrorCountOut: {
            /** Error */
            error: string;
            /** Messages */
            messages: number;
        };
        /** ErrorDetail */
        ErrorDetail: {
            /** Field */
            field?: string | null;
            /** Problem */
            problem: string;
        };
        /**
         * Granularity
         * @enum {string}
         */
        Granularity: "hour" | "day" | "week" | "month";
        /** HealthOut */
        HealthOut: {
            /**
             * Status
             * @constant
             */
            status: "ok";
            /** Version */
            version: string;
        };
        /**
         * IdMode
         * @enum {string}
         */
        IdMode: "preserve" | "remap";
        /** ImportOut */
        ImportOut: {
            /** Lines */
            lines: number;
            /** Conversations Created */
            conversations_created: number;
            /**
             * Conversations Existing
             * @description Already there (a re-import).
             */
            conversations_existing: number;
            /** Messages Created */
            messages_created: number;
            /**
             * Messages Existing
             * @description Already there (a re-import).
             */
            messages_existing: number;
            /** Failed Lines */
            failed_lines: number;
            /**
             * Errors
             * @description Failed lines by line number (at most 1,000 of them).
             */
            errors: components["schemas"]["LineErrorOut"][];
            /**
             * Complete
             * @description The file ended with an end line whose counts match.
             */
            complete: boolean;
        };
        /** ItemError */
        ItemError: {
            /** Code */
            code: string;
            /** Message */
            message: string;
        };
        /** LatencyOut */
        LatencyOut: {
            /** P50 */
            p50: number | null;
            /** P90 */
            p90: number | null;
            /** P99 */
            p99: number | null;
            /** Mean */
            mean: number | null;
            /** Max */
            max: number | null;
        };
        /** LineErrorOut */
        LineErrorOut: {
            /**
             * Line
             * @description 1-based line number in the body.
             */
            line: number;
            /** Code */
            code: string;
            /** Message */
            message: string;
        };
        /** LoginIn */
        LoginIn: {
            /**
             * Email
             * @description The email, or the username (a value without '@' is taken as one).
             * @example ada@example.com
             */
            email?: string | null;
            /**
             * Username
             * @description The username, instead of `email`.
             */
            username?: string | null;
            /** Password */
            password: string;
            /**
             * Use Cookie
             * @description Browsers: keep the refresh token in an httpOnly, SameSite=Strict cookie (scoped to /v1/auth) instead of the body, out of reach of page scripts.
             * @default false
             */
            use_cookie?: boolean;
        };
        /** MeOut */
        MeOut: {
            /**
             * Kind
             * @description user or api_key
             */
            kind: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Email */
            email: string | null;
            /**
             * Username
             * @description Null for API keys and users without one.
             */
            username: string | null;
            /** Is Superuser */
            is_superuser: boolean;
            /** Tenants */
            tenants: components["schemas"]["TenantAccessOut"][];
        };
        /** MemberIn */
        MemberIn: {
            /** Email */
            email: string;
            /** @default member */
            role?: components["schemas"]["MemberRole"];
        };
        /**
         * MemberRole
         * @enum {string}
         */
        MemberRole: "admin" | "member";
        /** MessageBatchCreate */
        MessageBatchCreate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /** Items */
            items: components["schemas"]["MessageBatchItem"][];
        };
        /** MessageBatchDelete */
        MessageBatchDelete: {
            /** Tenant Id */
            tenant_id?: string | null;
            /** Ids */
            ids: string[];
        };
        /** MessageBatchItem */
        MessageBatchItem: {
            /**
             * Conversation Id
             * @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped).
             * @example user-123
             */
            conversation_id: string;
            role: components["schemas"]["Role"];
            /** Content */
            content: string;
            /**
             * Metadata
             * @description Free JSON object (size and depth limited).
             * @example {
             *       "topic": "travel"
             *     }
             */
            metadata?: {
                [key: string]: unknown;
            };
            /** Importance */
            importance?: number | null;
            /** Id */
            id?: string | null;
            /** Created At */
            created_at?: string | null;
        };
        /** MessageBatchUpdate */
        MessageBatchUpdate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /** Items */
            items: components["schemas"]["MessageBatchUpdateItem"][];
        };
        /** MessageBatchUpdateItem */
        MessageBatchUpdateItem: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Content */
            content?: string | null;
            role?: components["schemas"]["Role"] | null;
            /** Metadata */
            metadata?: {
                [key: string]: unknown;
            } | null;
            /** Importance */
            importance?: number | null;
            /** Archived */
            archived?: boolean | null;
        };
        /** MessageCreate */
        MessageCreate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /**
             * Conversation Id
             * @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). Your own id creates the conversation on first use.
             * @example user-123
             */
            conversation_id: string;
            role: components["schemas"]["Role"];
            /**
             * Content
             * @description The message text.
             * @example I'm allergic to peanuts.
             */
            content: string;
            /**
             * Metadata
             * @description Free JSON object (size and depth limited).
             * @example {
             *       "topic": "travel"
             *     }
             */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * Importance
             * @description Explicit importance in [0, 1]; computed when absent.
             */
            importance?: number | null;
            /**
             * Id
             * @description Client-chosen id: a retried create returns the stored message.
             */
            id?: string | null;
            /**
             * Created At
             * @description When it was said (for imported history); default now.
             */
            created_at?: string | null;
        };
        /** MessageOut */
        MessageOut: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Tenant Id */
            tenant_id: string;
            /**
             * Conversation Id
             * Format: uuid
             * @description The conversation's server id.
             */
            conversation_id: string;
            /**
             * Conversation External Id
             * @description The conversation's external id (your own id for it), if it has one.
             */
            conversation_external_id?: string | null;
            role: components["schemas"]["Role"];
            /** Content */
            content: string;
            /** Metadata */
            metadata: {
                [key: string]: unknown;
            };
            /** Importance */
            importance: number;
            /** Importance Explicit */
            importance_explicit: boolean;
            /** Archived */
            archived: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            embedding: components["schemas"]["EmbeddingOut"];
        };
        /** MessagePage */
        MessagePage: {
            /** Items */
            items: components["schemas"]["MessageOut"][];
            /** Next Cursor */
            next_cursor: string | null;
        };
        /** MessageUpdate */
        MessageUpdate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /**
             * Content
             * @description New text; the message is re-embedded.
             */
            content?: string | null;
            role?: components["schemas"]["Role"] | null;
            /**
             * Metadata
             * @description Replaces the metadata.
             */
            metadata?: {
                [key: string]: unknown;
            } | null;
            /** Importance */
            importance?: number | null;
            /** Archived */
            archived?: boolean | null;
        };
        /** ModelOut */
        ModelOut: {
            /** Provider */
            provider: string | null;
            /** Model */
            model: string | null;
            /** Dimensions */
            dimensions: number | null;
            /** Messages */
            messages: number;
        };
        /** NewApiKeyOut */
        NewApiKeyOut: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Tenant Id */
            tenant_id: string;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description First characters of the key, to recognise it.
             */
            prefix: string;
            /** Scopes */
            scopes: string[];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Expires At */
            expires_at: string | null;
            /** Last Used At */
            last_used_at: string | null;
            /** Revoked At */
            revoked_at: string | null;
            /**
             * Key
             * @description The key itself. Shown this once; store it now.
             */
            key: string;
        };
        /** RangeOut */
        RangeOut: {
            /**
             * From
             * Format: date-time
             */
            from: string;
            /**
             * To
             * Format: date-time
             */
            to: string;
        };
        /** ReadinessOut */
        ReadinessOut: {
            /** Ready */
            ready: boolean;
            /** Checks */
            checks: components["schemas"]["CheckOut"][];
        };
        /** RefreshIn */
        RefreshIn: {
            /**
             * Refresh Token
             * @description Omit to use the refresh cookie set by a cookie login.
             */
            refresh_token?: string | null;
        };
        /** RegisterIn */
        RegisterIn: {
            /**
             * Email
             * @example ada@example.com
             */
            email: string;
            /**
             * Username
             * @description Optional; 3-32 characters: letters, digits, '_', '.' or '-', starting with a letter or digit (no '@', so a username is never mistaken for an email). Unique case-insensitively; sign in with it or the email.
             * @example ada
             */
            username?: string | null;
            /**
             * Password
             * @description MEMORY_PASSWORD_MIN_LENGTH (12) or more characters, not a common password.
             */
            password: string;
            /**
             * Tenant Id
             * @description Your first tenant (default: made up).
             */
            tenant_id?: string | null;
            /** Tenant Name */
            tenant_name?: string | null;
        };
        /** RegisterOut */
        RegisterOut: {
            /**
             * User Id
             * Format: uuid
             */
            user_id: string;
            /** Tenant Id */
            tenant_id: string;
        };
        /** ReplayOut */
        ReplayOut: {
            /** Requeued */
            requeued: number;
        };
        /**
         * Role
         * @enum {string}
         */
        Role: "user" | "assistant" | "system" | "tool";
        /**
         * RuleAction
         * @enum {string}
         */
        RuleAction: "archive" | "delete" | "keep";
        /** RuleCreate */
        RuleCreate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /**
             * Name
             * @example archive old tool output
             */
            name: string;
            /** @description archive: hide from search and listings (reversible); delete: remove rows archived more than `archived_for_days` before the run (any matching row with `skip_archive`); keep: a hold that every other rule and the default policy leave alone. */
            action: components["schemas"]["RuleAction"];
            /** @description All that are set must hold. */
            conditions?: components["schemas"]["ConditionsIn"];
            /**
             * Enabled
             * @default true
             */
            enabled?: boolean;
            /**
             * Priority
             * @description Lower runs first (0..1000000).
             * @default 100
             */
            priority?: number;
            /**
             * Archived For Days
             * @description delete only: days a row must have been archived (default 30).
             */
            archived_for_days?: number | null;
            /**
             * Skip Archive
             * @description delete only: delete matching rows without archiving them first.
             * @default false
             */
            skip_archive?: boolean;
        };
        /** RuleList */
        RuleList: {
            /**
             * Items
             * @description In the order a run applies them.
             */
            items: components["schemas"]["RuleOut"][];
        };
        /** RuleOut */
        RuleOut: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Tenant Id */
            tenant_id: string;
            /** Name */
            name: string;
            action: components["schemas"]["RuleAction"];
            conditions: components["schemas"]["ConditionsOut"];
            /** Enabled */
            enabled: boolean;
            /** Priority */
            priority: number;
            /** Archived For Days */
            archived_for_days: number | null;
            /** Skip Archive */
            skip_archive: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * RuleUpdate
         * @description Fields sent replace the rule's; ``conditions`` is replaced as a whole.
         */
        RuleUpdate: {
            /** Tenant Id */
            tenant_id?: string | null;
            /** Name */
            name?: string | null;
            action?: components["schemas"]["RuleAction"] | null;
            conditions?: components["schemas"]["ConditionsIn"] | null;
            /** Enabled */
            enabled?: boolean | null;
            /** Priority */
            priority?: number | null;
            /** Archived For Days */
            archived_for_days?: number | null;
            /** Skip Archive */
            skip_archive?: boolean | null;
        };
        /** RunOut */
        RunOut: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Tenant Id */
            tenant_id: string;
            /**
             * Triggered By
             * @description manual or schedule.
             */
            triggered_by: string;
            /** Dry Run */
            dry_run: boolean;
            status: components["schemas"]["RunStatus"];
            /**
             * As Of
             * Format: date-time
             * @description Ages and cutoffs are measured from this time.
             */
            as_of: string;
            /**
             * Started At
             * Format: date-time
             */
            started_at: string;
            /** Finished At */
            finished_at: string | null;
            /** Batches */
            batches: number;
            /** Archived */
            archived: number;
            /** Deleted */
            deleted: number;
            /** Results */
            results: components["schemas"]["StepOut"][];
            /** Error */
            error: string | null;
        };
        /** RunPage */
        RunPage: {
            /** Items */
            items: components["schemas"]["RunOut"][];
            /** Next Cursor */
            next_cursor: string | null;
        };
        /** RunRequest */
        RunRequest: {
            /** Tenant Id */
            tenant_id?: string | null;
            /**
             * Dry Run
             * @description Count what each step would touch (with sample ids); change nothing.
             * @default false
             */
            dry_run?: boolean;
        };
        /**
         * RunStatus
         * @enum {string}
         */
        RunStatus: "running" | "succeeded" | "failed" | "interrupted";
        /**
         * Scope
         * @enum {string}
         */
        Scope: "read" | "write" | "admin";
        /** ScoresOut */
        ScoresOut: {
            /**
             * Score
             * @description relevance * (w_rel + w_imp * importance + w_rec * recency), weights normalised: in [0, relevance].
             */
            score: number;
            /**
             * Relevance
             * @description Similarity (vector), keyword score (keyword), or (hybrid) (1 - h) * similarity + h * keyword (h 0.6), a missing score counting 0, so an unrelated hit scores ~0.
             */
            relevance: number;
            /**
             * Similarity
             * @description Cosine similarity to the query (0..1).
             */
            similarity: number | null;
            /**
             * Keyword
             * @description BM25 over the message and its context (the previous message, half weight), divided by the query's best possible BM25 in the scope (0..1).
             */
            keyword: number | null;
            /** Importance */
            importance: number;
            /**
             * Recency
             * @description 0.5 ** (age / half-life).
             */
            recency: number;
            /**
             * Vector Rank
             * @description Place in the vector candidate list (1 = nearest); null if not in it.
             */
            vector_rank?: number | null;
            /**
             * Keyword Rank
             * @description Place in the keyword candidate list (1 = best); null if not in it.
             */
            keyword_rank?: number | null;
        };
        /** SearchHitOut */
        SearchHitOut: {
            message: components["schemas"]["MessageOut"];
            scores: components["schemas"]["ScoresOut"];
        };
        /**
         * SearchMode
         * @enum {string}
         */
        SearchMode: "vector" | "keyword" | "hybrid";
        /** SearchOut */
        SearchOut: {
            /** Query */
            query: string;
            /** @description The mode used (hybrid degrades to keyword if needed). */
            mode: components["schemas"]["SearchMode"];
            /**
             * Degraded
             * @description True when the embedder was unavailable.
             */
            degraded: boolean;
            /**
             * Plan
             * @description Candidate plan the scope chose.
             * @enum {string}
             */
            plan: "exact" | "hnsw";
            /** Results */
            results: components["schemas"]["SearchHitOut"][];
        };
        /** SearchRequest */
        SearchRequest: {
            /** Tenant Id */
            tenant_id?: string | null;
            /**
             * Query
             * @example what food can't I eat?
             */
            query: string;
            /**
             * Top K
             * @description How many results (1..MEMORY_MAX_TOP_K).
             * @default 10
             */
            top_k?: number;
            /** @default hybrid */
            mode?: components["schemas"]["SearchMode"];
            /** Conversation Id */
            conversation_id?: string | null;
            role?: components["schemas"]["Role"] | null;
            /**
             * Created After
             * @description Only messages created at or after this time (ISO 8601 with a zone).
             */
            created_after?: string | null;
            /**
             * Created Before
             * @description Only messages created before this time (ISO 8601 with a zone).
             */
            created_before?: string | null;
            /**
             * Metadata
             * @description Results' metadata contains this.
             * @example {
             *       "topic": "travel"
             *     }
             */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * Min Score
             * @description Drop results scoring below this (0..1). The score is at most the hit's relevance, which is absolute (similarity, keyword score), so 0.1 removes hits unrelated to the query.
             * @default 0
             */
            min_score?: number;
            /**
             * Include Archived
             * @default false
             */
            include_archived?: boolean;
            /**
             * Reference Time
             * @description Measure recency from this time instead of now (search 'as of').
             */
            reference_time?: string | null;
        };
        /** StepOut */
        StepOut: {
            /**
             * Key
             * @description The rule id, or default:archive / default:delete.
             */
            key: string;
            /** Rule Id */
            rule_id: string | null;
            /** Name */
            name: string;
            action: components["schemas"]["RuleAction"];
            /**
             * Affected
             * @description Rows archived or deleted (in a dry run: would be).
             */
            affected: number;
            /**
             * Batches
             * @description Write statements that touched rows (0 in a dry run).
             */
            batches: number;
            /**
             * Sample Ids
             * @description Up to 10 of the rows, oldest first.
             */
            sample_ids: string[];
        };
        /** StoredOut */
        StoredOut: {
            /** Messages */
            messages: number;
            /** Archived */
            archived: number;
            /** Conversations */
            conversations: number;
        };
        /** TenantAccessOut */
        TenantAccessOut: {
            /** Tenant Id */
            tenant_id: string;
            /** Scopes */
            scopes: string[];
            /** Role */
            role: string | null;
        };
        /** TenantIn */
        TenantIn: {
            /**
             * Tenant Id
             * @description Tenant the data belongs to: 1-128 letters, digits, '_', '.', ':' or '-'. May be left out when the credential holds one tenant (an API key always does).
             * @example acme
             */
            tenant_id: string;
            /** Name */
            name?: string | null;
        };
        /** TokensOut */
        TokensOut: {
            /**
             * Token Type
             * @default bearer
             */
            token_type?: string;
            /** Access Token */
            access_token: string;
            /**
             * Access Expires At
             * Format: date-time
             */
            access_expires_at: string;
            /**
             * Refresh Token
             * @description Single use: each refresh returns a new one. Null in cookie mode.
             */
            refresh_token: string | null;
            /**
             * Refresh Expires At
             * Format: date-time
             */
            refresh_expires_at: string;
        };
        /** TopConversationOut */
        TopConversationOut: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * External Id
             * @description Your own id for the conversation, if any.
             */
            external_id: string | null;
            /** Title */
            title: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Messages
             * @description Messages in the range.
             */
            messages: number;
            /**
             * First Message At
             * Format: date-time
             */
            first_message_at: string;
            /**
             * Last Message At
             * Format: date-time
             */
            last_message_at: string;
            /** Mean Importance */
            mean_importance: number | null;
        };
        /** TopConversationsOut */
        TopConversationsOut: {
            /** Tenant Id */
            tenant_id: string;
            range: components["schemas"]["RangeOut"];
            /** Items */
            items: components["schemas"]["TopConversationOut"][];
        };
        /** TrendsOut */
        TrendsOut: {
            /** Tenant Id */
            tenant_id: string;
            range: components["schemas"]["RangeOut"];
            granularity: components["schemas"]["Granularity"];
            /** Timezone */
            timezone: string;
            /**
             * Buckets
             * @description Every bucket from the one holding `from` to the one holding `to`, empty ones with 0; only messages inside the range count.
             */
            buckets: components["schemas"]["BucketOut"][];
        };
        /** UsageOut */
        UsageOut: {
            /** Tenant Id */
            tenant_id: string;
            range: components["schemas"]["RangeOut"];
            /**
             * Messages
             * @description Messages created in the range.
             */
            messages: number;
            /** By Role */
            by_role: {
                [key: string]: number;
            };
            /**
             * Archived
             * @description Of those, archived now.
             */
            archived: number;
            /** Content Chars */
            content_chars: number;
            /** Mean Importance */
            mean_importance: number | null;
            /**
             * Active Conversations
             * @description Conversations with a message in the range.
             */
            active_conversations: number;
            /** Conversations Created */
            conversations_created: number;
            /** @description The tenant's totals now, whatever the range. */
            stored: components["schemas"]["StoredOut"];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    register_v1_auth_register_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RegisterOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    login_v1_auth_login_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokensOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    refresh_v1_auth_refresh_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokensOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    logout_v1_auth_logout_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    me_v1_auth_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_tenant_v1_auth_tenants_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TenantIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantIn"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    add_member_v1_auth_tenants__tenant_id__members_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Tenant the data belongs to: 1-128 letters, digits, '_', '.', ':' or '-'. May be left out when the credential holds one tenant (an API key always does). */
                tenant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MemberIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_api_keys_v1_auth_api_keys_get: {
        parameters: {
            query?: {
                tenant_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyOut"][];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_api_key_v1_auth_api_keys_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApiKeyIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NewApiKeyOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    revoke_api_key_v1_auth_api_keys__key_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_batch_v1_messages_batch_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Optional. A unique string (1-255 printable ASCII characters, e.g. a UUID) chosen by the client. A retry with the same key (per tenant, kept 24 h by default: MEMORY_IDEMPOTENCY_TTL_HOURS) answers the first request's status and body and stores nothing twice (header `Idempotent-Replayed: true`). The same key with a different request: 422 `idempotency_key_reused`; while the first is still running: 409 `request_in_progress` with `Retry-After`. A request that failed may be retried with its key. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageBatchCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_batch_v1_messages_batch_delete: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageBatchDelete"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_batch_v1_messages_batch_update_put: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageBatchUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_message_v1_messages_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Optional. A unique string (1-255 printable ASCII characters, e.g. a UUID) chosen by the client. A retry with the same key (per tenant, kept 24 h by default: MEMORY_IDEMPOTENCY_TTL_HOURS) answers the first request's status and body and stores nothing twice (header `Idempotent-Replayed: true`). The same key with a different request: 422 `idempotency_key_reused`; while the first is still running: 409 `request_in_progress` with `Retry-After`. A request that failed may be retried with its key. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageCreate"];
            };
        };
        responses: {
            /** @description Already stored (retried create). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_message_v1_messages__message_id__get: {
        parameters: {
            query?: {
                /** @description Tenant the message belongs to. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                message_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_message_v1_messages__message_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                message_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_message_v1_messages__message_id__delete: {
        parameters: {
            query?: {
                /** @description Tenant the message belongs to. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                message_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    search_get_v1_memory_search_get: {
        parameters: {
            query: {
                /** @description What to look for, in natural language. */
                query: string;
                tenant_id?: string | null;
                top_k?: number;
                mode?: components["schemas"]["SearchMode"];
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id?: string | null;
                role?: components["schemas"]["Role"] | null;
                /** @description ISO 8601 with a zone; a naive time is a 422. */
                created_after?: string | null;
                /** @description ISO 8601 with a zone. */
                created_before?: string | null;
                /** @description JSON object the results' metadata contains, e.g. {"a":1} */
                metadata?: string | null;
                min_score?: number;
                include_archived?: boolean;
                /** @description Measure recency from this time (ISO 8601 with a zone), not now. */
                reference_time?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    /** @description Where the search's time went, in ms: `embedding` (the query's vector; absent in keyword mode) and `database`, e.g. `embedding;dur=3.412, database;dur=1.207`. */
                    "Server-Timing"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    search_post_v1_memory_search_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SearchRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    /** @description Where the search's time went, in ms: `embedding` (the query's vector; absent in keyword mode) and `database`, e.g. `embedding;dur=3.412, database;dur=1.207`. */
                    "Server-Timing"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_conversations_v1_conversations_get: {
        parameters: {
            query?: {
                /** @description Tenant the conversation belongs to. */
                tenant_id?: string | null;
                /** @description Cursor paging: page size (default 50, at most MEMORY_MAX_PAGE_SIZE). */
                limit?: number | null;
                /** @description Cursor paging: `next_cursor` of the previous page. */
                cursor?: string | null;
                /** @description Numbered paging (instead of limit/cursor): page number from 1. */
                page?: number | null;
                /** @description Numbered paging: rows per page (default 50). */
                page_size?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_conversation_v1_conversations_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Optional. A unique string (1-255 printable ASCII characters, e.g. a UUID) chosen by the client. A retry with the same key (per tenant, kept 24 h by default: MEMORY_IDEMPOTENCY_TTL_HOURS) answers the first request's status and body and stores nothing twice (header `Idempotent-Replayed: true`). The same key with a different request: 422 `idempotency_key_reused`; while the first is still running: 409 `request_in_progress` with `Retry-After`. A request that failed may be retried with its key. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationCreate"];
            };
        };
        responses: {
            /** @description Already created (retry). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"];
                };
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_conversation_v1_conversations__conversation_id__get: {
        parameters: {
            query?: {
                /** @description Tenant the conversation belongs to. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_conversation_v1_conversations__conversation_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_conversation_v1_conversations__conversation_id__delete: {
        parameters: {
            query?: {
                /** @description Tenant the conversation belongs to. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletedConversation"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    conversation_messages_v1_conversations__conversation_id__messages_get: {
        parameters: {
            query?: {
                /** @description Tenant the conversation belongs to. */
                tenant_id?: string | null;
                include_archived?: boolean;
                /** @description Cursor paging: page size (default 50, at most MEMORY_MAX_PAGE_SIZE). */
                limit?: number | null;
                /** @description Cursor paging: `next_cursor` of the previous page. */
                cursor?: string | null;
                /** @description Numbered paging (instead of limit/cursor): page number from 1. */
                page?: number | null;
                /** @description Numbered paging: rows per page (default 50). */
                page_size?: number | null;
            };
            header?: never;
            path: {
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessagePage"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    conversation_stats_v1_conversations__conversation_id__stats_get: {
        parameters: {
            query?: {
                /** @description Tenant the conversation belongs to. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationStats"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    export_conversation_v1_conversations__conversation_id__export_get: {
        parameters: {
            query?: {
                /** @description Tenant the conversation belongs to. */
                tenant_id?: string | null;
                include_archived?: boolean;
            };
            header?: never;
            path: {
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description JSON Lines: a header, each conversation followed by its messages, an end line with the counts. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    health_v1_admin_health_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    readiness_v1_admin_readiness_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadinessOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency is not ready. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadinessOut"];
                };
            };
        };
    };
    replay_failed_v1_admin_embeddings_replay_post: {
        parameters: {
            query?: {
                tenant_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReplayOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_rules_v1_admin_retention_rules_get: {
        parameters: {
            query?: {
                /** @description Tenant whose retention this is. */
                tenant_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleList"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_rule_v1_admin_retention_rules_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RuleCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_rule_v1_admin_retention_rules__rule_id__get: {
        parameters: {
            query?: {
                /** @description Tenant whose retention this is. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_rule_v1_admin_retention_rules__rule_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RuleUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_rule_v1_admin_retention_rules__rule_id__delete: {
        parameters: {
            query?: {
                /** @description Tenant whose retention this is. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_retention_v1_admin_retention_run_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_runs_v1_admin_retention_runs_get: {
        parameters: {
            query?: {
                /** @description Tenant whose retention this is. */
                tenant_id?: string | null;
                /** @description Cursor paging: page size (default 50, at most MEMORY_MAX_PAGE_SIZE). */
                limit?: number | null;
                /** @description Cursor paging: `next_cursor` of the previous page. */
                cursor?: string | null;
                /** @description Numbered paging (instead of limit/cursor): page number from 1. */
                page?: number | null;
                /** @description Numbered paging: rows per page (default 50). */
                page_size?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunPage"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_run_v1_admin_retention_runs__run_id__get: {
        parameters: {
            query?: {
                /** @description Tenant whose retention this is. */
                tenant_id?: string | null;
            };
            header?: never;
            path: {
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    usage_v1_analytics_usage_get: {
        parameters: {
            query?: {
                /** @description Tenant to report on. */
                tenant_id?: string | null;
                /** @description Start (inclusive), ISO 8601 with a zone; default: 30 days before `to`. */
                from?: string | null;
                /** @description End (exclusive), ISO 8601 with a zone; default: now. */
                to?: string | null;
                /** @description Shorthand for the window: the N days before `to` (not with `from`). */
                days?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    trends_v1_analytics_trends_get: {
        parameters: {
            query?: {
                /** @description Tenant to report on. */
                tenant_id?: string | null;
                /** @description Start (inclusive), ISO 8601 with a zone; default: 30 days before `to`. */
                from?: string | null;
                /** @description End (exclusive), ISO 8601 with a zone; default: now. */
                to?: string | null;
                /** @description Shorthand for the window: the N days before `to` (not with `from`). */
                days?: number | null;
                granularity?: components["schemas"]["Granularity"];
                /** @description IANA zone the buckets follow (local midnight, Monday, 1st). */
                timezone?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TrendsOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    top_conversations_v1_analytics_top_conversations_get: {
        parameters: {
            query?: {
                /** @description Tenant to report on. */
                tenant_id?: string | null;
                /** @description Start (inclusive), ISO 8601 with a zone; default: 30 days before `to`. */
                from?: string | null;
                /** @description End (exclusive), ISO 8601 with a zone; default: now. */
                to?: string | null;
                /** @description Shorthand for the window: the N days before `to` (not with `from`). */
                days?: number | null;
                /** @description How many (1..100). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TopConversationsOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    embedding_stats_v1_analytics_embedding_stats_get: {
        parameters: {
            query?: {
                /** @description Tenant to report on. */
                tenant_id?: string | null;
                /** @description Start (inclusive), ISO 8601 with a zone; default: 30 days before `to`. */
                from?: string | null;
                /** @description End (exclusive), ISO 8601 with a zone; default: now. */
                to?: string | null;
                /** @description Shorthand for the window: the N days before `to` (not with `from`). */
                days?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EmbeddingStatsOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    export_tenant_v1_export_get: {
        parameters: {
            query?: {
                /** @description Tenant to export or import. */
                tenant_id?: string | null;
                /** @description Export archived messages too. */
                include_archived?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description JSON Lines: a header, each conversation followed by its messages, an end line with the counts. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    import_tenant_v1_import_post: {
        parameters: {
            query?: {
                /** @description Tenant to export or import. */
                tenant_id?: string | null;
                /** @description preserve or remap the ids. */
                ids?: components["schemas"]["IdMode"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/x-ndjson": string;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    search_get_v1_search_get: {
        parameters: {
            query: {
                /** @description What to look for, in natural language. */
                query: string;
                tenant_id?: string | null;
                top_k?: number;
                mode?: components["schemas"]["SearchMode"];
                /** @description The conversation: its server id (a UUID, 8-4-4-4-12 hex digits) or your own id (1-128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit, e.g. `user-123`; not UUID-shaped). */
                conversation_id?: string | null;
                role?: components["schemas"]["Role"] | null;
                /** @description ISO 8601 with a zone; a naive time is a 422. */
                created_after?: string | null;
                /** @description ISO 8601 with a zone. */
                created_before?: string | null;
                /** @description JSON object the results' metadata contains, e.g. {"a":1} */
                metadata?: string | null;
                min_score?: number;
                include_archived?: boolean;
                /** @description Measure recency from this time (ISO 8601 with a zone), not now. */
                reference_time?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOut"];
                };
            };
            /** @description Malformed request (for example invalid JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The tenant holds no such object. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The id is taken. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A field is invalid; `details` names each. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A dependency (database, embedder) is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}
