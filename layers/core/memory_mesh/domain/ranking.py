"""How search results are ordered. The SQL in store/search.py computes exactly this.

    score     = w_rel * relevance + w_imp * importance + w_rec * recency
    recency   = 0.5 ** (age_days / half_life_days)          (1 now, 0.5 at one half-life)
    relevance = similarity                                   mode "vector"
              = keyword                                      mode "keyword"
              = (1 - h) * similarity + h * keyword           mode "hybrid"
    similarity = max(0, 1 - cosine_distance)                 in [0, 1]
    keyword    = ts_rank(..., 32) = rank / (rank + 1)        in [0, 1)
                 (the query's words ORed, see store/search.py)

``age_days`` is taken at the time of the search (``now()`` in the statement): recency
favours what was said lately, measured from today, not from the conversation's last turn.

The three weights are normalised to sum to 1, so ``score`` is in [0, 1] and ``min_score``
means the same whatever the weights. ``h`` is the hybrid keyword share. Its default, 0.9,
was chosen on LoCoMo (bench/results/quality.md: recall of evidence turns, settings chosen
on half the conversations, confirmed on the other half). It is high because the two parts
differ in scale: a message matching one or two of the query's words has ``keyword``
~0.06-0.15, while ``similarity`` of related texts is ~0.3-0.7; at 0.9 both move the order.
The same small scale makes hybrid relevance values small, so importance and recency weigh
relatively more in the final score than in vector mode.
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
    hybrid_keyword_share: float = 0.9

    def __post_init__(self) -> None:
        total = self.relevance + self.importance + self.recency
        if total <= 0:
            raise ValueError("ranking weights must not all be zero")
        object.__setattr__(self, "relevance", self.relevance / total)
        object.__setattr__(self, "importance", self.importance / total)
        object.__setattr__(self, "recency", self.recency / total)
