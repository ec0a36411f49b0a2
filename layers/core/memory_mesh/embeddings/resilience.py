"""Timeouts, retries and a circuit breaker around a remote embedding provider.

Every provider request (one chunk of ``max_texts_per_request`` texts, or one query) is:
1. refused at once with :class:`CircuitOpenError` while the circuit is open;
2. bounded by ``embedding_timeout_seconds`` (the client has the same timeout; this one
   also covers slow-drip answers the client's per-read timeouts let through);
3. retried up to ``embedding_max_retries`` times with exponential backoff and jitter, on
   :class:`EmbeddingUnavailable` and :class:`EmbeddingRateLimited` only.

``embedding_circuit_failure_threshold`` consecutive failed requests open the circuit;
``embedding_circuit_reset_seconds`` later one trial request is let through (half-open):
success closes the circuit, failure opens it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Literal, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from memory_mesh.config import Settings
from memory_mesh.embeddings.base import (  # circuit_state: imported from here too
    CircuitState,
    Embedder,
    EmbedderInfo,
    EmbeddingError,
    EmbeddingRateLimited,
    EmbeddingUnavailable,
    check_texts,
    circuit_state,
    empty_matrix,
)

if TYPE_CHECKING:
    from memory_mesh.embeddings.base import Matrix, QueryVector

__all__ = ["CircuitState", "ResilientEmbedder", "circuit_state"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: First retry delay in seconds; doubles per retry, capped at DEFAULT_BACKOFF_MAX.
DEFAULT_BACKOFF_INITIAL = 0.5
#: Longest delay between two retries, in seconds (before jitter).
DEFAULT_BACKOFF_MAX = 8.0
#: Up to this many seconds of random delay are added to each backoff.
DEFAULT_BACKOFF_JITTER = 0.5
# most provider calls one process keeps in flight; more wait for a free worker
_MAX_CONCURRENT_CALLS = 16


class CircuitOpenError(EmbeddingUnavailable):
    """The circuit is open: the call was refused without reaching the provider."""


class CircuitBreaker:
    """Consecutive-failure circuit breaker with an injectable monotonic clock (seconds).

    Thread-safe. In half-open state exactly one trial call is in flight; the others are
    refused until it ends.
    """

    def __init__(
        self,
        failure_threshold: int,
        reset_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        name: str = "embedding provider",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_seconds <= 0:
            raise ValueError("reset_seconds must be positive")
        self._threshold = failure_threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._name = name
        self._lock = threading.Lock()
        self._state: CircuitState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> CircuitState:
        """``closed``, ``open``, or ``half_open`` (open, but the next call may go through)."""
        with self._lock:
            if self._state == "open" and self._reset_elapsed():
                return "half_open"
            return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failed calls since the last success."""
        with self._lock:
            return self._failures

    def acquire(self) -> None:
        """Ask to make a call; raises :class:`CircuitOpenError` if it must not be made."""
        with self._lock:
            if self._state == "closed":
                return
            if self._state == "open" and self._reset_elapsed():
                self._state = "half_open"
            if self._state == "half_open" and not self._trial_in_flight:
                self._trial_in_flight = True
                log.info("%s circuit half-open: letting one trial call through", self._name)
                return
            wait = max(0.0, self._opened_at + self._reset_seconds - self._clock())
            raise CircuitOpenError(
                f"{self._name} circuit open after {self._failures} consecutive failures; "
                f"next trial in {wait:.1f}s"
            )

    def record_success(self) -> None:
        """The call reached the provider and got an answer: close the circuit."""
        with self._lock:
            if self._state != "closed":
                log.info("%s circuit closed", self._name)
            self._state = "closed"
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self) -> None:
        """The provider failed the call: count it, and open the circuit at the threshold."""
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or (
                self._state == "closed" and self._failures >= self._threshold
            ):
                self._state = "open"
                self._opened_at = self._clock()
                log.warning(
                    "%s circuit opened after %d consecutive failures; trial in %.1fs",
                    self._name,
                    self._failures,
                    self._reset_seconds,
                )
            self._trial_in_flight = False

    def release(self) -> None:
        """The call ended without a verdict on the provider (e.g. a bug or interrupt)."""
        with self._lock:
            self._trial_in_flight = False

    def _reset_elapsed(self) -> bool:
        return self._clock() - self._opened_at >= self._reset_seconds


