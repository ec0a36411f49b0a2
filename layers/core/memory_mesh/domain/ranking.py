"""How search results are ordered. The SQL in store/search.py computes exactly this.

    score     = w_rel * relevance + w_imp * importance + w_rec * recency
    recency   = 0.5 ** (age_days / half_life_days)          (1 now, 0.5 at one half-life)
    relevance = similarity                                   mode "vector"
              = keyword                                      mode "keyword"
              = (1 - h) * similarity + h * keyword           mode "hybrid"
    similarity = max(0, 1 - cosine_distance)                 in [0, 1]
    keyword    = ts_rank_cd(..., 32) = rank / (rank + 1)     in [0, 1)

The three weights are normalised to sum to 1, so ``score`` is in [0, 1] and ``min_score``
means the same whatever the weights. ``h`` is the hybrid keyword share.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the final blend (normalised on construction) and the recency half-life."""

    relevance: float = 0.75
    importance: float = 0.15
    recency: float = 0.10
    half_life_days: float = 30.0
    hybrid_keyword_share: float = 0.3

    def __post_init__(self) -> None:
        total = self.relevance + self.importance + self.recency
        if total <= 0:
            raise ValueError("ranking weights must not all be zero")
        object.__setattr__(self, "relevance", self.relevance / total)
        object.__setattr__(self, "importance", self.importance / total)
        object.__setattr__(self, "recency", self.recency / total)
