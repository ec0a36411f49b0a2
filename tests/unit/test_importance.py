from memory_mesh.domain.importance import ImportanceWeights, content_signal, score_importance
from memory_mesh.domain.models import Role

W = ImportanceWeights()


def test_explicit_importance_overrides_the_formula_and_is_clamped() -> None:
    assert score_importance(Role.tool, "ok", W, explicit=0.95) == 0.95
    assert score_importance(Role.tool, "ok", W, explicit=1.7) == 1.0
    assert score_importance(Role.tool, "ok", W, explicit=-1) == 0.0


def test_role_weight_orders_otherwise_equal_messages() -> None:
    text = "sounds good"
    scores = {role: score_importance(role, text, W) for role in Role}
    assert scores[Role.system] > scores[Role.user] > scores[Role.assistant] > scores[Role.tool]


def test_stated_facts_and_figures_raise_importance() -> None:
    plain = score_importance(Role.user, "the weather was nice today", W)
    fact = score_importance(Role.user, "remember that my flight leaves on May 3 at 10:40", W)
    assert fact > plain


def test_formula_matches_its_documentation() -> None:
    text = "I prefer window seats"  # 4 words, a marker, no digits
    import math

    signal = 0.4 * min(1.0, math.log1p(4) / math.log(51)) + 0.4 * 1 + 0.2 * 0
    assert abs(content_signal(text) - signal) < 1e-9
    expected = (1 - W.content) * W.user + W.content * signal
    assert abs(score_importance(Role.user, text, W) - round(expected, 4)) < 1e-9


def test_importance_stays_in_unit_interval_for_extreme_weights() -> None:
    heavy = ImportanceWeights(user=1.0, content=1.0)
    long_text = "remember 42 " * 500
    assert 0.0 <= score_importance(Role.user, long_text, heavy) <= 1.0
