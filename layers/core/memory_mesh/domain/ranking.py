"""How search results are ordered. The SQL in store/search.py computes exactly this.

    score     = w_rel * relevance + w_imp * importance + w_rec * recency
    recency   = 0.5 ** (age_days / half_life_days)   age from ``reference_time`` (default now)
    relevance = similarity                                   mode "vector"
              = keyword                                      mode "keyword"
              = fused * evidence                             mode "hybrid"
    fused     = (1 - h) * rrf(vector_rank) + h * rrf(keyword_rank)
    rrf(r)    = (k + 1) / (k + r), 0 when not in that list   in (0, 1]
    evidence  = clamp(max((similarity - s0) / (s1 - s0), keyword / kw1), 0, 1)
    similarity = max(0, 1 - cosine_distance)                 in [0, 1]
    keyword    = bm25 / the query's best possible bm25 here  in [0, 1]

Keyword scoring is BM25 (k1 0.9, b 0.4: Lucene / Anserini's defaults) with corpus
statistics (message count, average length, each word's document frequency) taken over the
search's scope, on the message's words plus, at half weight, the words of the message
before it in its conversation (stored as its ``context`` when written: BM25F's weighted
fields). A reply ("Yes, it was amazing!") is then found by the words of what it answers.

Hybrid mode fuses the two candidate lists by rank (reciprocal-rank fusion), not by their
scores, whose scales differ; then scales the fused rank by the hit's own evidence, its
similarity or keyword score whichever is stronger, calibrated so an unrelated hit
(similarity under s0 = 0.1, no keyword) gets ~0 and a clearly related one (similarity 0.4,
or a quarter of the query's keyword evidence) keeps its fused rank. Rank fusion alone gives
the best of three unrelated messages relevance ~1 in a small conversation; with the
evidence, ``min_score`` means something (README "How search ranks": 0.3 removes hits
without evidence). The choices (k 10, h 0.6, BM25's context weight and parameters, the evidence
calibration) were made on LoCoMo conversations 0-4 and are reported on 5-9
(bench/results/quality.md).

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
