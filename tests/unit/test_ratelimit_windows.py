"""The in-memory moving window: a rule allows ``limit`` hits within any ``expiry``
seconds, says how many are left and when the oldest hit leaves, and forgets idle keys."""

from __future__ import annotations

from limits import parse

from memory_mesh.ratelimit.windows import MemoryWindows


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_rule_allows_its_limit_within_the_window_then_refuses() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    rule = parse("3/minute")
    answers = []
    for _ in range(4):
        answers.append(windows.hit(rule, "k", 1))
        clock.now += 1
    assert [a.allowed for a in answers] == [True, True, True, False]
    assert [a.hits for a in answers] == [1, 2, 3, 3]
    assert answers[-1].oldest == 1_000.0  # the first hit frees the next slot at 1,060


def test_the_window_moves_hits_older_than_it_stop_counting() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    rule = parse("2/minute")
    windows.hit(rule, "k", 1)
    clock.now += 30
    windows.hit(rule, "k", 1)
    clock.now += 29
    assert not windows.hit(rule, "k", 1).allowed
    clock.now += 2  # the first hit (61 s ago) left the window, the second did not
    answer = windows.hit(rule, "k", 1)
    assert answer.allowed and answer.hits == 2 and answer.oldest == 1_030.0


def test_a_look_with_cost_zero_counts_nothing() -> None:
    windows = MemoryWindows(Clock())
    rule = parse("1/minute")
    assert windows.hit(rule, "k", 0).hits == 0
    assert windows.hit(rule, "k", 1).allowed
    assert windows.hit(rule, "k", 0).hits == 1
    assert not windows.hit(rule, "k", 1).allowed


def test_keys_and_rules_are_counted_apart_and_clear_forgets_one() -> None:
    windows = MemoryWindows(Clock())
    one, other = parse("1/minute"), parse("1/second")
    assert windows.hit(one, "a", 1).allowed
    assert windows.hit(one, "b", 1).allowed
    assert windows.hit(other, "a", 1).allowed
    assert not windows.hit(one, "a", 1).allowed
    windows.clear(one, "a")
    assert windows.hit(one, "a", 1).allowed


def test_a_cost_over_the_limit_is_refused_without_counting() -> None:
    windows = MemoryWindows(Clock())
    rule = parse("2/minute")
    assert not windows.hit(rule, "k", 3).allowed
    assert windows.hit(rule, "k", 2).hits == 2


def test_idle_keys_are_forgotten_once_their_window_passed() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    windows.hit(parse("5/second"), "short", 1)
    windows.hit(parse("5/hour"), "long", 1)
    clock.now += MemoryWindows.SWEEP_SECONDS + 1
    windows.hit(parse("5/hour"), "long", 1)  # the first hit after a minute sweeps
    assert len(windows) == 1
