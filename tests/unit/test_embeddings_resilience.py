"""Retries, timeouts and the circuit breaker around a remote provider (fake clock, no sleeps)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from memory_mesh.config import Settings
from memory_mesh.embeddings import circuit_state
from memory_mesh.embeddings.base import (
    EmbedderInfo,
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
    Matrix,
    Vector,
    first_row,
)
from memory_mesh.embeddings.cache import QueryCacheEmbedder
from memory_mesh.embeddings.deterministic import DeterministicEmbedder
from memory_mesh.embeddings.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    ResilientEmbedder,
)

DIMS = 16


class FakeClock:
    """Monotonic seconds that only move when told to (or when the fake sleep runs)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedProvider:
    """A remote provider whose next calls fail with the scripted errors, then succeed."""

    def __init__(self, failures: Sequence[Exception] = (), *, fail_forever: bool = False) -> None:
        self.failures = list(failures)
        self.fail_forever = fail_forever
        self.calls: list[list[str]] = []
        self.fail_at: dict[int, Exception] = {}  # call number (1-based) -> error
        self._vectors = DeterministicEmbedder(DIMS)

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo(provider="fake", model="fake-1", dimensions=DIMS)

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        self.calls.append(list(texts))
        if len(self.calls) in self.fail_at:
            raise self.fail_at.pop(len(self.calls))
        if self.fail_forever:
            raise EmbeddingUnavailable("provider down")
        if self.failures:
            raise self.failures.pop(0)
        return self._vectors.embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        return first_row(self.embed_documents([text]))


def state_of(thing: ResilientEmbedder | CircuitBreaker) -> str:
    # a fresh read: mypy would otherwise keep the state narrowed from an earlier assert
    return thing.circuit_state if isinstance(thing, ResilientEmbedder) else thing.state


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "embedding_provider": "deterministic",
        "embedding_dimensions": DIMS,
        "embedding_max_retries": 3,
        "embedding_circuit_failure_threshold": 10,
        "embedding_circuit_reset_seconds": 30.0,
        "embedding_timeout_seconds": 5.0,
        "embedding_batch_size": 32,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def wrap(provider: ScriptedProvider, clock: FakeClock, **overrides: object) -> ResilientEmbedder:
    # timeout=None: no watchdog thread, so the fakes run in the test's own thread
    return ResilientEmbedder(
        provider, make_settings(**overrides), sleep=clock.sleep, clock=clock, timeout=None
    )


def test_retries_then_succeeds_with_growing_backoff() -> None:
    clock = FakeClock()
    provider = ScriptedProvider([EmbeddingUnavailable("503"), EmbeddingRateLimited("429")])
    embedder = wrap(provider, clock)
    vector = embedder.embed_query("hello")
    np.testing.assert_array_equal(vector, DeterministicEmbedder(DIMS).embed_query("hello"))
    assert len(provider.calls) == 3
    assert len(clock.sleeps) == 2
    # 0.5 s then 1 s, plus up to 0.5 s of jitter each
    assert 0.5 <= clock.sleeps[0] <= 1.0
    assert 1.0 <= clock.sleeps[1] <= 1.5
    assert embedder.circuit_state == "closed"
    assert embedder.breaker.consecutive_failures == 0


def test_retries_exhausted_raise_the_provider_error() -> None:
    clock = FakeClock()
    provider = ScriptedProvider(fail_forever=True)
    embedder = wrap(provider, clock, embedding_max_retries=2)
    with pytest.raises(EmbeddingUnavailable, match="provider down") as info:
        embedder.embed_documents(["a", "b"])
    assert not isinstance(info.value, CircuitOpenError)
    assert info.value.code == "embedding_unavailable"
    assert len(provider.calls) == 3
    assert len(clock.sleeps) == 2
    assert embedder.breaker.consecutive_failures == 3
    assert embedder.circuit_state == "closed"


