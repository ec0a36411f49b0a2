"""The hub's bounded buffers: delivery never waits, a full subscriber is marked dropped."""

from __future__ import annotations

import uuid

from memory_mesh.realtime.hub import Hub, Subscriber

C1, C2 = str(uuid.uuid4()), str(uuid.uuid4())


def _event(tenant: str, conversation: str = C1, n: int = 0) -> dict[str, object]:
    return {"type": "message.created", "tenant_id": tenant, "conversation_id": conversation, "n": n}


def test_events_reach_only_their_tenant_and_conversation() -> None:
    hub = Hub()
    everyone = Subscriber("acme", None, 10)
    one_conversation = Subscriber("acme", C2, 10)
    other_tenant = Subscriber("globex", None, 10)
    for s in (everyone, one_conversation, other_tenant):
        hub.add(s)
    hub.deliver(_event("acme", C1))
    hub.deliver(_event("acme", C2))
    assert everyone.queue.qsize() == 2
    assert one_conversation.queue.qsize() == 1
    assert other_tenant.queue.qsize() == 0


def test_a_subscriber_that_stops_reading_overflows_without_blocking_delivery() -> None:
    counts: list[int] = []
    hub = Hub(on_count=counts.append)
    slow = Subscriber("acme", None, 3)
    fast = Subscriber("acme", None, 1000)
    hub.add(slow)
    hub.add(fast)
    for n in range(500):  # returns at once every time: nothing waits for the slow one
        hub.deliver(_event("acme", n=n))
    assert slow.overflowed.is_set() and slow.queue.qsize() == 3
    assert fast.queue.qsize() == 500 and not fast.overflowed.is_set()
    hub.remove(slow)
    assert counts == [1, 2, 1]
