from datetime import UTC, datetime
from uuid import uuid4

import pytest

from memory_mesh.domain.cursor import decode_cursor, encode_cursor
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.errors import InvalidInput


def test_cursor_round_trips() -> None:
    at, row_id = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC), uuid4()
    assert decode_cursor(encode_cursor(at, row_id)) == (at, row_id)


@pytest.mark.parametrize("bad", ["", "!!!", "bm90IGEgY3Vyc29y", encode_cursor.__name__])
def test_a_foreign_cursor_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        decode_cursor(bad)
    assert err.value.code == "invalid_cursor"


def test_ranking_weights_are_normalised() -> None:
    w = RankingWeights(relevance=3, importance=1, recency=0)
    assert (w.relevance, w.importance, w.recency) == (0.75, 0.25, 0.0)


def test_all_zero_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        RankingWeights(relevance=0, importance=0, recency=0)


def test_exact_limit_grows_with_the_table_only_for_narrowed_scopes() -> None:
    from memory_mesh.store.search import exact_limit

    assert exact_limit(5_000, 1_000_000, narrowed=False) == 5_000
    assert exact_limit(5_000, 1_000_000, narrowed=True) == 70_710  # isqrt(5e9)
    # a conversation as large as the table: the tenant's limit
    assert exact_limit(5_000, 5_000, narrowed=True) == 5_000
    # an empty or never analysed table (reltuples -1 -> 0) and a zero limit stay put
    assert exact_limit(5_000, 0, narrowed=True) == 5_000
    assert exact_limit(0, 1_000_000, narrowed=True) == 0
