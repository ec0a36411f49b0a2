"""How search results are ordered. The SQL in store/search.py computes exactly this.

    score     = w_rel * relevance + w_imp * importance + w_rec * recency
    recency   = 0.5 ** (age_days / half_life_days)          (1 now, 0.5 at one half-life)
    relevance = similarity                                   mode "vector"
              = keyword                                      mode "keyword"
              = (1 - h) * rrf(vector_rank) + h * rrf(keyword_rank)   mode "hybrid"
    rrf(r)     = (k + 1) / (k + r), 0 when not in that list  in (0, 1]
    similarity = max(0, 1 - cosine_distance)                 in [0, 1]
    keyword    = ts_rank(..., 32) = rank / (rank + 1)        in [0, 1)
                 (the query's words ORed, see store/search.py)

Hybrid mode fuses the two candidate lists by rank (reciprocal-rank fusion), not by their
scores: keyword ranks are small numbers (~0.02-0.15 for a message sharing a word or two
with the query) beside similarities (~0.3-0.7), so a weighted sum of the scores needed a
keyword share near 0.9 to let keywords count at all, and then left hybrid relevance so
small that importance and recency decided the order. Fused by rank, the best hit of both
lists has relevance 1 and the blend keeps its meaning. On LoCoMo (bench/results/quality.md;
chosen on conversations 0-4, confirmed on 5-9) k = 10 with h = 0.5 matched the best
weighted sum on relevance alone and kept its recall with importance and recency on, also
with the conversation's dates moved to today. The score parts still report the raw
``similarity`` and ``keyword`` of each hit.

``age_days`` is taken at the time of the search (``now()`` in the statement): recency
favours what was said lately, measured from today, not from the conversation's last turn.

The three weights are normalised to sum to 1, so ``score`` is in [0, 1] and ``min_score``
means the same whatever the weights.
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
    hybrid_keyword_share: float = 0.6  # h: the keyword list's weight in the fusion
    rrf_k: int = 10
    bm25_k1: float = 0.9  # term-frequency saturation (Lucene / Anserini's default)
    bm25_b: float = 0.4  # length normalisation (the same)
    context_weight: float = 0.5  # a context word counts half a content word (BM25F)
    # evidence = clamp((similarity - floor) / (full - floor), keyword / keyword_full)
    similarity_floor: float = 0.1
    similarity_full: float = 0.4
    keyword_full: float = 0.25

    def __post_init__(self) -> None:
        total = self.relevance + self.importance + self.recency
        if total <= 0:
            raise ValueError("ranking weights must not all be zero")
        object.__setattr__(self, "relevance", self.relevance / total)
        object.__setattr__(self, "importance", self.importance / total)
        object.__setattr__(self, "recency", self.recency / total)
