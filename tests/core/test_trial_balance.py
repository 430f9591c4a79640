"""The balance table of trial-analysis.md on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from welcomematch.core.trial import balance_table, parse_trial_csv

# 4 pairs. age: treatment 20, 30, 40, (unknown); control 30, 50, (unknown), (unknown).
# origin: treatment SY, SY, ER, (unknown); control SY, ER, ER, AF. gain is the outcome.
TABLE = (
    "pair,arm,unit,age,origin,gain\n"
    "G1,treatment,u1,20,SY,1\n"
    "G1,control,u2,30,SY,0\n"
    "G2,treatment,u3,30,SY,2\n"
    "G2,control,u4,50,ER,\n"
    "G3,control,u5,,ER,1\n"
    "G3,treatment,u6,40,ER,\n"
    "G4,treatment,u7,,,3\n"
    "G4,control,u8,,AF,1\n"
)


def test_numeric_covariate_by_hand() -> None:
    # age, unknowns left out: treatment 20, 30, 40: mean 30, s² = (100 + 0 + 100)/2 = 100;
    # control 30, 50: mean 40, s² = (100 + 100)/1 = 200.
    # std_diff = (30 - 40)/sqrt((100 + 200)/2) = -10/sqrt(150) = -0.8165 -> imbalanced.
    age = balance_table(parse_trial_csv(TABLE), exclude=["gain"])[0]
    assert age == {
        "covariate": "age",
        "kind": "numeric",
        "mean": {"treatment": 30.0, "control": 40.0},
        "std_diff": pytest.approx(-10 / math.sqrt(150), rel=1e-14),
        "imbalanced": True,
    }


def test_categorical_covariate_by_hand() -> None:
    # origin, out of the rows with a value: treatment 3 (SY 2, ER 1), control 4
    # (SY 1, ER 2, AF 1). Categories sorted: AF, ER, SY.
    # AF: p_t = 0, p_c = 1/4: (0 - 1/4)/sqrt((0 + 3/16)/2) = -0.25/sqrt(3/32) = -0.8165
    # ER: p_t = 1/3, p_c = 1/2: (-1/6)/sqrt((2/9 + 1/4)/2) = (-1/6)/sqrt(17/72) = -0.3430
    # SY: p_t = 2/3, p_c = 1/4: (5/12)/sqrt((2/9 + 3/16)/2) = (5/12)/sqrt(59/288) = 0.9206
    rows = balance_table(parse_trial_csv(TABLE), exclude=["gain"])[1:]
    assert [(r["covariate"], r["kind"], r["category"]) for r in rows] == [
        ("origin", "categorical", "AF"),
        ("origin", "categorical", "ER"),
        ("origin", "categorical", "SY"),
    ]
    assert [r["share"] for r in rows] == [
        {"treatment": 0.0, "control": 0.25},
        {"treatment": pytest.approx(1 / 3, rel=1e-15), "control": 0.5},
        {"treatment": pytest.approx(2 / 3, rel=1e-15), "control": 0.25},
    ]
    expected = [
        -0.25 / math.sqrt(3 / 32),
        (-1 / 6) / math.sqrt(17 / 72),
        (5 / 12) / math.sqrt(59 / 288),
    ]
    assert [r["std_diff"] for r in rows] == pytest.approx(expected, rel=1e-12)
    assert [r["imbalanced"] for r in rows] == [True, True, True]


def test_outcomes_pair_arm_and_unit_are_not_covariates() -> None:
    data = parse_trial_csv(TABLE)
    assert {r["covariate"] for r in balance_table(data, exclude=["gain"])} == {"age", "origin"}
    # an outcome not named is a covariate like any other column
    assert "gain" in {r["covariate"] for r in balance_table(data)}


def test_zero_denominator_gives_zero_when_equal_else_null() -> None:
    # same: 5 in every row (s² = 0 in both arms, means equal) -> 0, balanced.
    # split: treatment all 1, control all 2 (s² = 0, means differ) -> null.
    # kind: treatment all "a", control all "b": for a p_t = 1, p_c = 0 -> null; for b too.
    # both: every row "x": p_t = p_c = 1 -> 0.
    text = (
        "pair,arm,same,split,kind,both\n"
        "G1,treatment,5,1,a,x\nG1,control,5,2,b,x\n"
        "G2,treatment,5,1,a,x\nG2,control,5,2,b,x\n"
    )
    table = {
        (r["covariate"], r.get("category")): (r["std_diff"], r["imbalanced"])
        for r in balance_table(parse_trial_csv(text))
    }
    assert table == {
        ("same", None): (0.0, False),
        ("split", None): (None, False),
        ("kind", "a"): (None, False),
        ("kind", "b"): (None, False),
        ("both", "x"): (0.0, False),
    }


def test_constant_decimals_have_zero_spread_exactly() -> None:
    # 0.1 three times: a float mean of 0.1 + 0.1 + 0.1 is 0.10000000000000002 and its
    # "variance" 1e-34; exactly it is 0.1 and 0, so the rule "0 when equal" applies.
    text = "pair,arm,x\n" + "".join(f"G{i},treatment,0.1\nG{i},control,0.1\n" for i in range(3))
    (row,) = balance_table(parse_trial_csv(text))
    assert row["mean"] == {"treatment": 0.1, "control": 0.1}
    assert (row["std_diff"], row["imbalanced"]) == (0.0, False)


def test_a_small_difference_is_not_flagged() -> None:
    # treatment 1, 2, 3, 4 (mean 2.5, s² = 5/3), control 0.9, 1.9, 2.9, 3.9 (mean 2.4,
    # s² = 5/3): std_diff = 0.1/sqrt(5/3) = 0.0775 <= 0.1.
    text = "pair,arm,score\n" + "".join(
        f"G{i},treatment,{i}\nG{i},control,{i - 0.1:.1f}\n" for i in range(1, 5)
    )
    (row,) = balance_table(parse_trial_csv(text))
    assert row["std_diff"] == pytest.approx(0.1 / math.sqrt(5 / 3), rel=1e-9)
    assert row["imbalanced"] is False


def test_a_column_with_one_word_is_categorical_and_empty_arms_give_null() -> None:
    # size: "3" "4" "large" -> categorical (not every value is a number).
    # note: only the treatment arm has values -> shares for control are null.
    text = (
        "pair,arm,size,note\nG1,treatment,3,x\nG1,control,4,\nG2,treatment,large,x\nG2,control,3,\n"
    )
    table = balance_table(parse_trial_csv(text))
    assert [(r["covariate"], r["kind"], r["category"]) for r in table] == [
        ("size", "categorical", "3"),
        ("size", "categorical", "4"),
        ("size", "categorical", "large"),
        ("note", "categorical", "x"),
    ]
    note = table[-1]
    assert note["share"] == {"treatment": 1.0, "control": None}
    assert (note["std_diff"], note["imbalanced"]) == (None, False)


def test_numeric_covariate_needs_two_values_per_arm_for_its_difference() -> None:
    text = "pair,arm,x\nG1,treatment,1\nG1,control,2\nG2,treatment,3\nG2,control,\n"
    (row,) = balance_table(parse_trial_csv(text))
    assert row["mean"] == {"treatment": 2.0, "control": 2.0}
    assert row["std_diff"] is None
    empty = balance_table(parse_trial_csv("pair,arm,x\nG1,treatment,\nG1,control,\n"))
    assert empty[0]["mean"] == {"treatment": None, "control": None}
