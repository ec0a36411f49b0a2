"""How search results are ordered. The SQL in store/search.py computes exactly this.

    score     = relevance * (w_rel + w_imp * importance + w_rec * recency)
    recency   = 0.5 ** (age_days / half_life_days)   age from ``reference_time`` (default now)
    relevance = similarity                                   mode "vector"
              = keyword                                      mode "keyword"
              = (1 - h) * similarity + h * keyword           mode "hybrid"
    similarity = max(0, 1 - cosine_distance)                 in [0, 1]
    keyword    = bm25 / the query's best possible bm25 here  in [0, 1]

Keyword scoring is BM25 (k1 0.9, b 0.4: Lucene / Anserini's defaults) with corpus
statistics (message count, average length, each word's document frequency) taken over the
search's scope, on the message's words plus, at half weight, the words of the message
before it in its conversation (stored as its ``context`` when written: BM25F's weighted
fields). A reply ("Yes, it was amazing!") is then found by the words of what it answers.

Hybrid mode takes the top candidates of each list (by similarity, by BM25) and sums the
two scores with the keyword share h (0.6). Both are absolute, in [0, 1] (the keyword score is
BM25 over the query's best possible BM25 in the scope), so a hit with neither keeps a low
relevance however few messages the scope holds: ``min_score`` means something. Summing
scores beat reciprocal-rank fusion (which needed a separate evidence factor to be
thresholdable) on LoCoMo conversations 0-4 and on the held-out 5-9; the choices (h, BM25's
context weight and parameters) were made on 0-4 (bench/results/quality.md).

Importance and recency scale relevance instead of being added to it: they reorder hits
of similar relevance (a recent, important message is lifted by at most
(w_imp + w_rec) / w_rel = a third over an old, unimportant one of the same relevance) but
never lift an unrelated message, whose score stays near its relevance, ~0. Added, a
recency weight of 0.10 swamped the differences between relevant hits in a live
conversation (recall -5 points on LoCoMo conversations 0-4 with dates moved to now;
scaled: -0.6) and gave every fresh message ~0.2 of score whatever the query, so no
``min_score`` separated related from unrelated.

The three weights are normalised to sum to 1, so ``score`` is in [0, relevance] and
``min_score`` means the same whatever the weights.
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
    hybrid_keyword_share: float = 0.6  # h: the keyword score's weight in hybrid relevance
    bm25_k1: float = 0.9  # term-frequency saturation (Lucene / Anserini's default)
    bm25_b: float = 0.4  # length normalisation (the same)
    context_weight: float = 0.5  # a context word counts half a content word (BM25F)

    def __post_init__(self) -> None:
        total = self.relevance + self.importance + self.recency
        if total <= 0:
            raise ValueError("ranking weights must not all be zero")
        object.__setattr__(self, "relevance", self.relevance / total)
        object.__setattr__(self, "importance", self.importance / total)
        object.__setattr__(self, "recency", self.recency / total)
