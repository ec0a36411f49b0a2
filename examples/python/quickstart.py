"""Memory Mesh quick start in Python, with the standard library only.

Registers an account (its own tenant), signs in, stores a short conversation under your
own conversation id, then searches it and reads it back.

    memory-mesh serve                      # in another terminal
    python examples/python/quickstart.py   # MEMORY_MESH_URL=http://127.0.0.1:8000 by default
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

BASE_URL = os.environ.get("MEMORY_MESH_URL", "http://127.0.0.1:8000").rstrip("/")


def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    """One JSON request; raises with the API's error code and message on a 4xx/5xx."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE_URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        message = f"{method} {path}: {error.code} {problem['code']}: {problem['message']}"
        raise SystemExit(message) from None


def main() -> None:
    suffix = secrets.token_hex(4)
    tenant = f"quickstart-py-{suffix}"
    account = {"email": f"py-{suffix}@example.com", "password": "a long enough passphrase"}
    call("POST", "/v1/auth/register", {**account, "tenant_id": tenant})
    token = call("POST", "/v1/auth/login", account)["access_token"]

    # your own conversation id: the first message creates the conversation
    conversation = "user-123"
    for role, content in [
        ("user", "I need help with Python programming"),
        ("assistant", "Sure. What are you building?"),
        ("user", "A web scraper; I am allergic to regular expressions."),
    ]:
        stored = call(
            "POST",
            "/v1/messages",
            {
                "tenant_id": tenant,
                "conversation_id": conversation,
                "role": role,
                "content": content,
            },
            token,
        )
    print(
        f"stored 3 messages in {stored['conversation_external_id']} "
        f"(server id {stored['conversation_id']})"
    )

    query = urllib.parse.urlencode(
        {"tenant_id": tenant, "query": "Python", "conversation_id": conversation, "top_k": 3}
    )
    hits = call("GET", f"/v1/memory/search?{query}", token=token)["results"]
    print(f"top hit: {hits[0]['message']['content']} (score {hits[0]['scores']['score']:.3f})")

    page = call("GET", f"/v1/conversations/{conversation}/messages?tenant_id={tenant}", token=token)
    print(f"conversation {conversation} holds {len(page['items'])} messages")


if __name__ == "__main__":
    main()
