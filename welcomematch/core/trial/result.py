"""The analysis of a trial and its result file (``welcomematch.trial-result/1``).

:func:`analyse` applies every definition of ``trial-analysis.md`` to each outcome and
assembles the result in the contract's structure; :func:`dumps_result` writes it as
deterministic JSON text (keys in the contract's order, numbers at full precision, ``null``
instead of NaN or an infinity, no ``-0.0``), so the same file and seed give the same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from welcomematch.core.errors import InvalidInput
from welcomematch.core.trial.balance import balance_table
from welcomematch.core.trial.data import (
    CONTROL,
    TREATMENT,
    Design,
    TrialData,
    check_outcome_column,
    design,
    outcome_values,
)
from welcomematch.core.trial.estimates import (
    attrition,
    difference_in_means,
    lee_bounds,
    mde80,
    paired,
    randomisation,
)
from welcomematch.core.trial.summary import LANGUAGES, summarise

__all__ = ["DEFAULT_DRAWS", "RESULT_FORMAT", "analyse", "analyse_outcome", "dumps_result"]

RESULT_FORMAT = "welcomematch.trial-result/1"
DEFAULT_DRAWS = 10_000

BAD_SEED = "must be an integer >= 0, got {value!r}"
BAD_DRAWS = "must be an integer >= 1, got {value!r}"
BAD_LANGUAGE = "must be one of " + ", ".join(LANGUAGES) + ", got {value!r}"

#: Key order of the result file, as in the contract's example.
_ORDER: dict[str, tuple[str, ...]] = {
    "": ("format", "pairs", "seed", "balance", "outcomes"),
    "balance": ("covariate", "kind", "category", "mean", "share", "std_diff", "imbalanced"),
    "outcome": (
        "outcome",
        "observed",
        "attrition",
        "difference_in_means",
        "paired",
        "randomisation",
        "lee_bounds",
        "mde80",
        "summary",
    ),
    "arms": ("treatment", "control"),
    "attrition": ("treatment", "control", "differential", "warning"),
    "difference_in_means": ("estimate", "se", "df", "ci95"),
    "paired": ("pairs", "estimate", "se", "ci95"),
    "randomisation": ("p_value", "method", "draws", "seed"),
    "lee_bounds": ("lower", "upper", "trimmed_arm", "trim_share", "trimmed"),
}


def _check_int(value: object, minimum: int, message: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(message.format(value=value), field=field)
    return value


def analyse_outcome(
    data: TrialData,
    plan: Design,
    outcome: str,
    *,
    seed: int,
    draws: int,
    language: str,
) -> dict[str, object]:
    """Every definition of the contract for one outcome, as the result file's entry."""
    treatment, control = outcome_values(data, plan, outcome)
    pairs = len(plan.pairs)
    observed_t = [v for v in treatment if v is not None]
    observed_c = [v for v in control if v is not None]
    differences = [
        t - c for t, c in zip(treatment, control, strict=True) if t is not None and c is not None
    ]
    lost = attrition(
        observed_treatment=len(observed_t), observed_control=len(observed_c), pairs=pairs
    )
    means = difference_in_means(observed_t, observed_c)
    within = paired(differences)
    test = randomisation(differences, seed=seed, draws=draws)
    bounds = lee_bounds(observed_t, observed_c, pairs=pairs)
    return {
        "outcome": outcome,
        "observed": {TREATMENT: len(observed_t), CONTROL: len(observed_c)},
        "attrition": {
            TREATMENT: lost.treatment,
            CONTROL: lost.control,
            "differential": lost.differential,
            "warning": lost.warning,
        },
        "difference_in_means": None
        if means is None
        else {
            "estimate": means.estimate,
            "se": means.se,
            "df": means.df,
            "ci95": list(means.ci95),
        },
        "paired": None
        if within is None
        else {
            "pairs": within.pairs,
            "estimate": within.estimate,
            "se": within.se,
            "ci95": list(within.ci95),
        },
        "randomisation": None
        if test is None
        else {
            "p_value": test.p_value,
            "method": test.method,
            "draws": test.draws,
            "seed": test.seed,
        },
        "lee_bounds": None
        if bounds is None
        else {
            "lower": bounds.lower,
            "upper": bounds.upper,
            "trimmed_arm": bounds.trimmed_arm,
            "trim_share": bounds.trim_share,
            "trimmed": bounds.trimmed,
        },
        "mde80": mde80(within),
        "summary": summarise(
            outcome=outcome,
            observed_treatment=len(observed_t),
            observed_control=len(observed_c),
            attrition=lost,
            difference_in_means=means,
            paired=within,
            randomisation=test,
            lee_bounds=bounds,
            language=language,
        ),
    }


