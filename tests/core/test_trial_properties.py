"""Properties of the trial analysis on generated trials: symmetry, order, bounds."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from welcomematch.core.trial import analyse, dumps_result, parse_trial_csv

# values with one decimal (as survey scores and gains are), or empty (did not answer)
cell = st.one_of(st.just(""), st.integers(-30, 30).map(lambda v: f"{v / 10:g}"))
trials = st.lists(st.tuples(cell, cell, st.sampled_from("ABC"), st.sampled_from("ABC")), min_size=1, max_size=12)  # fmt: skip


def trial_text(pairs: list[tuple[str, str, str, str]], *, swap: bool = False) -> str:
    rows = []
    for number, (y_t, y_c, x_t, x_c) in enumerate(pairs):
        t, c = ("control", "treatment") if swap else ("treatment", "control")
        rows.append(f"P{number},{t},{y_t},{x_t}")
        rows.append(f"P{number},{c},{y_c},{x_c}")
    return "pair,arm,y,origin\n" + "\n".join(rows) + "\n"


def outcome(text: str) -> dict[str, Any]:
    (result,) = analyse(parse_trial_csv(text), ["y"])["outcomes"]  # type: ignore[misc]
    return result  # type: ignore[no-any-return]


def mirrored(interval: list[float]) -> Any:
    return pytest.approx([-interval[1], -interval[0]], rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(trials)
def test_swapping_the_arms_mirrors_every_estimate(pairs: list[tuple[str, str, str, str]]) -> None:
    one, other = outcome(trial_text(pairs)), outcome(trial_text(pairs, swap=True))
    assert other["observed"] == {"treatment": one["observed"]["control"], "control": one["observed"]["treatment"]}  # fmt: skip
    assert other["attrition"]["differential"] == -one["attrition"]["differential"]
    assert other["attrition"]["warning"] == one["attrition"]["warning"]
    for key in ("difference_in_means", "paired"):
        if one[key] is None:
            assert other[key] is None
            continue
        assert other[key]["estimate"] == pytest.approx(-one[key]["estimate"], abs=1e-12)
        assert other[key]["se"] == pytest.approx(one[key]["se"], rel=1e-12)
        assert other[key]["ci95"] == mirrored(one[key]["ci95"])
    assert other["randomisation"] == one["randomisation"]  # |T| is the same: same exact p
    if one["lee_bounds"] is None:
        assert other["lee_bounds"] is None
    else:
        a, b = one["lee_bounds"], other["lee_bounds"]
        assert [b["lower"], b["upper"]] == mirrored([a["lower"], a["upper"]])
        assert (b["trim_share"], b["trimmed"]) == (a["trim_share"], a["trimmed"])
        swapped = {"treatment": "control", "control": "treatment", None: None}
        assert b["trimmed_arm"] == swapped[a["trimmed_arm"]]


@settings(max_examples=40, deadline=None)
@given(trials, st.randoms(use_true_random=False))
def test_the_order_of_rows_does_not_change_the_result_up_to_20_pairs(
    pairs: list[tuple[str, str, str, str]], rng: random.Random
) -> None:
    text = trial_text(pairs)
    header, *rows = text.splitlines()
    rng.shuffle(rows)
    shuffled = header + "\n" + "\n".join(rows) + "\n"
    # Means and variances are exact (rounded once), so not even the last bit may change.
    assert analyse(parse_trial_csv(shuffled), ["y"]) == analyse(parse_trial_csv(text), ["y"])


@settings(max_examples=40, deadline=None)
@given(trials)
def test_results_are_well_formed(pairs: list[tuple[str, str, str, str]]) -> None:
    text = trial_text(pairs)
    result = outcome(text)
    if result["lee_bounds"] is not None:
        assert result["lee_bounds"]["lower"] <= result["lee_bounds"]["upper"]
        if result["lee_bounds"]["trimmed_arm"] is None:
            assert result["lee_bounds"]["trimmed"] == 0
    if result["randomisation"] is not None:
        assert 0 < result["randomisation"]["p_value"] <= 1
    for key in ("difference_in_means", "paired"):
        if result[key] is not None:
            low, high = result[key]["ci95"]
            assert low <= result[key]["estimate"] <= high
    contains_zero = result["paired"] is None or result["paired"]["ci95"][0] <= 0 <= result["paired"]["ci95"][1]  # fmt: skip
    if result["paired"] is not None:
        assert ("we cannot yet tell" in result["summary"]) == contains_zero
    assert dumps_result(analyse(parse_trial_csv(text), ["y"])) == dumps_result(
        analyse(parse_trial_csv(text), ["y"])
    )