def test_zero_retries_means_one_attempt() -> None:
    clock = FakeClock()
    provider = ScriptedProvider(fail_forever=True)
    with pytest.raises(EmbeddingUnavailable):
        wrap(provider, clock, embedding_max_retries=0).embed_query("q")
    assert len(provider.calls) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "error", [EmbeddingConfigError("bad key"), EmbeddingError("input refused")]
)
def test_other_errors_are_not_retried_and_do_not_trip_the_circuit(error: Exception) -> None:
    clock = FakeClock()
    provider = ScriptedProvider([error, error])
    embedder = wrap(provider, clock, embedding_circuit_failure_threshold=1)
    with pytest.raises(type(error)):
        embedder.embed_query("q")
    assert len(provider.calls) == 1
    assert clock.sleeps == []
    assert embedder.circuit_state == "closed"


def test_circuit_opens_after_threshold_and_rejects_fast() -> None:
    clock = FakeClock()
    provider = ScriptedProvider(fail_forever=True)
    embedder = wrap(provider, clock, embedding_max_retries=0, embedding_circuit_failure_threshold=3)
    for _ in range(3):
        assert embedder.circuit_state == "closed"
        with pytest.raises(EmbeddingUnavailable, match="provider down"):
            embedder.embed_query("q")
    assert embedder.circuit_state == "open"
    assert len(provider.calls) == 3

    clock.now += 29.0  # still inside the 30 s reset window
    with pytest.raises(CircuitOpenError, match="circuit open") as info:
        embedder.embed_documents(["x"])
    assert info.value.code == "embedding_unavailable"
    assert isinstance(info.value, EmbeddingUnavailable)
    assert len(provider.calls) == 3  # the provider was not called
    assert clock.sleeps == []  # and nothing waited


def test_open_circuit_is_not_retried() -> None:
    clock = FakeClock()
    provider = ScriptedProvider(fail_forever=True)
    embedder = wrap(provider, clock, embedding_max_retries=5, embedding_circuit_failure_threshold=2)
    with pytest.raises(EmbeddingUnavailable, match="provider down"):
        embedder.embed_query("q")
    # the second failure opened the circuit, so the remaining retries were skipped
    assert len(provider.calls) == 2
    assert len(clock.sleeps) == 1
    assert embedder.circuit_state == "open"


def test_half_open_trial_success_closes_the_circuit() -> None:
    clock = FakeClock()
    provider = ScriptedProvider([EmbeddingUnavailable("down")] * 2)
    embedder = wrap(provider, clock, embedding_max_retries=0, embedding_circuit_failure_threshold=2)
    for _ in range(2):
        with pytest.raises(EmbeddingUnavailable):
            embedder.embed_query("q")
    assert embedder.circuit_state == "open"
    clock.now += 30.0
    assert state_of(embedder) == "half_open"
    vector = embedder.embed_query("q")
    assert vector.shape == (DIMS,)
    assert state_of(embedder) == "closed"
    assert embedder.breaker.consecutive_failures == 0
    assert len(provider.calls) == 3


def test_half_open_trial_failure_reopens_the_circuit() -> None:
    clock = FakeClock()
    provider = ScriptedProvider(fail_forever=True)
    embedder = wrap(provider, clock, embedding_max_retries=3, embedding_circuit_failure_threshold=1)
    with pytest.raises(EmbeddingUnavailable):
        embedder.embed_query("q")
    clock.now += 30.0
    with pytest.raises(EmbeddingUnavailable, match="provider down"):
        embedder.embed_query("q")  # the trial: one call, no retries
    assert len(provider.calls) == 2
    assert embedder.circuit_state == "open"
    clock.now += 10.0
    with pytest.raises(CircuitOpenError):
        embedder.embed_query("q")
    assert len(provider.calls) == 2


def test_half_open_lets_exactly_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(1, 5.0, clock=clock)
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError, match=r"next trial in 5\.0s"):
        breaker.acquire()
    clock.now += 5.0
    breaker.acquire()  # the trial
    assert state_of(breaker) == "half_open"
    with pytest.raises(CircuitOpenError):
        breaker.acquire()  # a second caller while the trial runs
    breaker.record_success()
    assert state_of(breaker) == "closed"
    breaker.acquire()