def analyse(
    data: TrialData,
    outcomes: Sequence[str],
    *,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    language: str = "en",
) -> dict[str, object]:
    """The ``welcomematch.trial-result/1`` structure for ``outcomes`` of ``data``.

    ``outcomes`` are column names (a single name may be given as a string). ``seed`` and
    ``draws`` drive the Monte Carlo randomisation p-value (more than 20 intact
    pairs); ``language`` (``en`` or ``nl``) is that of the summaries. Raises
    :class:`InvalidInput` naming the line and column of bad data, or the bad argument.
    """
    outcomes = (outcomes,) if isinstance(outcomes, str) else tuple(outcomes)
    seed = _check_int(seed, 0, BAD_SEED, "seed")
    draws = _check_int(draws, 1, BAD_DRAWS, "draws")
    if language not in LANGUAGES:
        raise InvalidInput(BAD_LANGUAGE.format(value=language), field="language")
    plan = design(data)
    for outcome in outcomes:
        check_outcome_column(data, outcome)
    for outcome in outcomes:
        outcome_values(data, plan, outcome)  # every bad value before any work
    return {
        "format": RESULT_FORMAT,
        "pairs": len(plan.pairs),
        "seed": seed,
        "balance": balance_table(data, exclude=outcomes),
        "outcomes": [
            analyse_outcome(data, plan, o, seed=seed, draws=draws, language=language)
            for o in outcomes
        ],
    }


# --------------------------------------------------------------------------- writing


def _clean(value: object, order: str = "") -> object:
    """Keys in the contract's order, -0.0 as 0.0, NaN and infinities as None."""
    if isinstance(value, float):
        return value + 0.0 if math.isfinite(value) else None
    if isinstance(value, Mapping):
        keys = _ORDER.get(order, ())
        ordered = [k for k in keys if k in value] + [k for k in value if k not in keys]
        return {k: _clean(value[k], _child(order, k)) for k in ordered}
    if isinstance(value, list | tuple):
        return [_clean(item, _child(order, "[]")) for item in value]
    return value


def _child(order: str, key: str) -> str:
    if order == "" and key in ("balance", "outcomes"):
        return key
    if order == "balance" and key == "[]":
        return "balance"
    if order == "outcomes" and key == "[]":
        return "outcome"
    if order == "outcome" and key in _ORDER:
        return key
    if key in ("mean", "share", "observed"):
        return "arms"
    return "-"


_INLINE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _inline(value: object) -> str:
    return _INLINE.encode(value)


def dumps_result(result: Mapping[str, object]) -> str:
    """The result file text: deterministic, one balance row a line, trailing newline."""
    clean = _clean(result)
    assert isinstance(clean, dict)
    lines = ["{"]
    items = list(clean.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        name = _inline(key)
        if key == "outcomes" and isinstance(value, list) and value:
            lines.append(f"  {name}: [")
            for number, outcome in enumerate(value):
                fields = list(outcome.items())
                lines.append("    {")
                lines.extend(
                    f"      {_inline(k)}: {_inline(v)}{',' if i < len(fields) - 1 else ''}"
                    for i, (k, v) in enumerate(fields)
                )
                lines.append("    }" + ("," if number < len(value) - 1 else ""))
            lines.append(f"  ]{comma}")
        elif isinstance(value, list) and value:
            lines.append(f"  {name}: [")
            lines.append(",\n".join(f"    {_inline(item)}" for item in value))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {name}: {_inline(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
