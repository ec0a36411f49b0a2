"""Each fuzzed API operation is its own test id.

schemathesis names its per-operation items ``test_x[POST /v1/...]``, but pytest 9.2 builds
an item's id from its original name and parametrize call only, so all of them got the
same id (``test_x``): reports could not tell them apart, and pytest-xdist, which hands out
tests by id, ran one of the 45 and reported the rest as never collected. The operation is
put back into the id here.
"""

from __future__ import annotations

import pytest
from schemathesis.pytest.plugin import SchemathesisFunction


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, SchemathesisFunction) and item.operation_label:
            # pytest keeps an item's id in ``_id`` (a NodeId); no public way to set it
            item._id = item.parent.id.child(item.originalname).with_params(item.operation_label)
