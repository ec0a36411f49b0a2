"""The pure parts of the Redis bus's recovery: the listener's reconnection delays, and
recognising the echo of an event this process already delivered itself."""

from __future__ import annotations

from memory_mesh.realtime.bus import Backoff, Echoes


def test_backoff_doubles_up_to_its_cap_and_starts_over_once_connected() -> None:
    backoff = Backoff(first=0.1, cap=2.0)
    assert [round(backoff.next(), 3) for _ in range(8)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2, 2, 2]
    assert backoff.attempts == 8
    backoff.reset()
    assert backoff.attempts == 0 and backoff.next() == 0.1


def test_an_echo_is_skipped_once_and_other_payloads_are_not() -> None:
    echoes = Echoes()
    echoes.remember('{"n": 1}')
    assert not echoes.claim('{"n": 2}')  # never delivered here: deliver it
    assert echoes.claim('{"n": 1}')  # Redis brought back what we delivered: skip
    assert not echoes.claim('{"n": 1}')  # only once
    assert len(echoes) == 0


def test_the_same_payload_remembered_twice_is_skipped_twice() -> None:
    echoes = Echoes()
    echoes.remember("same")
    echoes.remember("same")
    assert echoes.claim("same") and echoes.claim("same") and not echoes.claim("same")


def test_a_payload_redis_refused_is_forgotten() -> None:
    echoes = Echoes()
    echoes.remember("refused")
    echoes.forget("refused")
    assert not echoes.claim("refused") and len(echoes) == 0


def test_echoes_are_bounded_and_forget_the_oldest_first() -> None:
    echoes = Echoes(size=3)
    for n in range(5):
        echoes.remember(str(n))
    assert len(echoes) == 3
    assert not echoes.claim("0") and not echoes.claim("1")
    assert echoes.claim("2") and echoes.claim("3") and echoes.claim("4")
