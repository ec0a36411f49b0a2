"""X-Ray subsegments around the slow parts of a request — SQL, embedding calls, Redis —
in Lambda, so a slow invocation's trace shows where its time went. Elsewhere (the local
server, tests, ``POWERTOOLS_TRACE_DISABLED``) :func:`subsegment` does nothing and imports
nothing; the local server traces with OpenTelemetry instead (``tracing.py``).

The subsegments hang under the invocation's segment that Powertools' Tracer (the
``aws_xray_sdk`` recorder) keeps for the thread running the handler. So they are opened
on that thread — around an ``await`` of work handed to a worker thread, never inside the
worker — and only on the request path, which runs its awaits one after another (two
concurrent tasks would interleave the recorder's stack of open subsegments).

Only names and low-cardinality annotations are recorded: never SQL parameters, message
content or responses (``POWERTOOLS_TRACER_CAPTURE_RESPONSE=false`` in the template keeps
the handler's response out as well).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

NAMESPACE = "remote"


def _recorder() -> Any | None:
    """The X-Ray recorder when running traced in Lambda, else None."""
    if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return None
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true"):
        return None
    from aws_xray_sdk.core import xray_recorder  # type: ignore[import-untyped]

    return xray_recorder


@contextmanager
def subsegment(name: str, **annotations: str | int | bool) -> Iterator[None]:
    """Time the enclosed block as X-Ray subsegment ``name`` (``postgres``, ``redis``,
    ``embedding``) with ``annotations``; a no-op outside Lambda."""
    recorder = _recorder()
    if recorder is None:
        yield
        return
    entity = recorder.begin_subsegment(name, namespace=NAMESPACE)
    try:
        if entity is not None:
            for key, value in annotations.items():
                entity.put_annotation(key, value)
        yield
    except Exception as exc:
        if entity is not None:
            entity.add_exception(exc, _stack())
        raise
    finally:
        if entity is not None:
            recorder.end_subsegment()


def _stack() -> list[Any]:
    import traceback

    return traceback.extract_stack()