def test_a_trial_ending_without_verdict_frees_the_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(1, 5.0, clock=clock)
    breaker.record_failure()
    clock.now += 5.0
    breaker.acquire()
    breaker.release()
    breaker.acquire()  # another trial is allowed
    breaker.record_failure()
    assert breaker.state == "open"


def test_success_resets_the_consecutive_count() -> None:
    clock = FakeClock()
    provider = ScriptedProvider([EmbeddingUnavailable("x")] * 2)
    embedder = wrap(provider, clock, embedding_max_retries=0, embedding_circuit_failure_threshold=3)
    for _ in range(2):
        with pytest.raises(EmbeddingUnavailable):
            embedder.embed_query("q")
    embedder.embed_query("q")
    provider.failures = [EmbeddingUnavailable("y")] * 2
    for _ in range(2):
        with pytest.raises(EmbeddingUnavailable):
            embedder.embed_query("q")
    assert embedder.circuit_state == "closed"  # 2 + 2 failures, but never 3 in a row


def test_documents_are_protected_per_provider_request() -> None:
    clock = FakeClock()
    provider = ScriptedProvider()
    provider.max_texts_per_request = 2  # type: ignore[attr-defined]
    embedder = wrap(provider, clock)
    texts = ["one", "two", "three", "four", "five"]
    vectors = embedder.embed_documents(texts)
    assert provider.calls == [["one", "two"], ["three", "four"], ["five"]]
    np.testing.assert_array_equal(vectors, DeterministicEmbedder(DIMS).embed_documents(texts))

    # a failure of the second request retries that request only
    provider.calls.clear()
    provider.fail_at = {2: EmbeddingUnavailable("blip")}
    again = embedder.embed_documents(texts)
    assert provider.calls == [["one", "two"], ["three", "four"], ["three", "four"], ["five"]]
    np.testing.assert_array_equal(again, vectors)


def test_empty_list_makes_no_call() -> None:
    clock = FakeClock()
    provider = ScriptedProvider(fail_forever=True)
    vectors = wrap(provider, clock).embed_documents([])
    assert vectors.shape == (0, DIMS)
    assert provider.calls == []


def test_a_call_that_hangs_times_out() -> None:
    release = threading.Event()

    class HangingProvider(ScriptedProvider):
        def embed_documents(self, texts: Sequence[str]) -> Matrix:
            self.calls.append(list(texts))
            release.wait(10)
            return super().embed_documents(texts)

    clock = FakeClock()
    provider = HangingProvider()
    embedder = ResilientEmbedder(
        provider,
        make_settings(embedding_max_retries=1, embedding_circuit_failure_threshold=2),
        sleep=clock.sleep,
        clock=clock,
        timeout=0.05,
    )
    try:
        with pytest.raises(EmbeddingUnavailable, match=r"did not answer within 0\.05s"):
            embedder.embed_query("q")
        assert len(provider.calls) == 2  # the first attempt and one retry both timed out
        assert embedder.circuit_state == "open"
    finally:
        release.set()
        embedder.close()


def test_watchdog_passes_results_and_errors_through() -> None:
    clock = FakeClock()
    provider = ScriptedProvider([EmbeddingConfigError("bad")])
    embedder = ResilientEmbedder(
        provider, make_settings(), sleep=clock.sleep, clock=clock, timeout=5.0
    )
    try:
        with pytest.raises(EmbeddingConfigError):
            embedder.embed_query("q")
        vector = embedder.embed_query("q")
        np.testing.assert_array_equal(vector, DeterministicEmbedder(DIMS).embed_query("q"))
    finally:
        embedder.close()


def test_circuit_state_is_found_through_wrappers() -> None:
    clock = FakeClock()
    resilient = wrap(ScriptedProvider(), clock)
    assert circuit_state(QueryCacheEmbedder(resilient, 8)) == "closed"
    assert circuit_state(QueryCacheEmbedder(DeterministicEmbedder(DIMS), 8)) is None
    assert resilient.info.provider == "fake"