class ResilientEmbedder:
    """Wraps a remote :class:`Embedder` with a timeout, retries and a circuit breaker.

    ``sleep`` (seconds) and ``clock`` (monotonic seconds) are injectable so tests need no
    real waiting. ``timeout`` (seconds) defaults to ``embedding_timeout_seconds``; None calls
    the provider in the caller's thread, unbounded.
    """

    def __init__(
        self,
        inner: Embedder,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float | Literal["settings"] | None = "settings",
        chunk_size: int | None = None,
        backoff_initial: float = DEFAULT_BACKOFF_INITIAL,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        backoff_jitter: float = DEFAULT_BACKOFF_JITTER,
    ) -> None:
        self.inner = inner
        self._sleep = sleep
        self._timeout = settings.embedding_timeout_seconds if timeout == "settings" else timeout
        # one protected call per provider request, so timeouts and retries are per request
        default_chunk = getattr(inner, "max_texts_per_request", settings.embedding_batch_size)
        self._chunk_size = max(1, int(chunk_size or default_chunk))
        self._max_retries = settings.embedding_max_retries
        self._wait = wait_exponential_jitter(
            initial=backoff_initial, max=backoff_max, exp_base=2, jitter=backoff_jitter
        )
        self.breaker = CircuitBreaker(
            settings.embedding_circuit_failure_threshold,
            settings.embedding_circuit_reset_seconds,
            clock=clock,
            name=f"{inner.info.provider} embedding",
        )
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    @property
    def info(self) -> EmbedderInfo:
        """The wrapped provider's info."""
        return self.inner.info

    @property
    def circuit_state(self) -> CircuitState:
        """``closed``, ``open`` or ``half_open``; for readiness checks."""
        return self.breaker.state

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """Embed texts; returns ``(len(texts), dimensions)``. One protected call per chunk."""
        items = check_texts(texts)
        if not items:
            return empty_matrix(self.info.dimensions)
        parts: list[Matrix] = []
        for start in range(0, len(items), self._chunk_size):
            chunk = items[start : start + self._chunk_size]
            parts.append(self._call(partial(self.inner.embed_documents, chunk)))
        import numpy as np

        matrix: Matrix = np.concatenate(parts, axis=0)
        return matrix

    def embed_query(self, text: str) -> QueryVector:
        """Embed a query; returns ``dimensions`` float32 values. One protected call."""
        return self._call(partial(self.inner.embed_query, text))

    def close(self) -> None:
        """Stop the timeout worker threads (calls still running finish in the background)."""
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def _call(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        result: T = retrying(self._attempt, fn)
        return result

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, CircuitOpenError):
            return False
        if not isinstance(exc, EmbeddingUnavailable | EmbeddingRateLimited):
            return False
        # once the circuit has opened, further retries would only be refused
        return self.breaker.state == "closed"

    def _attempt(self, fn: Callable[[], T]) -> T:
        self.breaker.acquire()
        try:
            result = self._with_timeout(fn)
        except (EmbeddingUnavailable, EmbeddingRateLimited):
            self.breaker.record_failure()
            raise
        except EmbeddingError:
            # the provider answered (it refused this input): it is up
            self.breaker.record_success()
            raise
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.record_success()
        return result

    def _with_timeout(self, fn: Callable[[], T]) -> T:
        if self._timeout is None:
            return fn()
        future = self._get_executor().submit(fn)
        try:
            return future.result(timeout=self._timeout)
        except TimeoutError:
            future.cancel()
            raise EmbeddingUnavailable(
                f"{self.info.provider} did not answer within {self._timeout:g}s"
            ) from None

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=_MAX_CONCURRENT_CALLS, thread_name_prefix="embed-call"
                )
            return self._executor

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "%s embedding attempt %d failed (%s); retrying in %.2fs",
            self.info.provider,
            state.attempt_number,
            exc,
            delay,
        )
