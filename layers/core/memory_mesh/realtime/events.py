"""The event frames subscribers receive: ``{type, tenant_id, conversation_id,
conversation_external_id, message, time}``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from memory_mesh.domain.conversation_ref import is_uuid_shaped
from memory_mesh.domain.models import Message

EVENT_TYPES = ("message.created", "message.updated", "message.deleted", "message.embedded")


def message_event(event_type: str, message: Message) -> dict[str, Any]:
    """A JSON-ready event for one message (same message shape as the HTTP API)."""
    from memory_mesh.http.bodies.messages import MessageOut  # the one serialisation of a message

    return {
        "type": event_type,
        "tenant_id": message.tenant_id,
        "conversation_id": str(message.conversation_id),
        "conversation_external_id": message.conversation_external_id,
        "message": MessageOut.of(message).model_dump(mode="json"),
        "time": datetime.now(UTC).isoformat(),
    }


def conversation_matches(event: dict[str, Any], wanted: str) -> bool:
    """Whether ``event`` is about the conversation ``wanted`` names: its UUID (any case)
    or its external id. Needs no lookup, so a subscriber may name a conversation that
    its first message has not created yet."""
    if is_uuid_shaped(wanted):
        return str(event.get("conversation_id", "")).lower() == wanted.lower()
    return event.get("conversation_external_id") == wanted
