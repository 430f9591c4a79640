"""The whole analysis of a small trial worked by hand, the result file and the summaries."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from scipy import stats

from welcomematch.core.errors import InvalidInput
from welcomematch.core.trial import analyse, dumps_result, parse_trial_csv
from welcomematch.core.trial.result import BAD_DRAWS, BAD_LANGUAGE, BAD_SEED

# 4 pairs; the control household of P3 did not answer.
TRIAL = (
    "pair,arm,unit,age,score\n"
    "P1,treatment,a,30,5\n"
    "P1,control,b,32,3\n"
    "P2,treatment,c,40,6\n"
    "P2,control,d,38,5\n"
    "P3,treatment,e,50,4\n"
    "P3,control,f,52,\n"
    "P4,treatment,g,25,7\n"
    "P4,control,h,27,4\n"
)

CONTRACT_KEYS = ["format", "pairs", "seed", "balance", "outcomes"]
OUTCOME_KEYS = [
    "outcome",
    "observed",
    "attrition",
    "difference_in_means",
    "paired",
    "randomisation",
    "lee_bounds",
    "mde80",
    "summary",
]


def approx(value: float) -> Any:
    return pytest.approx(value, rel=1e-12)


def test_every_definition_on_a_small_trial_by_hand() -> None:
    result = analyse(parse_trial_csv(TRIAL), ["score"], seed=4)
    # score: treatment 5, 6, 4, 7 (4 of 4), control 3, 5, -, 4 (3 of 4).
    # attrition: t = 1 - 4/4 = 0, c = 1 - 3/4 = 0.25, differential -0.25 -> warning.
    # difference in means: mean_t = 22/4 = 5.5, mean_c = 12/3 = 4 -> 1.5;
    #   s_t² = (0.25 + 0.25 + 2.25 + 2.25)/3 = 5/3, s_c² = (1 + 1 + 0)/2 = 1;
    #   se = sqrt(5/12 + 1/3) = sqrt(3/4); df = (3/4)² / ((5/12)²/3 + (1/3)²/2)
    #   = (9/16)/(49/432) = 243/49.
    # paired over P1, P2, P4: d = 2, 1, 3: mean 2, sd 1, se = 1/sqrt(3),
    #   ci95 = 2 ± t(0.975, 2)/sqrt(3) = 2 ± 4.3027/1.7321 = [-0.484, 4.484].
    # randomisation: sums ±2 ±1 ±3; only all plus / all minus reach |6|: p = 2/8 = 0.25.
    # Lee: q_t = 1 > q_c = 3/4: p = 1/4, k = floor(1/4·4 + 0.5) = 1; treatment 4, 5, 6, 7:
    #   lower = mean(4, 5, 6) - 4 = 1, upper = mean(5, 6, 7) - 4 = 2.
    # mde80 = 2.801585/sqrt(3).
    # balance, age: treatment 30, 40, 50, 25 (mean 36.25, s² = 368.75/3), control
    #   32, 38, 52, 27 (mean 37.25, s² = 350.75/3): std_diff = -1/sqrt(719.5/6) = -0.0913.
    paired_half = 4.302653 / math.sqrt(3)  # t(0.975, 2) = 4.302653 from a table
    half = t_quantile(243 / 49) * math.sqrt(3 / 4)
    assert result == {
        "format": "welcomematch.trial-result/1",
        "pairs": 4,
        "seed": 4,
        "balance": [
            {
                "covariate": "age",
                "kind": "numeric",
                "mean": {"treatment": 36.25, "control": 37.25},
                "std_diff": approx(-1 / math.sqrt(719.5 / 6)),
                "imbalanced": False,
            }
        ],
        "outcomes": [
            {
                "outcome": "score",
                "observed": {"treatment": 4, "control": 3},
                "attrition": {
                    "treatment": 0.0,
                    "control": 0.25,
                    "differential": -0.25,
                    "warning": True,
                },
                "difference_in_means": {
                    "estimate": 1.5,
                    "se": approx(math.sqrt(3 / 4)),
                    "df": approx(243 / 49),
                    "ci95": [approx(1.5 - half), approx(1.5 + half)],
                },
                "paired": {
                    "pairs": 3,
                    "estimate": 2.0,
                    "se": approx(1 / math.sqrt(3)),
                    "ci95": [
                        pytest.approx(2 - paired_half, abs=1e-6),
                        pytest.approx(2 + paired_half, abs=1e-6),
                    ],
                },
                "randomisation": {"p_value": 0.25, "method": "exact", "draws": None, "seed": 4},
                "lee_bounds": {
                    "lower": 1.0,
                    "upper": 2.0,
                    "trimmed_arm": "treatment",
                    "trim_share": 0.25,
                    "trimmed": 1,
                },
                "mde80": approx(2.801585 / math.sqrt(3)),
                "summary": result["outcomes"][0]["summary"],  # type: ignore[index]
            }
        ],
    }


def t_quantile(df: float) -> float:
    return float(stats.t.ppf(0.975, df))


def test_one_outcome_may_be_given_as_a_string() -> None:
    data = parse_trial_csv(TRIAL)
    assert analyse(data, "score") == analyse(data, ["score"])


def test_result_keys_are_in_the_contracts_order() -> None:
    result = analyse(parse_trial_csv(TRIAL), ["score"])
    text = dumps_result(result)
    parsed = json.loads(text, object_pairs_hook=lambda pairs: pairs)
    assert [k for k, _ in parsed] == CONTRACT_KEYS
    outcome = dict(parsed)["outcomes"][0]
    assert [k for k, _ in outcome] == OUTCOME_KEYS
    nested = dict(outcome)
    assert [k for k, _ in nested["attrition"]] == [
        "treatment",
        "control",
        "differential",
        "warning",
    ]
    assert [k for k, _ in nested["difference_in_means"]] == ["estimate", "se", "df", "ci95"]
    assert [k for k, _ in nested["paired"]] == ["pairs", "estimate", "se", "ci95"]
    assert [k for k, _ in nested["randomisation"]] == ["p_value", "method", "draws", "seed"]
    assert [k for k, _ in nested["lee_bounds"]] == [
        "lower",
        "upper",
        "trimmed_arm",
        "trim_share",
        "trimmed",
    ]
    balance = dict(parsed)["balance"][0]
    assert [k for k, _ in balance] == ["covariate", "kind", "mean", "std_diff", "imbalanced"]


def test_dumps_keeps_full_precision_and_orders_keys_whatever_the_input_order() -> None:
    result = analyse(parse_trial_csv(TRIAL), ["score"])
    text = dumps_result(result)
    assert json.loads(text) == result  # repr of a float round-trips exactly
    shuffled = {k: result[k] for k in reversed(CONTRACT_KEYS)}
    assert dumps_result(shuffled) == text
    assert text.endswith("}\n")


def test_dumps_writes_null_for_nan_and_infinity_and_no_negative_zero() -> None:
    text = dumps_result({"format": "x", "pairs": 1, "seed": 0, "balance": [], "outcomes": [
        {"outcome": "y", "mde80": float("nan"), "summary": "s",
         "paired": {"estimate": -0.0, "se": float("inf"), "pairs": 2, "ci95": [-0.0, 1.0]}}
    ]})  # fmt: skip
    parsed = json.loads(text, parse_constant=lambda name: pytest.fail(name))
    outcome = parsed["outcomes"][0]
    assert outcome["mde80"] is None
    assert outcome["paired"] == {"pairs": 2, "estimate": 0.0, "se": None, "ci95": [0.0, 1.0]}
    assert "-0.0" not in text


def test_null_rules_end_to_end() -> None:
    # score: one intact pair (P1), P2's treatment and both of P3 missing.
    #   observed: treatment 1 (P1), control 2 (P1, P2).
    #   difference in means: treatment has 1 value -> null; paired: n = 1 -> null, so mde80
    #   null; randomisation over 1 pair: +d and -d both reach |d| -> p = 1 (exact).
    #   Lee: q_t = 1/3 < q_c = 2/3, p = 1/2, k = floor(1/2·2 + 1/2) = 1: control 3, 9
    #   -> lower = 6 - 9 = -3 (without its smallest), upper = 6 - 3 = 3.
    # none: nobody answered: randomisation (n = 0) and Lee (no values) null too.
    text = (
        "pair,arm,score,none\n"
        "P1,treatment,6,\nP1,control,3,\n"
        "P2,treatment,,\nP2,control,9,\n"
        "P3,treatment,,\nP3,control,,\n"
    )
    score, none = analyse(parse_trial_csv(text), ["score", "none"])["outcomes"]  # type: ignore[misc]
    assert score["observed"] == {"treatment": 1, "control": 2}
    assert score["difference_in_means"] is None
    assert score["paired"] is None
    assert score["mde80"] is None
    assert score["randomisation"] == {"p_value": 1.0, "method": "exact", "draws": None, "seed": 0}
    assert score["lee_bounds"] == {
        "lower": -3.0,
        "upper": 3.0,
        "trimmed_arm": "control",
        "trim_share": 0.5,
        "trimmed": 1,
    }
    assert none["observed"] == {"treatment": 0, "control": 0}
    assert none["attrition"] == {
        "treatment": 1.0,
        "control": 1.0,
        "differential": 0.0,
        "warning": False,
    }
    for key in ("difference_in_means", "paired", "randomisation", "lee_bounds", "mde80"):
        assert none[key] is None
    assert "we cannot yet tell" in none["summary"]


def test_paired_with_no_spread_reports_the_point_as_its_interval() -> None:
    # d = 1 in both pairs: se = 0, ci95 = [1, 1], mde80 = 0.
    text = "pair,arm,y\nP1,treatment,3\nP1,control,2\nP2,treatment,5\nP2,control,4\n"
    (outcome,) = analyse(parse_trial_csv(text), ["y"])["outcomes"]  # type: ignore[misc]
    assert outcome["paired"] == {"pairs": 2, "estimate": 1.0, "se": 0.0, "ci95": [1.0, 1.0]}
    assert outcome["mde80"] == 0.0


def test_more_than_20_intact_pairs_use_monte_carlo_with_the_seed_and_draws() -> None:
    rows = "".join(f"P{i},treatment,{i % 7}\nP{i},control,{i % 5}\n" for i in range(25))
    data = parse_trial_csv("pair,arm,y\n" + rows)
    first = analyse(data, ["y"], seed=12, draws=500)
    (outcome,) = first["outcomes"]  # type: ignore[misc]
    assert {k: outcome["randomisation"][k] for k in ("method", "draws", "seed")} == {
        "method": "monte_carlo",
        "draws": 500,
        "seed": 12,
    }
    assert dumps_result(analyse(data, ["y"], seed=12, draws=500)) == dumps_result(first)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"seed": -1}, "seed", BAD_SEED.format(value=-1)),
        ({"seed": 1.5}, "seed", BAD_SEED.format(value=1.5)),
        ({"draws": 0}, "draws", BAD_DRAWS.format(value=0)),
        ({"language": "de"}, "language", BAD_LANGUAGE.format(value="de")),
    ],
)
def test_bad_arguments_are_bad_input(kwargs: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        analyse(parse_trial_csv(TRIAL), ["score"], **kwargs)
    assert str(caught.value) == f"{field}: {message}"


# --------------------------------------------------------------------------- summaries


def _summary(text: str, language: str = "en") -> str:
    (outcome,) = analyse(parse_trial_csv(text), ["y"], language=language)["outcomes"]  # type: ignore[misc]
    summary: str = outcome["summary"]
    return summary


CLEAR = "pair,arm,y\n" + "".join(
    f"P{i},treatment,{10 + i % 3}\nP{i},control,{i % 4}\n" for i in range(12)
)


def test_summary_says_we_cannot_yet_tell_when_the_interval_contains_zero() -> None:
    summary = _summary(TRIAL.replace("score", "y"))
    assert "In the 3 pairs where both households answered" in summary
    assert "2.00 higher" in summary
    assert "we cannot yet tell" in summary
    # and the attrition warning (0% of matched, 25% of control households lost)
    assert "Warning: 0% of matched and 25% of control households gave no answer" in summary
    assert "between 1.00 and 2.00" in summary  # the Lee bounds


def test_summary_states_a_clear_effect_without_hedging_and_without_warning() -> None:
    summary = _summary(CLEAR)
    assert "we cannot yet tell" not in summary
    assert "matching raised y" in summary
    assert "Warning" not in summary
    lower = _summary(
        CLEAR.replace("treatment", "TMP").replace("control", "treatment").replace("TMP", "control")
    )
    assert "lower" in lower and "matching lowered y" in lower


def test_summary_falls_back_to_the_difference_in_means_without_intact_pairs() -> None:
    text = (
        "pair,arm,y\nP1,treatment,5\nP1,control,\nP2,treatment,6\nP2,control,\n"
        "P3,treatment,,\nP3,control,1\nP4,treatment,\nP4,control,2\n"
    )
    summary = _summary(text)
    assert summary.startswith("Comparing all households that answered (2 matched, 2 control)")
    # treatment 5, 6; control 1, 2: estimate 4, se = sqrt(0.5/2 + 0.5/2) = 0.707, df = 2,
    # ci95 = 4 ± 4.3027·0.707 = [0.96, 7.04]: excludes zero.
    assert "4.00 higher" in summary and "0.96 to 7.04" in summary
    assert "matching raised y" in summary


def test_summary_in_dutch_addresses_nobody() -> None:
    unclear = _summary(TRIAL.replace("score", "y"), "nl")
    clear = _summary(CLEAR, "nl")
    assert "we kunnen nog niet zeggen" in unclear
    assert "Let op: 0% van de gekoppelde en 25% van de controlehuishoudens" in unclear
    assert "2,00 hoger" in unclear  # decimal comma
    assert "de koppeling verhoogde y" in clear
    for text in (unclear, clear):
        assert not re.search(r"\b(u|uw|je|jij|jouw)\b", text, re.IGNORECASE)


def test_summary_with_too_few_answers_says_we_cannot_yet_tell() -> None:
    text = "pair,arm,y\nP1,treatment,\nP1,control,2\n"
    assert "we cannot yet tell" in _summary(text)
    assert "we kunnen nog niet zeggen" in _summary(text, "nl")
