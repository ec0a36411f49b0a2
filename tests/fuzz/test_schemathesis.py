"""Contract fuzzing: schemathesis generates requests from the running server's OpenAPI
document for every operation, authenticated with an API key, and checks that no answer
is a 5xx and every answer matches its documented schema and content type.

CI runs this bounded (MEMORY_FUZZ_EXAMPLES, default 20 examples per operation); the
longer run is documented in docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from memory_mesh.http.app import create_app
from tests.conftest import JWT_SECRET, make_settings
from tests.e2e.server import running_server
from tests.faults.support import sign_up

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("MEMORY_FUZZ_EXAMPLES", "20"))


@schemathesis.serializer("application/x-ndjson")
def _json_lines(_: object, value: Any) -> bytes:
    """POST /v1/import takes JSON Lines: one generated value per line."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):  # a lone surrogate goes out as the invalid UTF-8 it makes
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


@pytest.fixture(scope="module")
def fuzz_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A real `memory-mesh serve` process and an admin API key of a fresh tenant."""
    with running_server(
        tmp_path_factory.mktemp("fuzz"),
        MEMORY_DATABASE_URL=database_url,
        MEMORY_ENVIRONMENT="test",
        MEMORY_JWT_SECRET_KEY=JWT_SECRET,
        # the fuzzer sends thousands of requests: limits are not what is tested here
        MEMORY_GLOBAL_RATE_LIMIT="1000000/minute",
        MEMORY_TENANT_RATE_LIMIT="1000000/minute",
        MEMORY_LOGIN_RATE_LIMIT="1000000/minute",
    ) as url:
        _, key = sign_up(url)
        yield url, key


def _openapi_document() -> dict[str, Any]:
    """The service's OpenAPI document, built in process by the same app factory the server
    runs (no database is touched: the lifespan never starts). Loaded eagerly, not through
    ``schemathesis.pytest.from_fixture``: that lazy loader writes pytest's private
    ``Node._nodeid``, which pytest 9.2 removed."""
    app = create_app(make_settings("postgresql://unused@127.0.0.1:1/unused"))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_openapi_document())

LONE_SURROGATE = "\ud800"  # JSON "\\ud800": no character; once answered 500 (content, metadata)


def surrogate_variants(value: Any) -> list[Any]:
    """Copies of ``value`` with ONE string (or object key) given a lone UTF-16 surrogate:
    hypothesis never generates these itself (its text excludes surrogates)."""
    if isinstance(value, str):
        return [value + LONE_SURROGATE]
    variants: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                renamed = {k: v for k, v in value.items() if k != key}
                variants.append({**renamed, key + LONE_SURROGATE: item})
            variants += [{**value, key: inner} for inner in surrogate_variants(item)]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            variants += [
                [*value[:index], inner, *value[index + 1 :]] for inner in surrogate_variants(item)
            ]
    return variants


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """Every generated body, and each of its lone-surrogate variants."""
    variants = surrogate_variants(body)
    return st.one_of(st.just(body), st.sampled_from(variants)) if variants else st.just(body)


@pytest.fixture(scope="module")
def served_schema(fuzz_server: tuple[str, str]) -> dict[str, Any]:
    url, _ = fuzz_server
    return dict(httpx.get(f"{url}/openapi.json", timeout=30).json())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_without_5xx_and_within_its_schema(
    case: schemathesis.Case, fuzz_server: tuple[str, str]
) -> None:
    url, key = fuzz_server
    case.call_and_validate(
        base_url=url,
        headers={"x-api-key": key},
        timeout=60,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


def test_the_fuzzed_schema_is_the_one_the_server_serves(served_schema: dict[str, Any]) -> None:
    """The in-process document the cases come from is exactly the running server's."""
    assert served_schema == _openapi_document()


def test_the_fuzzer_covers_the_api() -> None:
    """Guard against silently fuzzing nothing (a broken schema load)."""
    operations = [op.ok() for op in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert {"/v1/messages", "/v1/messages/batch", "/v1/memory/search"} <= paths
    assert len(operations) >= 30


def test_the_fuzzer_also_sends_lone_surrogates_in_every_text_position() -> None:
    body = {"content": "a", "metadata": {"k": ["v"]}, "top_k": 3}
    variants = surrogate_variants(body)
    assert {"content": "a" + LONE_SURROGATE, "metadata": {"k": ["v"]}, "top_k": 3} in variants
    assert {"content": "a", "metadata": {"k": ["v" + LONE_SURROGATE]}, "top_k": 3} in variants
    assert {"content": "a", "metadata": {"k" + LONE_SURROGATE: ["v"]}, "top_k": 3} in variants
    assert all(LONE_SURROGATE in json.dumps(v, ensure_ascii=False) for v in variants)
    assert len(variants) == 6  # 3 keys, content, metadata.k, metadata.k[0]
