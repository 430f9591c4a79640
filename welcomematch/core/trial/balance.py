"""The balance table of baseline covariates (``trial-analysis.md``, "Balance table").

Over all rows (observed outcome or not), for each covariate — every column other than
``pair``, ``arm``, ``unit`` and the outcomes, in file order:

- numeric (every non-empty value is a number): the mean per arm and the standardised
  difference (mean_t - mean_c) / sqrt((s_t² + s_c²)/2), sample variances with n - 1;
- categorical: for each category (sorted), the share per arm and
  (p_t - p_c) / sqrt((p_t(1 - p_t) + p_c(1 - p_c))/2).

An empty cell is unknown and left out of that covariate only (shares are out of the rows
with a value). Where the denominator is 0 the difference is 0 if the two values are equal,
else None; it is None too where a variance or share cannot be computed (fewer than 2 values
in an arm for a numeric covariate, none for a categorical one). ``imbalanced`` is true when
|standardised difference| > 0.1.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from welcomematch.core.trial.data import DESIGN_COLUMNS, TrialData, design, is_number

__all__ = ["IMBALANCE_THRESHOLD", "balance_table", "covariates"]

#: A covariate is flagged when |standardised difference| exceeds this.
IMBALANCE_THRESHOLD = 0.1


def covariates(data: TrialData, *, exclude: Sequence[str] = ()) -> list[str]:
    """The covariate columns: all but pair/arm/unit and ``exclude`` (the outcomes)."""
    return [c for c in data.columns if c not in DESIGN_COLUMNS and c not in exclude]


def _standardised(difference: float, denominator: float, equal: bool) -> float | None:
    if denominator == 0:
        return 0.0 if equal else None
    value = difference / denominator
    return value + 0.0 if math.isfinite(value) else None


def _flag(std_diff: float | None) -> bool:
    return std_diff is not None and abs(std_diff) > IMBALANCE_THRESHOLD


def _numeric(name: str, treatment: list[str], control: list[str]) -> dict[str, object] | None:
    t = [float(v) for v in treatment]
    c = [float(v) for v in control]
    if not all(math.isfinite(v) for v in t + c):
        return None
    mean_t = statistics.mean(t) if t else None
    mean_c = statistics.mean(c) if c else None
    std_diff: float | None = None
    if mean_t is not None and mean_c is not None and len(t) >= 2 and len(c) >= 2:
        try:
            spread = math.sqrt((statistics.variance(t) + statistics.variance(c)) / 2)
        except OverflowError:
            spread = math.inf
        if math.isfinite(spread):
            std_diff = _standardised(mean_t - mean_c, spread, mean_t == mean_c)
    return {
        "covariate": name,
        "kind": "numeric",
        "mean": {"treatment": mean_t, "control": mean_c},
        "std_diff": std_diff,
        "imbalanced": _flag(std_diff),
    }


def _categorical(name: str, treatment: list[str], control: list[str]) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for category in sorted(set(treatment) | set(control)):
        p_t = treatment.count(category) / len(treatment) if treatment else None
        p_c = control.count(category) / len(control) if control else None
        std_diff: float | None = None
        if p_t is not None and p_c is not None:
            spread = math.sqrt((p_t * (1 - p_t) + p_c * (1 - p_c)) / 2)
            std_diff = _standardised(p_t - p_c, spread, p_t == p_c)
        entries.append(
            {
                "covariate": name,
                "kind": "categorical",
                "category": category,
                "share": {"treatment": p_t, "control": p_c},
                "std_diff": std_diff,
                "imbalanced": _flag(std_diff),
            }
        )
    return entries


def balance_table(data: TrialData, *, exclude: Sequence[str] = ()) -> list[dict[str, object]]:
    """One entry per numeric covariate, one per category of a categorical covariate."""
    plan = design(data)
    table: list[dict[str, object]] = []
    for name in covariates(data, exclude=exclude):
        at = data.column(name)
        treatment = [data.rows[i][at] for i in plan.treatment_rows if data.rows[i][at] != ""]
        control = [data.rows[i][at] for i in plan.control_rows if data.rows[i][at] != ""]
        if all(is_number(v) for v in treatment + control):
            entry = _numeric(name, treatment, control)
            if entry is not None:
                table.append(entry)
                continue
        table.extend(_categorical(name, treatment, control))
    return table
