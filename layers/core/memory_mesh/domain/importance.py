"""Importance of a message, a number in [0, 1] stored with it.

Formula (weights are settings, see the README):

    importance = explicit                       if the client sent one
               = (1 - c) * role_weight[role]    otherwise
                 + c * content_signal(content)

    content_signal = 0.4 * length  + 0.4 * marker + 0.2 * figures
      length  = min(1, ln(1 + words) / ln(51))     saturates at about 50 words
      marker  = 1 if the text states a durable fact or wish ("remember", "my name",
                "I prefer", "deadline", "allergic", ...), else 0
      figures = 1 if it holds a number or date, else 0

``c`` is MEMORY_IMPORTANCE_CONTENT_WEIGHT. Recency is not baked in here: it decays at
search time (see ranking.py), so an old message keeps its importance for retention.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from memory_mesh.domain.models import Role

_MARKERS = re.compile(
    r"\b(remember|important|always|never|my name|i am|i'm|i prefer|i like|i love|i hate|"
    r"i need|favou?rite|deadline|birthday|allergic|password|address|phone|email|"
    r"don't forget|must|promise|plan to|going to)\b",
    re.IGNORECASE,
)
_FIGURES = re.compile(r"\d")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ImportanceWeights:
    """Role base weights and the share of content signals, all in [0, 1]."""

    user: float = 0.6
    assistant: float = 0.4
    system: float = 0.8
    tool: float = 0.3
    content: float = 0.3

    def role_weight(self, role: Role) -> float:
        return float(getattr(self, role.value))


def content_signal(content: str) -> float:
    """How much the text itself suggests it is worth remembering, in [0, 1]."""
    words = len(_WORD.findall(content))
    length = min(1.0, math.log1p(words) / math.log(51))
    marker = 1.0 if _MARKERS.search(content) else 0.0
    figures = 1.0 if _FIGURES.search(content) else 0.0
    return 0.4 * length + 0.4 * marker + 0.2 * figures


def score_importance(
    role: Role, content: str, weights: ImportanceWeights, explicit: float | None = None
) -> float:
    """The importance to store: ``explicit`` when given, else the documented blend."""
    if explicit is not None:
        return min(1.0, max(0.0, explicit))
    c = weights.content
    value = (1 - c) * weights.role_weight(role) + c * content_signal(content)
    return round(min(1.0, max(0.0, value)), 4)
