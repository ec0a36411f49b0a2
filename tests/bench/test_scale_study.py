"""The 1M study's recall arithmetic (bench/scale_study.py): pure NumPy on small made-up
tables, no database and no timing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.data import Corpus, Turn, normalise
from bench.scale_study import (
    SqlCase,
    case_figures,
    density,
    exact_neighbours,
    quantised_ceiling,
    quantised_settings,
    real_texts,
)


def _table(rows: int = 500, dims: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return normalise(rng.standard_normal((rows, dims))), normalise(rng.standard_normal((4, dims)))


def _case(answers: list[list[int]]) -> SqlCase:
    case = SqlCase("c", "select 1")
    case.ids = [[f"id{r}" for r in rows] for rows in answers]
    case.latencies = [[0.001] * len(answers)]
    return case


def test_exact_neighbours_are_the_best_similarities_in_order() -> None:
    vectors, queries = _table()
    exact = exact_neighbours(vectors, queries, depth=20)
    for i, q in enumerate(queries):
        expected = np.sort(vectors @ q)[::-1][:20]
        assert np.allclose(exact.top[i], expected)
    assert np.allclose(exact.kth, exact.top[:, 9])


def test_the_exact_top_ten_has_full_recall_and_keeps_all_similarity() -> None:
    vectors, queries = _table()
    exact = exact_neighbours(vectors, queries, depth=20)
    row_of = {f"id{i}": i for i in range(len(vectors))}
    answers = [list(np.argsort(-(vectors @ q))[:10]) for q in queries]
    figures = case_figures(_case(answers), exact, row_of, vectors, queries)
    assert figures["recall_at_10"] == 1.0 and figures["recall_at_10_min"] == 1.0
    assert figures["similarity_kept"] == 1.0


def test_a_miss_lowers_recall_and_similarity_kept_by_what_it_costs() -> None:
    vectors, queries = _table()
    exact = exact_neighbours(vectors, queries, depth=20)
    row_of = {f"id{i}": i for i in range(len(vectors))}
    order = [list(np.argsort(-(vectors @ q))) for q in queries]
    # the first query gets its 11th to 20th neighbours instead of its top 10
    answers = [order[0][10:20], *(o[:10] for o in order[1:])]
    figures = case_figures(_case(answers), exact, row_of, vectors, queries)
    assert figures["recall_at_10"] == 0.75 and figures["recall_at_10_min"] == 0.0
    assert 0.0 < figures["similarity_kept"] < 1.0


def test_an_exact_tie_with_the_tenth_counts_as_found() -> None:
    vectors, queries = _table()
    q = queries[:1]
    tenth = int(np.argsort(-(vectors @ q[0]))[9])
    twin = np.vstack([vectors, vectors[tenth]])  # a duplicate of the 10th neighbour
    exact = exact_neighbours(twin, q, depth=20)
    row_of = {f"id{i}": i for i in range(len(twin))}
    top9 = list(np.argsort(-(vectors @ q[0]))[:9])
    figures = case_figures(_case([[*top9, len(twin) - 1]]), exact, row_of, twin, q)
    assert figures["recall_at_10"] == 1.0


def test_density_measures_the_gaps_between_neighbours() -> None:
    vectors, queries = _table()
    exact = exact_neighbours(vectors, queries, depth=100)
    d = density(exact)
    assert d["gap_1st_10th"] == round(float(np.median(exact.top[:, 0] - exact.top[:, 9])), 4)
    assert d["gap_10th_100th"] > 0 and d["sim_1st"] >= d["sim_10th"]


def test_real_texts_take_every_non_question_text_once(tmp_path: Path) -> None:
    sample = {
        "qa": [{"question": "Where did Ann go?"}],
        "conversation": {},
        "observation": {"session_1_observation": {"Ann": [["Ann went to Lisbon.", "D1:1"]]}},
        "session_summary": {"session_1_summary": "Ann talked. Bob listened"},
        "event_summary": {"events_session_1": {"Ann": ["Ann booked a trip."], "date": "May"}},
    }
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps([sample]), "utf-8")
    corpus = Corpus([Turn(0, True, "Hi"), Turn(0, False, "Hi")], ["Where did Ann go?"], "locomo")
    assert real_texts(path, corpus) == [
        "Hi",
        "Ann went to Lisbon.",
        "Ann talked.",
        "Bob listened.",
        "Ann booked a trip.",
    ]


def test_the_quantised_ceiling_is_complete_when_every_row_is_a_candidate() -> None:
    vectors, queries = _table(rows=300, dims=16)
    exact = exact_neighbours(vectors, queries, depth=20)
    ceiling = quantised_ceiling(vectors, queries, exact, (10, 300))
    assert ceiling["300"] == 1.0
    assert 0.0 <= ceiling["10"] <= ceiling["300"]


def test_candidates_beyond_the_largest_ef_search_walk_on_by_iterative_scan() -> None:
    assert quantised_settings(400) == {"hnsw.ef_search": "400"}
    beyond = quantised_settings(2000)
    assert beyond["hnsw.ef_search"] == "1000"
    assert beyond["hnsw.iterative_scan"] == "relaxed_order"
