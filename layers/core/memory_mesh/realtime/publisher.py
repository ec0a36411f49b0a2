"""Turns message changes into events on the bus (hooked into the message service and
the embedding pipeline by the runtime)."""

from __future__ import annotations

from uuid import UUID

from memory_mesh.domain.models import Message
from memory_mesh.realtime.bus import EventBus
from memory_mesh.realtime.events import message_event
from memory_mesh.store import messages as message_store
from memory_mesh.store.database import Database


class EventPublisher:
    def __init__(self, bus: EventBus, db: Database) -> None:
        self.bus = bus
        self.db = db

    async def messages_changed(
        self, tenant_id: str, event_type: str, messages: list[Message]
    ) -> None:
        for message in messages:
            self.bus.publish(message_event(event_type, message))

    async def messages_embedded(self, ids: list[UUID]) -> None:
        async with self.db.system() as conn:
            messages = await message_store.get_many_of_any_tenant(conn, ids)
        for message in messages:
            self.bus.publish(message_event("message.embedded", message))
