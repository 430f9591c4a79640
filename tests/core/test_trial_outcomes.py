"""Outcome derivations and coarsening of the trial data file, on hand-worked cases."""

from __future__ import annotations

import pytest

from welcomematch.core.errors import InvalidInput
from welcomematch.core.trial_outcomes import (
    age_band,
    answer_level,
    outcome_value,
    postcode_area,
)


def test_cefr_gain_is_final_level_minus_intake_level():
    assert outcome_value("gain", "cefr", "B1", "A1") == 2.0  # 3 - 1
    assert outcome_value("gain", "cefr", "none", "A2") == -2.0
    assert outcome_value("gain", "cefr", "C2", "none") == 6.0


def test_a_missing_answer_is_an_unobserved_outcome():
    assert outcome_value("gain", "cefr", None, "A1") is None
    assert outcome_value("gain", "cefr", "B1", None) is None
    assert outcome_value("in_work_or_education", "work_status", None) is None


def test_in_work_or_education_counts_any_work_or_study_option():
    assert outcome_value("in_work_or_education", "work_status", ["looking", "training"]) == 1.0
    assert outcome_value("in_work_or_education", "work_status", ["part_time"]) == 1.0
    assert outcome_value("in_work_or_education", "work_status", ["volunteer", "looking"]) == 0.0
    assert outcome_value("in_work_or_education", "work_status", ["none"]) == 0.0


def test_final_value_and_numbers():
    assert outcome_value("final", "number", 4) == 4.0
    assert outcome_value("gain", "number", 5, 2) == 3.0
    assert answer_level("cefr", "A2") == 2.0


def test_scales_without_levels_and_unknown_options_are_refused():
    with pytest.raises(InvalidInput, match="no numeric levels"):
        answer_level("likert5", "neutral")
    with pytest.raises(InvalidInput, match="not an option"):
        answer_level("cefr", "D1")
    with pytest.raises(ValueError):
        outcome_value("median", "cefr", "A1")


def test_ages_fall_to_the_lower_bound_of_their_five_year_band():
    assert [age_band(a) for a in (0, 4, 5, 34, 35, 39, 40)] == [0, 0, 5, 30, 35, 35, 40]
    assert age_band(None) is None


def test_postcodes_keep_their_first_two_digits():
    assert postcode_area("1315 AB") == "13"
    assert postcode_area("2511cv") == "25"
    assert postcode_area("") == ""
