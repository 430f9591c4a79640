"""The register is append-only: withdrawals, corrections and lottery audits are new rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_city, make_household, make_programme, make_user
from tests.trial.fixtures import build_trial
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.trial import selectors, services
from welcomematch.trial.models import EntryKind, LotteryAuditRecord, RegisterEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial():
    return build_trial()


def test_a_withdrawal_is_recorded_in_the_households_arm_and_corrected_by_a_new_row(trial):
    unit = trial["units"][0]
    coordinator = trial["users"][Role.COORDINATOR]
    first = services.withdrawal_record(
        household=unit.household, reason="Moved abroad", actor=coordinator
    )
    second = services.withdrawal_record(
        household=unit.treatment_household, reason="No longer wishes to take part", actor=None
    )
    assert (first.arm, second.arm) == ("control", "treatment")
    entries = selectors.register_entries(study=trial["study"])
    assert selectors.in_force(entries, EntryKind.WITHDRAWAL).count() == 2
    correction = services.entry_correct(
        entry=first, reason="Recorded by mistake", actor=coordinator
    )
    assert correction.corrects == first and correction.kind == EntryKind.CORRECTION
    assert list(selectors.in_force(entries, EntryKind.WITHDRAWAL)) == [second]
    assert RegisterEntry.objects.count() == 3
    with pytest.raises(ValidationError, match="already been corrected"):
        services.entry_correct(entry=first, reason="Again", actor=coordinator)
    with pytest.raises(ValidationError, match="cannot itself be corrected"):
        services.entry_correct(entry=correction, reason="Undo", actor=coordinator)
    assert AuditEvent.objects.filter(action="trial.withdrawal").count() == 2
    assert AuditEvent.objects.filter(action="trial.correction").count() == 1


def test_only_households_of_the_trial_can_withdraw_and_a_reason_is_needed(trial):
    outsider = make_household(trial["city"], contact_name="Hana")
    with pytest.raises(ValidationError, match="neither arm"):
        services.withdrawal_record(household=outsider, reason="Left", actor=None)
    with pytest.raises(ValidationError, match="reason"):
        services.withdrawal_record(household=trial["units"][0].household, reason="", actor=None)
    assert not RegisterEntry.objects.exists()


def test_a_deviation_is_corrected_only_by_an_administrator(trial):
    admin = trial["users"][Role.ADMINISTRATOR]
    entry = services.deviation_record(
        household=trial["units"][1].household, reason="Urgent", actor=admin
    )
    with pytest.raises(ValidationError, match="Only an administrator"):
        services.entry_correct(entry=entry, reason="Wrong", actor=trial["users"][Role.COORDINATOR])
    with pytest.raises(ValidationError, match="already been released"):
        services.deviation_record(household=entry.household, reason="Again", actor=admin)


def test_a_lottery_audit_keeps_each_households_chances_and_refuses_bad_draws(trial):
    record = services.lottery_audit_record(round=trial["round"], draws=10, actor=None)
    assert set(record.chances) >= {u.household.reference for u in trial["units"]}
    for p_treatment, p_control in record.chances.values():
        assert 0 <= p_treatment <= 1 and 0 <= p_control <= 1 and p_treatment + p_control <= 1
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    (unit, *_rest) = selectors.register_units(study=trial["study"])
    assert unit.probability_source == "lottery_audit:10"
    with pytest.raises(ValidationError, match="between 1 and"):
        services.lottery_audit_record(round=trial["round"], draws=0, actor=None)
    assert LotteryAuditRecord.objects.count() == 1


def test_a_programme_gets_one_study_with_a_valid_period():
    programme = make_programme()
    make_city(programme)
    admin = make_user(Role.ADMINISTRATOR, programme=programme)
    spec = services.OUTCOME_PRESETS["dutch_cefr_gain"]
    with pytest.raises(ValidationError, match="end after it starts"):
        services.study_create(
            programme=programme,
            title="T",
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 1, 1),
            analysis_seed=0,
            outcomes=[spec],
            actor=admin,
        )
    services.study_create(
        programme=programme,
        title="T",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 1),
        analysis_seed=0,
        outcomes=[spec],
        actor=admin,
    )
    with pytest.raises(ValidationError, match="already has a study"):
        services.study_create(
            programme=programme,
            title="T2",
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 1, 1),
            analysis_seed=0,
            outcomes=[spec],
            actor=admin,
        )


def test_units_outside_the_study_period_are_not_in_the_register(trial):
    study = trial["study"]
    type(study).objects.filter(pk=study.pk).update(
        starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31)
    )
    study.refresh_from_db()
    assert selectors.register_units(study=study) == []
