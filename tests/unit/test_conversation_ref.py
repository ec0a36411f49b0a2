"""How a conversation is named: the server's UUID or the client's own id (pure rules),
and the WebSocket filter matching either form."""

from __future__ import annotations

import uuid

import pytest

from memory_mesh.domain.conversation_ref import check_external_id, parse_conversation_ref
from memory_mesh.errors import InvalidInput
from memory_mesh.realtime.events import conversation_matches
from memory_mesh.realtime.hub import Subscriber


def test_a_uuid_in_its_36_character_form_is_the_servers_id_in_any_case() -> None:
    value = uuid.uuid4()
    assert parse_conversation_ref(str(value)) == value
    assert parse_conversation_ref(str(value).upper()) == value
    assert parse_conversation_ref(value) == value


@pytest.mark.parametrize(
    "own",
    [
        *("user-123", "a", "x" * 128, "alice@example.com", "session:42", "v1.2_3"),
        # a UUID's 32-hex form; a fixed one, so every xdist worker collects the same test ids
        uuid.UUID("12345678-1234-5678-1234-567812345678").hex,
    ],
)
def test_every_other_valid_value_is_an_own_id(own: str) -> None:
    assert parse_conversation_ref(own) == own
    assert check_external_id(own) == own


BAD = ["", "x" * 129, "user 123", "a/b", "ünï", "tab\t", "nul\x00", "\ud800", "{abc}"]
BAD_START = [".", "..", "-x", "_x"]  # the first character must be a letter or digit


@pytest.mark.parametrize("bad", [*BAD, *BAD_START])
def test_anything_else_is_refused_with_the_field_named(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_conversation_ref(bad)
    assert refused.value.code == "invalid_conversation_id"
    assert refused.value.message.startswith("conversation_id: ")


def test_an_own_id_may_not_look_like_a_uuid() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_external_id(str(uuid.uuid4()))
    assert refused.value.code == "invalid_external_id"
    assert "UUID-shaped" in refused.value.message


def test_the_websocket_filter_matches_a_conversation_by_either_id() -> None:
    server_id = str(uuid.uuid4())
    event = {"tenant_id": "t", "conversation_id": server_id, "conversation_external_id": "u-1"}
    assert conversation_matches(event, "u-1")
    assert conversation_matches(event, server_id.upper())
    assert not conversation_matches(event, "u-2")
    assert not conversation_matches(event, str(uuid.uuid4()))
    anonymous = {**event, "conversation_external_id": None}
    assert not conversation_matches(anonymous, "u-1")
    assert Subscriber("t", "u-1", 4).wants(event)
    assert not Subscriber("t", "u-9", 4).wants(event)
    assert Subscriber("t", None, 4).wants(event)
