import pytest

from memory_mesh.domain.validation import (
    Limits,
    check_batch,
    check_content,
    check_metadata,
    check_top_k,
)
from memory_mesh.errors import InvalidInput

L = Limits(max_content_chars=10, max_metadata_bytes=60, max_batch_size=3, max_top_k=5)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("", "content_empty"),
        ("   \n", "content_empty"),
        ("x" * 11, "content_too_long"),
        ("a\x00b", "invalid_characters"),
    ],
)
def test_bad_content_is_refused_with_its_code(content: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_content(content, L)
    assert err.value.code == code
    assert err.value.details[0]["field"] == "content"


def test_good_content_passes_including_emoji() -> None:
    assert check_content("héllo 👋", L) == "héllo 👋"


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"k": "v" * 80}, "metadata_too_large"),
        ({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, "metadata_too_deep"),
        ({"k": "a\x00"}, "invalid_characters"),
    ],
)
def test_bad_metadata_is_refused(metadata: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_metadata(metadata, L)
    assert err.value.code == code


def test_metadata_at_the_depth_limit_passes() -> None:
    check_metadata({"a": {"b": {"c": {"d": {"e": 1}}}}}, Limits())


def test_batch_and_top_k_limits() -> None:
    check_batch(3, L)
    for size, code in ((0, "batch_empty"), (4, "batch_too_large")):
        with pytest.raises(InvalidInput) as err:
            check_batch(size, L)
        assert err.value.code == code
    check_top_k(5, L)
    for k in (0, 6):
        with pytest.raises(InvalidInput):
            check_top_k(k, L)
