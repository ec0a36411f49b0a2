"""Turning the conversation a request names (its UUID or the client's external id) into
the UUID the store keys on, inside the caller's tenant transaction.

One place for the rule every conversation path follows: a UUID must exist in the tenant;
an external id the tenant does not have yet is created where the request writes a
message (``create=True``: messages, batches, imports) and is "not found" elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from memory_mesh.domain.conversation_ref import ConversationRef, parse_conversation_ref
from memory_mesh.errors import NotFound
from memory_mesh.store import conversations as store
from memory_mesh.store.database import Conn


def conversation_not_found(ref: ConversationRef) -> NotFound:
    if isinstance(ref, UUID):
        return NotFound(
            f"conversation {ref} not found (a UUID names a conversation by the server's id: "
            "create it first with POST /v1/conversations, or name it by your own id, "
            "which the first message creates)",
            code="conversation_not_found",
        )
    return NotFound(f"conversation {ref} not found", code="conversation_not_found")


async def resolve_many(
    conn: Conn, tenant_id: str, refs: Iterable[ConversationRef], *, create: bool
) -> dict[ConversationRef, UUID]:
    """The UUID of each ref found in the tenant (with ``create``, every external id is
    found: the missing ones are created first). Refs left out of the answer do not exist."""
    wanted = set(refs)
    ids = [r for r in wanted if isinstance(r, UUID)]
    # sorted: concurrent batches take the unique index's locks in one order (no deadlock)
    external_ids = sorted(r for r in wanted if isinstance(r, str))
    if not wanted:
        return {}
    if create and external_ids:
        await store.create_external(conn, tenant_id=tenant_id, external_ids=external_ids)
    found = await store.find(conn, tenant_id=tenant_id, ids=ids, external_ids=external_ids)
    resolved: dict[ConversationRef, UUID] = {}
    for conversation in found:
        if conversation.id in wanted:
            resolved[conversation.id] = conversation.id
        if conversation.external_id is not None and conversation.external_id in wanted:
            resolved[conversation.external_id] = conversation.id
    return resolved


async def resolve(conn: Conn, tenant_id: str, value: str | UUID) -> UUID:
    """The UUID of the tenant's conversation ``value`` names; raises 404 if there is none
    (and 422 if ``value`` is neither a UUID nor a valid external id)."""
    ref = parse_conversation_ref(value)
    found = await resolve_many(conn, tenant_id, [ref], create=False)
    if ref not in found:
        raise conversation_not_found(ref)
    return found[ref]
