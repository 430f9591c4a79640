"""Estimates of the trial analysis contract (``trial-analysis.md``), one function each.

Means and sample variances (``n - 1`` in the denominator) are computed exactly over the
float inputs and rounded once (:mod:`statistics`), so constant data have variance exactly
0 and a mean equal to the value. Every function returns ``None`` where the contract says
``null``; no result holds NaN or an infinity.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.special import stdtrit

__all__ = [
    "CONFIDENCE_QUANTILE",
    "EXACT_MAX_PAIRS",
    "MDE80_FACTOR",
    "RELATIVE_TOLERANCE",
    "WARNING_DIFFERENTIAL",
    "Attrition",
    "DifferenceInMeans",
    "LeeBounds",
    "Paired",
    "Randomisation",
    "attrition",
    "difference_in_means",
    "lee_bounds",
    "mde80",
    "paired",
    "randomisation",
]

#: Quantile of Student's t for a two-sided 95% interval.
CONFIDENCE_QUANTILE = 0.975
#: Randomisation p-value: exact enumeration of all sign vectors up to this many pairs.
EXACT_MAX_PAIRS = 20
#: |T*| >= |T| is judged with this relative tolerance.
RELATIVE_TOLERANCE = 1e-9
#: mde80 = factor · paired.se: z(0.975) + z(0.80), 80% power at the 5% level.
MDE80_FACTOR = 2.801585
#: Attrition warning when |differential| >= 1/10 (decided in exact arithmetic).
WARNING_DIFFERENTIAL = Fraction(1, 10)
#: Monte Carlo sign vectors are drawn in blocks of about this many signs.
_BLOCK = 1 << 21
_SIGNS = np.array([-1.0, 1.0])


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _t_quantile(df: float) -> float:
    return float(stdtrit(df, CONFIDENCE_QUANTILE))  # = scipy.stats.t.ppf, lighter import


def _interval(estimate: float, se: float, df: float) -> tuple[float, float]:
    if se == 0:
        return (estimate, estimate)
    half = _t_quantile(df) * se
    return (estimate - half, estimate + half)


# --------------------------------------------------------------------------- attrition


@dataclass(frozen=True, slots=True)
class Attrition:
    """Per arm 1 - observed/pairs; differential = treatment - control; warning if |d| >= 0.1."""

    treatment: float
    control: float
    differential: float
    warning: bool


def attrition(*, observed_treatment: int, observed_control: int, pairs: int) -> Attrition:
    """Attrition per arm out of ``pairs`` (each pair has one household in each arm).

    attrition = 1 - observed / pairs, so differential = (observed_c - observed_t) / pairs;
    each value is the exact fraction rounded once, and the warning (|differential| >= 0.10)
    is decided on the exact fraction, so 1 dropout in 10 pairs warns.
    """
    if pairs < 1:
        raise ValueError("pairs must be at least 1")
    difference = Fraction(observed_control - observed_treatment, pairs)
    return Attrition(
        treatment=(pairs - observed_treatment) / pairs,
        control=(pairs - observed_control) / pairs,
        differential=float(difference) + 0.0,
        warning=abs(difference) >= WARNING_DIFFERENTIAL,
    )


# --------------------------------------------------------------------------- difference in means


@dataclass(frozen=True, slots=True)
class DifferenceInMeans:
    """mean_t - mean_c with its Welch standard error, df and 95% interval."""

    estimate: float
    se: float
    df: float | None
    ci95: tuple[float, float]


def difference_in_means(
    treatment: Sequence[float], control: Sequence[float]
) -> DifferenceInMeans | None:
    """Difference in means over observed values with a Welch interval.

    estimate = mean_t - mean_c; se = sqrt(s_t²/n_t + s_c²/n_c);
    df = (s_t²/n_t + s_c²/n_c)² / ((s_t²/n_t)²/(n_t - 1) + (s_c²/n_c)²/(n_c - 1))
    (Welch–Satterthwaite); ci95 = estimate ± t(0.975, df)·se. None unless each arm has at
    least 2 values. When se = 0, df is undefined (None) and the interval is the point.
    """
    n_t, n_c = len(treatment), len(control)
    if n_t < 2 or n_c < 2:
        return None
    try:
        estimate = statistics.mean(treatment) - statistics.mean(control)
        a = statistics.variance(treatment) / n_t
        b = statistics.variance(control) / n_c
    except OverflowError:
        return None
    se = math.sqrt(a + b)
    if not (math.isfinite(estimate) and math.isfinite(se)):
        return None
    df = _finite((a + b) ** 2 / (a * a / (n_t - 1) + b * b / (n_c - 1))) if se > 0 else None
    if se > 0 and df is None:
        return None
    return DifferenceInMeans(
        estimate=estimate, se=se, df=df, ci95=_interval(estimate, se, df or 1.0)
    )


# --------------------------------------------------------------------------- paired


@dataclass(frozen=True, slots=True)
class Paired:
    """Mean within-pair difference over intact pairs, its se and t interval."""

    pairs: int
    estimate: float
    se: float
    ci95: tuple[float, float]


def paired(differences: Sequence[float]) -> Paired | None:
    """The paired estimate over intact pairs' differences d = y_treatment - y_control.

    estimate = mean(d); se = sd(d)/sqrt(n); ci95 = estimate ± t(0.975, n - 1)·se (the point
    when se = 0). None unless n >= 2.
    """
    n = len(differences)
    if n < 2:
        return None
    try:
        estimate = statistics.mean(differences)
        se = statistics.stdev(differences) / math.sqrt(n)
    except OverflowError:
        return None
    if not (math.isfinite(estimate) and math.isfinite(se)):
        return None
    return Paired(pairs=n, estimate=estimate, se=se, ci95=_interval(estimate, se, n - 1))


def mde80(paired_result: Paired | None) -> float | None:
    """Minimal detectable effect at 80% power, 5% level: 2.801585 · paired.se."""
    if paired_result is None:
        return None
    return _finite(MDE80_FACTOR * paired_result.se)


# --------------------------------------------------------------------------- randomisation


@dataclass(frozen=True, slots=True)
class Randomisation:
    """Randomisation p-value; ``draws`` is None for exact enumeration."""

    p_value: float
    method: str
    draws: int | None
    seed: int


def _signed_sums(values: np.ndarray) -> np.ndarray:
    """The sums s·values for all 2^len(values) sign vectors s."""
    sums = np.zeros(1)
    for value in values:
        sums = np.concatenate((sums + value, sums - value))
    return sums


def randomisation(differences: Sequence[float], *, seed: int, draws: int) -> Randomisation | None:
    """p-value of the sharp null of no effect for anyone, by flipping each pair's sign.

    T = mean(d); p = share of sign vectors s with |mean(s·d)| >= |T|, compared with a
    relative tolerance of 1e-9. All 2^n vectors when n <= 20 (``exact``); otherwise ``draws``
    vectors from ``numpy.random.default_rng(seed)`` (each sign ``rng.choice([-1, 1])``,
    row by row), p = (1 + count) / (1 + draws) (``monte_carlo``). None when n = 0.
    """
    n = len(differences)
    if n == 0:
        return None
    observed = abs(statistics.mean(differences))
    threshold = observed - RELATIVE_TOLERANCE * observed
    values = np.asarray(differences, dtype=np.float64)
    if n <= EXACT_MAX_PAIRS:
        half = n // 2
        sums = _signed_sums(values[:half])[:, None] + _signed_sums(values[half:])[None, :]
        count = int(np.count_nonzero(np.abs(sums / n) >= threshold))
        return Randomisation(p_value=count / 2**n, method="exact", draws=None, seed=seed)
    if draws < 1:
        raise ValueError("draws must be at least 1")
    rng = np.random.default_rng(seed)
    block = max(2, _BLOCK // n // 2 * 2)
    count = 0
    done = 0
    while done < draws:
        rows = min(block, draws - done)
        signs = rng.choice(_SIGNS, size=(rows, n))
        count += int(np.count_nonzero(np.abs(signs @ values / n) >= threshold))
        done += rows
    return Randomisation(
        p_value=(1 + count) / (1 + draws), method="monte_carlo", draws=draws, seed=seed
    )


# --------------------------------------------------------------------------- Lee bounds


@dataclass(frozen=True, slots=True)
class LeeBounds:
    """Bounds on the difference in means under one-way attrition."""

    lower: float
    upper: float
    trimmed_arm: str | None
    trim_share: float
    trimmed: int


def lee_bounds(
    treatment: Sequence[float], control: Sequence[float], *, pairs: int
) -> LeeBounds | None:
    """Lee (2009) bounds: trim the arm observed more often down to the other's share.

    q = observed / pairs per arm. If q_t = q_c: both bounds are mean_t - mean_c, nothing
    trimmed. If q_t > q_c: p = (q_t - q_c)/q_t, k = floor(p·n_t + 0.5); lower = mean of the
    treatment values without its k largest - mean_c, upper = without its k smallest - mean_c.
    If q_c > q_t: p = (q_c - q_t)/q_c, k = floor(p·n_c + 0.5); lower = mean_t - mean of the
    control values without its k smallest, upper = mean_t - without its k largest.
    p and k are computed in exact arithmetic. None when an arm would be left with no value.
    """
    n_t, n_c = len(treatment), len(control)
    if n_t == 0 or n_c == 0:
        return None
    q_t, q_c = Fraction(n_t, pairs), Fraction(n_c, pairs)
    mean = statistics.mean
    if q_t == q_c:
        estimate = mean(treatment) - mean(control)
        bounds = LeeBounds(estimate, estimate, None, 0.0, 0)
    elif q_t > q_c:
        share = (q_t - q_c) / q_t
        k = math.floor(share * n_t + Fraction(1, 2))
        if k >= n_t:
            return None
        values = sorted(treatment)
        mean_c = mean(control)
        bounds = LeeBounds(
            lower=mean(values[: n_t - k]) - mean_c,
            upper=mean(values[k:]) - mean_c,
            trimmed_arm="treatment",
            trim_share=float(share),
            trimmed=k,
        )
    else:
        share = (q_c - q_t) / q_c
        k = math.floor(share * n_c + Fraction(1, 2))
        if k >= n_c:
            return None
        values = sorted(control)
        mean_t = mean(treatment)
        bounds = LeeBounds(
            lower=mean_t - mean(values[k:]),
            upper=mean_t - mean(values[: n_c - k]),
            trimmed_arm="control",
            trim_share=float(share),
            trimmed=k,
        )
    if not (math.isfinite(bounds.lower) and math.isfinite(bounds.upper)):
        return None
    return bounds
