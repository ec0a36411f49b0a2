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
