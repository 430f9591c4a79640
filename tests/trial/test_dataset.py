"""The study's trial data: pseudonymous, coarsened, outcomes from the final survey."""

from __future__ import annotations

import pytest

from tests.trial.fixtures import build_trial
from welcomematch.core.trial import analyse, balance_table, parse_trial_csv
from welcomematch.intake.models import Household
from welcomematch.trial import dataset, exports, selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial():
    return build_trial()


def test_every_unit_gives_a_treatment_and_a_control_row_with_pseudonymous_ids(trial):
    rows = dataset.study_rows(study=trial["study"])
    assert len(rows) == 6
    assert [r.arm for r in rows] == ["treatment", "control"] * 3
    pairs = [r.values["pair"] for r in rows]
    assert pairs[0] == pairs[1] != pairs[2]
    for row in rows:
        assert str(row.values["unit"]).startswith("H-")
        assert row.household.reference not in str(row.values)
        assert str(row.household.pk) != row.values["unit"]
    again = dataset.study_rows(study=trial["study"])
    assert [r.values["unit"] for r in again] == [r.values["unit"] for r in rows]


def test_pseudonyms_differ_between_studies_with_different_keys(trial):
    study = trial["study"]
    first = selectors.pseudonym(study, "household", 1)
    study.pseudonym_key = "0" * 64
    assert selectors.pseudonym(study, "household", 1) != first


def test_outcomes_come_from_the_final_survey_and_the_intake(trial):
    rows = {r.household.pk: r for r in dataset.study_rows(study=trial["study"])}
    intake_level = {"none": 0, "A1": 1, "A2": 2}
    answered_control = trial["units"][0].household_id
    for pk, row in rows.items():
        household = Household.objects.get(pk=pk)
        if row.arm == "treatment" or pk == answered_control:
            # Final answer B1 = 3, part-time work counts as work.
            assert row.values["dutch_cefr_gain"] == 3 - intake_level[household.cefr_dutch]
            assert row.values["in_work_or_education"] == 1.0
        else:
            assert row.values["dutch_cefr_gain"] is None
            assert row.values["in_work_or_education"] is None


def test_covariates_are_coarsened_and_hold_nothing_identifying(trial):
    rows = dataset.study_rows(study=trial["study"])
    ages = {r.household.contact_name: r.values["age_main_adult"] for r in rows}
    assert ages["Amal"] == 30 and ages["Bashir"] == 40 and ages["Elham"] == 50
    assert {r.values["postcode_area"] for r in rows} == {"13"}
    assert {r.values["household_size"] for r in rows} == {2}
    text = exports.data_csv(dataset.trial_data(study=trial["study"], rows=rows))
    for row in rows:
        assert row.household.contact_name not in text
        assert row.household.reference not in text
    assert "0612345678" not in text and "1315" not in text


def test_the_exported_file_reads_back_as_the_same_data_and_analysis(trial):
    data = dataset.trial_data(study=trial["study"])
    reread = parse_trial_csv(exports.data_csv(data))
    assert reread.columns == data.columns and reread.rows == data.rows
    outcomes = ["dutch_cefr_gain", "in_work_or_education"]
    assert analyse(reread, outcomes, seed=7) == analyse(data, outcomes, seed=7)
    balance = exports.balance_rows(data, trial["study"])
    assert balance == balance_table(data, exclude=[*outcomes, "postcode_area"])
    assert {b["covariate"] for b in balance} == {
        "origin",
        "household_type",
        "vulnerability_level",
        "household_size",
        "dutch_cefr_intake",
        "employment_intake",
        "age_main_adult",
    }


def test_response_rates_warn_when_the_control_arm_falls_behind(trial):
    rows = dataset.study_rows(study=trial["study"])
    rates = dataset.response_rates(study=trial["study"], rows=rows)
    assert rates is not None
    assert (rates.moment, rates.pairs, rates.treatment) == ("final", 3, 1.0)
    assert rates.control == pytest.approx(1 / 3)
    assert rates.control_behind
    assert {r.household.pk for r in rates.missing_controls} == {
        u.household_id for u in trial["units"][1:]
    }
    assert rates.control_attrition[-1] == pytest.approx(2 / 3)
    assert rates.treatment_attrition[-1] == 0.0
    # The line starts the day the wave opened, when nobody had answered yet.
    assert len(rates.days) == 2
    assert (rates.treatment_attrition[0], rates.control_attrition[0]) == (1.0, 1.0)


def test_no_warning_when_both_arms_answer_alike():
    trial = build_trial(answer_controls=3)
    rows = dataset.study_rows(study=trial["study"])
    rates = dataset.response_rates(study=trial["study"], rows=rows)
    assert rates is not None and not rates.control_behind and not rates.missing_controls
