"""Each estimate of trial-analysis.md on a hand-worked example, its null rules, and checks.

Expected values are worked out by hand in the comments; only Student's t quantiles come
from scipy (the contract says so), and scipy's own t-tests serve as an independent oracle.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from welcomematch.core.trial.estimates import (
    EXACT_MAX_PAIRS,
    attrition,
    difference_in_means,
    lee_bounds,
    mde80,
    paired,
    randomisation,
)


def t975(df: float) -> float:
    return float(stats.t.ppf(0.975, df))


# --------------------------------------------------------------------------- attrition


def test_attrition_per_arm_and_differential_by_hand() -> None:
    # 29 pairs, 27 treatment and 18 control households answered:
    # attrition_t = 1 - 27/29 = 2/29, attrition_c = 1 - 18/29 = 11/29,
    # differential = 2/29 - 11/29 = -9/29 = -0.3103..., |d| >= 0.10 -> warning.
    lost = attrition(observed_treatment=27, observed_control=18, pairs=29)
    assert lost.treatment == pytest.approx(2 / 29, rel=1e-15)
    assert lost.control == pytest.approx(11 / 29, rel=1e-15)
    assert lost.differential == pytest.approx(-9 / 29, rel=1e-15)
    assert lost.warning is True


def test_attrition_warning_at_exactly_ten_percent_and_not_below() -> None:
    # 10 pairs, one control lost: differential = 0 - 1/10 = -0.10 exactly, |d| >= 0.10.
    # (In floats 1 - 9/10 = 0.09999999999999998; the rule is decided on the fraction.)
    assert attrition(observed_treatment=10, observed_control=9, pairs=10).warning is True
    assert attrition(observed_treatment=9, observed_control=10, pairs=10).differential == 0.1
    # 11 pairs, one lost: |d| = 1/11 = 0.0909 < 0.10.
    assert attrition(observed_treatment=11, observed_control=10, pairs=11).warning is False
    # equal attrition: differential 0, no warning.
    same = attrition(observed_treatment=7, observed_control=7, pairs=10)
    assert (same.differential, same.warning) == (0.0, False)
    assert same.treatment == same.control == pytest.approx(0.3, rel=1e-15)


# --------------------------------------------------------------------------- difference in means


def test_difference_in_means_by_hand() -> None:
    # treatment 1, 2, 3, 6: mean 3, s² = (4 + 1 + 0 + 9)/3 = 14/3; control 1, 3: mean 2,
    # s² = (1 + 1)/1 = 2. estimate = 3 - 2 = 1; s_t²/n_t = 7/6, s_c²/n_c = 1;
    # se = sqrt(13/6); df = (13/6)² / ((7/6)²/3 + 1²/1) = (169/36)/(157/108) = 507/157.
    result = difference_in_means([1.0, 2.0, 3.0, 6.0], [1.0, 3.0])
    assert result is not None
    assert result.estimate == 1.0
    assert result.se == pytest.approx(math.sqrt(13 / 6), rel=1e-14)
    assert result.df == pytest.approx(507 / 157, rel=1e-14)
    half = t975(507 / 157) * math.sqrt(13 / 6)
    assert result.ci95 == pytest.approx((1 - half, 1 + half), rel=1e-12)


def test_difference_in_means_needs_two_values_in_each_arm() -> None:
    assert difference_in_means([1.0, 2.0], [3.0]) is None
    assert difference_in_means([1.0], [3.0, 4.0]) is None
    assert difference_in_means([], []) is None


def test_difference_in_means_with_no_spread_is_the_point() -> None:
    # Both arms constant: se = 0, df = 0/0 is undefined (null), the interval is the point.
    result = difference_in_means([0.1, 0.1, 0.1], [0.3, 0.3])
    assert result is not None
    assert result.se == 0.0
    assert result.df is None
    assert result.ci95 == (result.estimate, result.estimate)
    assert result.estimate == 0.1 - 0.3


def test_difference_in_means_with_one_constant_arm_has_the_other_arms_df() -> None:
    # s_c² = 0: df = (s_t²/n_t)² / ((s_t²/n_t)²/(n_t - 1)) = n_t - 1 = 3.
    result = difference_in_means([1.0, 2.0, 3.0, 6.0], [5.0, 5.0, 5.0])
    assert result is not None
    assert result.df == pytest.approx(3.0, rel=1e-14)


@pytest.mark.parametrize("seed", range(20))
def test_difference_in_means_agrees_with_scipy_welch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = rng.normal(0.4, 1.0, size=int(rng.integers(2, 40))).tolist()
    c = rng.normal(0.0, 2.0, size=int(rng.integers(2, 40))).tolist()
    ours = difference_in_means(t, c)
    theirs = stats.ttest_ind(t, c, equal_var=False)
    assert ours is not None
    assert ours.estimate / ours.se == pytest.approx(theirs.statistic, rel=1e-9)
    assert ours.df == pytest.approx(theirs.df, rel=1e-9)
    interval = theirs.confidence_interval(0.95)
    assert ours.ci95 == pytest.approx((interval.low, interval.high), rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- paired


def test_paired_by_hand() -> None:
    # d = 1, 2, 3, 6: mean 3, sd = sqrt(14/3), se = sqrt(14/3)/2 = sqrt(7/6),
    # ci95 = 3 ± t(0.975, 3)·sqrt(7/6) with t(0.975, 3) = 3.18245.
    result = paired([1.0, 2.0, 3.0, 6.0])
    assert result is not None
    assert (result.pairs, result.estimate) == (4, 3.0)
    assert result.se == pytest.approx(math.sqrt(7 / 6), rel=1e-14)
    assert t975(3) == pytest.approx(3.18245, abs=1e-5)
    half = t975(3) * math.sqrt(7 / 6)
    assert result.ci95 == pytest.approx((3 - half, 3 + half), rel=1e-12)
    # mde80 = 2.801585 · sqrt(7/6) = 2.801585 · 1.0801234 = 3.02606
    assert mde80(result) == pytest.approx(2.801585 * math.sqrt(7 / 6), rel=1e-14)
    assert mde80(result) == pytest.approx(3.02606, abs=1e-5)


def test_paired_needs_two_intact_pairs_and_mde80_follows() -> None:
    assert paired([2.5]) is None
    assert paired([]) is None
    assert mde80(None) is None


def test_paired_with_no_spread_is_the_point() -> None:
    # d = 0.7 three times: sd 0 (exactly, not 1e-17), se 0, the interval is the point.
    result = paired([0.7, 0.7, 0.7])
    assert result is not None
    assert (result.estimate, result.se, result.ci95) == (0.7, 0.0, (0.7, 0.7))
    assert mde80(result) == 0.0


@pytest.mark.parametrize("seed", range(20))
def test_paired_agrees_with_scipy_ttest_rel(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 50))
    y_c = rng.normal(0, 1, size=n)
    y_t = y_c + rng.normal(0.3, 1, size=n)
    ours = paired((y_t - y_c).tolist())
    theirs = stats.ttest_rel(y_t, y_c)
    assert ours is not None
    assert ours.estimate / ours.se == pytest.approx(theirs.statistic, rel=1e-9)
    interval = theirs.confidence_interval(0.95)
    assert ours.ci95 == pytest.approx((interval.low, interval.high), rel=1e-9, abs=1e-12)


def test_paired_interval_covers_a_known_effect_in_93_to_97_percent_of_trials() -> None:
    # 600 simulated trials of 30 pairs, true effect 0.4, pair effects and noise normal.
    rng = np.random.default_rng(2024)
    truth, covered, replications = 0.4, 0, 600
    for _ in range(replications):
        pair_level = rng.normal(0, 1, size=30)
        y_c = pair_level + rng.normal(0, 1, size=30)
        y_t = pair_level + truth + rng.normal(0, 1, size=30)
        result = paired((y_t - y_c).tolist())
        assert result is not None
        covered += result.ci95[0] <= truth <= result.ci95[1]
    assert 0.93 <= covered / replications <= 0.97


# --------------------------------------------------------------------------- randomisation


def test_randomisation_exact_by_hand() -> None:
    # d = 1, 2, 3, 6; T = 12/4 = 3. The 16 sign vectors give ±1 ±2 ±3 ±6; only all plus
    # (12) and all minus (-12) reach |sum| >= 12 (flipping the 1 alone already gives 10).
    # p = 2/16 = 0.125.
    result = randomisation([1.0, 2.0, 3.0, 6.0], seed=7, draws=100)
    assert result is not None
    assert (result.p_value, result.method, result.draws, result.seed) == (
        0.125,
        "exact",
        None,
        7,
    )


def test_randomisation_counts_ties_with_a_relative_tolerance() -> None:
    # d = -0.1, 0.7, 0.2, -0.2: sum 0.6, T = 0.15. Flipping a subset S of sum s gives the
    # sum 0.6 - 2s, so |T*| >= |T| iff s <= 0 or s >= 0.6. The subset sums are
    # 0, -.1, .7, .2, -.2, .6, .1, -.3, .9, .5, 0, .8, .4, -.1, .7, .6: all but .2, .1, .5, .4
    # qualify, p = 12/16 = 0.75. Three of them tie exactly ({.2, -.2}, {-.1, .7}, all), and
    # in floating point 0.2 - 0.2 + ... differs from 0.6 in the last bits: a strict float
    # comparison counts 10 and gives 0.625.
    result = randomisation([-0.1, 0.7, 0.2, -0.2], seed=0, draws=100)
    assert result is not None
    assert result.p_value == 0.75


def _exact_oracle(d: list[float]) -> float:
    """All 2^n sign vectors in rational arithmetic over the decimals as written (0.1 is
    1/10, not the nearest binary float): no rounding, so no tolerance needed."""
    values = [Fraction(repr(v)) for v in d]
    target = abs(sum(values))
    count = sum(
        abs(sum(s * v for s, v in zip(signs, values, strict=True))) >= target
        for signs in itertools.product((1, -1), repeat=len(values))
    )
    return count / 2 ** len(values)


@pytest.mark.parametrize("seed", range(12))
def test_randomisation_equals_brute_force_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 11))
    # one decimal place, so that exact ties occur as they do in survey scores
    d = [round(float(x), 1) for x in rng.normal(0.3, 1, size=n)]
    result = randomisation(d, seed=0, draws=100)
    assert result is not None
    assert result.p_value == _exact_oracle(d)


def test_randomisation_null_rules() -> None:
    assert randomisation([], seed=0, draws=100) is None
    one = randomisation([2.0], seed=0, draws=100)  # +2 and -2 both reach |T| = 2
    assert one is not None and one.p_value == 1.0
    zero = randomisation([1.0, -1.0, 0.5, -0.5], seed=0, draws=100)  # T = 0: every vector
    assert zero is not None and zero.p_value == 1.0


def test_randomisation_is_exact_up_to_20_pairs_then_monte_carlo() -> None:
    d = [float(i % 5) - 1.0 for i in range(EXACT_MAX_PAIRS + 1)]
    exact = randomisation(d[:EXACT_MAX_PAIRS], seed=3, draws=500)
    monte_carlo = randomisation(d, seed=3, draws=500)
    assert exact is not None and (exact.method, exact.draws) == ("exact", None)
    assert exact.p_value * 2**20 == int(exact.p_value * 2**20)
    assert monte_carlo is not None
    assert (monte_carlo.method, monte_carlo.draws, monte_carlo.seed) == ("monte_carlo", 500, 3)


def test_monte_carlo_p_value_is_one_plus_count_over_one_plus_draws() -> None:
    # The documented draw: signs = numpy.random.default_rng(seed).choice([-1, 1],
    # size=(draws, n)), one row per vector. Count by hand over those rows.
    d = np.array([0.5, -0.2, 1.0, 0.3, 0.8, -0.4, 0.1, 0.9, 0.2, 0.6, -0.1] * 2)
    draws = 999
    signs = np.random.default_rng(11).choice([-1, 1], size=(draws, len(d)))
    target = abs(d.sum()) / len(d)
    count = sum(abs(float(row @ d)) / len(d) >= target * (1 - 1e-9) for row in signs)
    result = randomisation(d.tolist(), seed=11, draws=draws)
    assert result is not None
    assert result.p_value == (1 + count) / (1 + draws)
    assert result.p_value >= 1 / (1 + draws)


def test_monte_carlo_drawn_in_blocks_is_the_same_as_drawn_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from welcomematch.core.trial import estimates

    d = [float(x) for x in np.random.default_rng(5).normal(0.1, 1, size=37)]
    whole = randomisation(d, seed=9, draws=3001)
    monkeypatch.setattr(estimates, "_BLOCK", 37 * 4)  # blocks of 4 rows
    blocks = randomisation(d, seed=9, draws=3001)
    assert whole == blocks


def _exact_integer_p(d: list[int]) -> float:
    """Exact p for integer differences by counting sign vectors per sum (no enumeration)."""
    sums: Counter[int] = Counter({0: 1})
    for value in d:
        following: Counter[int] = Counter()
        for total, ways in sums.items():
            following[total + value] += ways
            following[total - value] += ways
        sums = following
    target = abs(sum(d))
    return sum(ways for total, ways in sums.items() if abs(total) >= target) / 2 ** len(d)


def test_monte_carlo_approaches_the_exact_p_value() -> None:
    # 26 pairs (beyond exact enumeration): the exact p by counting sums is 0.0659...
    d = [3, -1, 2, 0, 4, 1, -2, 2, 1, 0, 3, -1, 1, 2, -3, 1, 0, 2, 1, -1, 2, 1, 0, -2, 1, 1]
    exact = _exact_integer_p(d)
    errors = []
    for draws in (1_000, 200_000):
        result = randomisation([float(v) for v in d], seed=1, draws=draws)
        assert result is not None and result.method == "monte_carlo"
        errors.append(abs(result.p_value - exact))
        # within 4 standard errors of a binomial share
        assert errors[-1] <= 4 * math.sqrt(exact * (1 - exact) / draws) + 1 / draws
    assert errors[1] < 0.003


def test_same_seed_same_p_value_other_seed_other_draws() -> None:
    d = [float(x) for x in np.random.default_rng(8).normal(0.2, 1, size=40)]
    first = randomisation(d, seed=5, draws=2000)
    again = randomisation(d, seed=5, draws=2000)
    assert first == again
    others = {randomisation(d, seed=s, draws=2000) for s in range(6, 12)}
    assert len({r.p_value for r in others if r is not None}) > 1


# --------------------------------------------------------------------------- Lee bounds


def test_lee_bounds_trim_the_treatment_by_hand() -> None:
    # 5 pairs; treatment observed 1, 2, 3, 4, 10 (q_t = 1), control 0, 2, 4 (q_c = 3/5).
    # p = (1 - 3/5)/1 = 0.4, k = floor(0.4·5 + 0.5) = floor(2.5) = 2, mean_c = 2.
    # lower = mean(1, 2, 3) - 2 = 0; upper = mean(3, 4, 10) - 2 = 17/3 - 2 = 11/3.
    bounds = lee_bounds([4.0, 1.0, 10.0, 3.0, 2.0], [0.0, 2.0, 4.0], pairs=5)
    assert bounds is not None
    assert bounds.lower == 0.0
    assert bounds.upper == pytest.approx(11 / 3, rel=1e-15)
    assert (bounds.trimmed_arm, bounds.trim_share, bounds.trimmed) == ("treatment", 0.4, 2)


def test_lee_bounds_trim_the_control_by_hand() -> None:
    # 4 pairs; treatment 5, 7 (q_t = 1/2), control 1, 2, 3, 6 (q_c = 1): p = 1/2,
    # k = floor(0.5·4 + 0.5) = 2, mean_t = 6.
    # lower = 6 - mean(3, 6) = 1.5 (control without its 2 smallest);
    # upper = 6 - mean(1, 2) = 4.5 (control without its 2 largest).
    bounds = lee_bounds([5.0, 7.0], [6.0, 2.0, 3.0, 1.0], pairs=4)
    assert bounds is not None
    assert (bounds.lower, bounds.upper) == (1.5, 4.5)
    assert (bounds.trimmed_arm, bounds.trim_share, bounds.trimmed) == ("control", 0.5, 2)


def test_lee_bounds_with_equal_shares_are_the_difference_in_means() -> None:
    # 6 pairs, 3 observed in each arm: mean_t = 2, mean_c = 0.5: both bounds 1.5.
    bounds = lee_bounds([1.0, 2.0, 3.0], [0.0, 0.5, 1.0], pairs=6)
    assert bounds is not None
    assert (bounds.lower, bounds.upper, bounds.trimmed_arm, bounds.trim_share) == (
        1.5,
        1.5,
        None,
        0.0,
    )
    assert bounds.trimmed == 0
    means = difference_in_means([1.0, 2.0, 3.0], [0.0, 0.5, 1.0])
    assert means is not None and means.estimate == 1.5


def test_lee_bounds_trim_share_and_count_for_29_pairs() -> None:
    # The contract's example: 27 and 18 of 29 observed: p = (27/29 - 18/29)/(27/29) = 1/3,
    # k = floor(27/3 + 0.5) = 9.
    bounds = lee_bounds([float(v) for v in range(27)], [0.0] * 18, pairs=29)
    assert bounds is not None
    assert (bounds.trim_share, bounds.trimmed) == (pytest.approx(1 / 3, rel=1e-15), 9)
    # lower: 0..17, mean 8.5; upper: 9..26, mean 17.5.
    assert (bounds.lower, bounds.upper) == (8.5, 17.5)


def test_lee_bounds_are_null_when_an_arm_has_no_value() -> None:
    assert lee_bounds([1.0, 2.0], [], pairs=3) is None
    assert lee_bounds([], [1.0], pairs=3) is None
    assert lee_bounds([], [], pairs=3) is None
    # one value in each arm is enough (no variance is needed)
    single = lee_bounds([2.0], [0.5], pairs=1)
    assert single is not None and (single.lower, single.upper) == (1.5, 1.5)


def test_lee_bounds_contain_the_true_effect_when_attrition_is_selective() -> None:
    # Control households doing worst stop answering (the pilot's failure mode): the
    # difference in means is biased down, the bounds still contain the true effect.
    rng = np.random.default_rng(77)
    truth = 0.5
    for _ in range(20):
        y_c = rng.normal(0, 1, size=2000)
        y_t = y_c + truth + rng.normal(0, 1, size=2000)
        answered_c = y_c > np.quantile(y_c, 0.3)  # the lowest 30% of controls drop out
        answered_t = rng.random(2000) > 0.05  # 5% of treatment, at random
        t, c = y_t[answered_t].tolist(), y_c[answered_c].tolist()
        bounds = lee_bounds(t, c, pairs=2000)
        means = difference_in_means(t, c)
        assert bounds is not None and means is not None
        assert bounds.trimmed_arm == "treatment"
        assert bounds.lower <= truth <= bounds.upper
        assert means.ci95[1] < truth  # the naive interval misses it
