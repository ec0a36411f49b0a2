"""Locust mixed workload against a running Memory Mesh server: store (single and batch),
search, read. Each simulated user has its own tenant and API key (made by
bench/load/run.py and passed in MEMORY_LOAD_ACCOUNTS as "tenant:key,tenant:key,...")."""

from __future__ import annotations

import itertools
import os
import random
import uuid

from locust import HttpUser, between, task

_ACCOUNTS = itertools.cycle(
    [pair.split(":", 1) for pair in os.environ.get("MEMORY_LOAD_ACCOUNTS", "").split(",") if pair]
)
_TOPICS = ["allergy", "travel", "deadline", "birthday", "invoice", "recipe", "meeting", "car"]


class MemoryUser(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.tenant, key = next(_ACCOUNTS)
        self.client.headers.update({"x-api-key": key})
        made = self.client.post("/v1/conversations", json={"title": "load"}, name="create conv")
        self.conversation = made.json()["id"]
        self.ids: list[str] = []

    def _content(self) -> str:
        topic = random.choice(_TOPICS)
        return f"note about the {topic}: remember item {uuid.uuid4().hex[:8]} by friday"

    @task(4)
    def store(self) -> None:
        answer = self.client.post(
            "/v1/messages",
            json={"conversation_id": self.conversation, "role": "user", "content": self._content()},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="POST /v1/messages",
        )
        if answer.status_code in (200, 201):
            self.ids.append(answer.json()["id"])

    @task(1)
    def store_batch(self) -> None:
        items = [
            {"conversation_id": self.conversation, "role": "assistant", "content": self._content()}
            for _ in range(10)
        ]
        self.client.post(
            "/v1/messages/batch", json={"items": items}, name="POST /v1/messages/batch"
        )

    @task(4)
    def search(self) -> None:
        self.client.get(
            "/v1/memory/search",
            params={"query": f"what about the {random.choice(_TOPICS)}?", "top_k": 5},
            name="GET /v1/memory/search",
        )

    @task(3)
    def read(self) -> None:
        if self.ids:
            self.client.get(f"/v1/messages/{random.choice(self.ids)}", name="GET /v1/messages/{id}")
        else:
            self.client.get(
                f"/v1/conversations/{self.conversation}/messages",
                params={"limit": 20},
                name="GET /v1/conversations/{id}/messages",
            )
