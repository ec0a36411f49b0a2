"""Access tokens: a verified token is remembered until it expires (no second decode), an
expired one is refused even though it was remembered, a bad one is never remembered."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from memory_mesh.domain.identity import Unauthorized
from memory_mesh.services import tokens
from memory_mesh.services.tokens import TokenIssuer

SECRET = "k" * 40


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token PyJWT decodes, in order."""
    seen: list[str] = []
    real = tokens.jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return seen


def test_a_verified_token_answers_from_memory(decodes: list[str]) -> None:
    issuer = TokenIssuer(SECRET, timedelta(minutes=5))
    user = uuid.uuid4()
    token, _ = issuer.access_token(user)
    assert [issuer.verify_access(token) for _ in range(3)] == [user] * 3
    assert decodes == [token]


def test_a_remembered_token_is_refused_once_it_expires(decodes: list[str]) -> None:
    issuer = TokenIssuer(SECRET, timedelta(seconds=1))
    token, _ = issuer.access_token(uuid.uuid4())
    issuer.verify_access(token)
    time.sleep(2.1)  # past its expiry (whole seconds in the token)
    with pytest.raises(Unauthorized) as refused:
        issuer.verify_access(token)
    assert refused.value.code == "token_expired"
    assert decodes == [token, token]


def test_a_bad_token_is_checked_every_time(decodes: list[str]) -> None:
    issuer = TokenIssuer(SECRET, timedelta(minutes=5))
    forged, _ = TokenIssuer("another-" + "s" * 40, timedelta(minutes=5)).access_token(uuid.uuid4())
    for _ in range(2):
        with pytest.raises(Unauthorized):
            issuer.verify_access(forged)
    assert decodes == [forged, forged]


def test_the_memory_holds_a_bounded_number_of_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS", 3)
    issuer = TokenIssuer(SECRET, timedelta(minutes=5))
    issued = [issuer.access_token(uuid.uuid4())[0] for _ in range(5)]
    for token in issued:
        issuer.verify_access(token)
    assert list(issuer._verified) == issued[2:]  # the oldest were forgotten
