"""Editing a record after its intake, withdrawing a participant and undoing it, re-opening a
group's link: the services, and their history in words."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.intake.answers import group_answers, household_answers
from tests.web.helpers import make_match
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.i18n import message
from welcomematch.intake import questions as q
from welcomematch.intake.changes import describe_all
from welcomematch.intake.models import GroupInvitation, Household, RecordChange, WelcomeGroup
from welcomematch.intake.selectors import invitation_for_token
from welcomematch.intake.services import (
    ERR_ALREADY_WITHDRAWN,
    ERR_NOT_WITHDRAWN,
    ERR_REOPEN_INCOMPLETE,
    ERR_WITHDRAW_REASON,
    group_invite,
    group_reinstate,
    group_save_answers,
    group_withdraw,
    household_reinstate,
    household_save_answers,
    household_withdraw,
    invitation_reopen,
    invitation_save_progress,
    invitation_submit,
)
from welcomematch.lifecycle import services as lifecycle
from welcomematch.matching.selectors import groups_ready, households_ready
from welcomematch.surveys.models import Respondent

pytestmark = pytest.mark.django_db

CHILDREN = [
    {"relation": "child", "age": age, "gender": gender}
    for age, gender in ((2, "man"), (4, "woman"), (7, "man"), (9, "woman"), (12, "man"))
]


@pytest.fixture
def coordinator(users: dict[str, Any]) -> Any:
    return users[Role.COORDINATOR.value]


@pytest.fixture
def household(programme: Any, city: Any, postcodes: int, coordinator: Any) -> Household:
    answers = household_answers(
        persons=[{"relation": "main", "age": 34, "gender": "woman"}, *CHILDREN]
    )
    return household_save_answers(
        programme=programme, city=city, answers=answers, actor=coordinator
    )


@pytest.fixture
def group(programme: Any, city: Any, postcodes: int) -> WelcomeGroup:
    return group_save_answers(programme=programme, city=city, answers=group_answers(), actor=None)


def _edit_household(household: Household, actor: Any, **changes: Any) -> Household:
    """Save the household's saved answers with ``changes``, as the edit form does."""
    household.refresh_from_db()
    answers = q.answers_from_record(
        q.HOUSEHOLD_QUESTIONNAIRE, household, {"persons": household.persons.order_by("id")}
    )
    answers.update(changes)
    return household_save_answers(
        programme=household.programme,
        city=household.city,
        answers=answers,
        actor=actor,
        household=household,
        expected_updated_at=household.updated_at,
    )


def _saved_persons(household: Household) -> list[dict[str, Any]]:
    return q.answers_from_record(
        q.HOUSEHOLD_QUESTIONNAIRE, household, {"persons": household.persons.order_by("id")}
    )["persons"]


def _words(record: WelcomeGroup | Household, *, sensitive: bool = True) -> list[str]:
    questionnaire = (
        q.GROUP_QUESTIONNAIRE if isinstance(record, WelcomeGroup) else q.HOUSEHOLD_QUESTIONNAIRE
    )
    entry = record.changes.filter(action=RecordChange.Action.EDITED).first()
    assert entry is not None
    with translation.override("en"):
        return describe_all(questionnaire, entry.changes, sensitive=sensitive)


def test_a_sixth_child_is_recorded_and_the_other_persons_keep_their_identity(
    household: Household, coordinator: Any
) -> None:
    before = _saved_persons(household)
    assert len(before) == 6
    persons = [*before, {"relation": "child", "age": 1, "gender": "woman"}]
    _edit_household(household, coordinator, persons=persons)
    after = _saved_persons(household)
    assert len(after) == 7
    assert [p["id"] for p in after[:6]] == [p["id"] for p in before]
    assert "Person added: Child, 1, Woman" in _words(household)


def test_removing_a_person_derives_the_household_type_again(
    programme: Any, city: Any, postcodes: int, coordinator: Any
) -> None:
    household = household_save_answers(
        programme=programme,
        city=city,
        answers=household_answers(
            persons=[
                {"relation": "main", "age": 40, "gender": "man"},
                {"relation": "partner", "age": 38, "gender": "woman"},
            ]
        ),
        actor=coordinator,
    )
    assert household.household_type == "couple"
    persons = _saved_persons(household)
    household = _edit_household(household, coordinator, persons=persons[:1])
    household.refresh_from_db()
    assert household.household_type == "single_man"
    assert household.persons.count() == 1
    words = _words(household)
    assert "Person removed: Partner, 38, Woman" in words
    assert "Household type (derived) changed from Couple without children to Single man" in words


def test_a_survey_link_of_a_person_survives_an_edit(household: Household, coordinator: Any) -> None:
    """Rows are changed in place, not removed and made again (their survey links would go)."""
    adult = household.persons.get(relation="main")
    persons = _saved_persons(household)
    persons[0]["age"] = 35
    _edit_household(household, coordinator, persons=persons)
    adult.refresh_from_db()
    assert adult.age == 35
    assert Respondent._meta.get_field("person").remote_field.on_delete.__name__ == "SET_NULL"
    assert "Main contact, 34, Woman: Age changed from 34 to 35" in _words(household)


def test_a_new_postcode_is_geocoded_and_the_change_is_described_in_words(
    household: Household, coordinator: Any
) -> None:
    old = (household.latitude, household.longitude)
    _edit_household(household, coordinator, postcode="1315AB", cefr_dutch="B1")
    household.refresh_from_db()
    assert household.postcode == "1315 AB"
    assert (household.latitude, household.longitude) != old
    words = _words(household)
    assert "Postcode changed from 2511 CV to 1315 AB" in words
    assert "Dutch (self-assessed, CEFR) changed from A2 – elementary to B1 – intermediate" in words
    assert not any("latitude" in line.lower() for line in words)


def test_a_changed_score_derives_the_vulnerability_level_again_and_stays_hidden_from_others(
    household: Household, coordinator: Any
) -> None:
    level = household.vulnerability
    _edit_household(household, coordinator, ssm_finances="1", ssm_mental_health="1")
    household.refresh_from_db()
    assert household.vulnerability > level
    shown = _words(household)
    assert "Finances changed from 2 – not self-sufficient to 1 – acute problems" in shown
    hidden = _words(household, sensitive=False)
    assert "Finances changed" in hidden
    assert not any("acute" in line for line in hidden)
    assert not any(line.startswith("Vulnerability") and " to " in line for line in hidden)


def test_category_answers_are_shown_by_their_labels(group: WelcomeGroup) -> None:
    answers = q.answers_from_record(
        q.GROUP_QUESTIONNAIRE, group, {"members": group.members.order_by("id")}
    )
    answers["contact_kind"] = "friendship"
    group_save_answers(
        programme=group.programme, city=group.city, answers=answers, actor=None, group=group
    )
    words = _words(group)
    assert any(line.startswith("What kind of contact") and "Friendship" in line for line in words)
    assert not any("friendship" in line for line in words)


def test_a_group_with_six_members_and_one_removed(group: WelcomeGroup) -> None:
    answers = q.answers_from_record(
        q.GROUP_QUESTIONNAIRE, group, {"members": group.members.order_by("id")}
    )
    names = ["Cas", "Dewi", "Eef", "Fleur"]
    answers["members"] += [{"first_name": n, "age": 30 + i} for i, n in enumerate(names)]
    group_save_answers(
        programme=group.programme, city=group.city, answers=answers, actor=None, group=group
    )
    assert group.members.count() == 6
    answers = q.answers_from_record(
        q.GROUP_QUESTIONNAIRE, group, {"members": group.members.order_by("id")}
    )
    answers["members"] = [m for m in answers["members"] if m["first_name"] != "Bas"]
    group_save_answers(
        programme=group.programme, city=group.city, answers=answers, actor=None, group=group
    )
    assert sorted(group.members.values_list("first_name", flat=True)) == [
        "Anna",
        "Cas",
        "Dewi",
        "Eef",
        "Fleur",
    ]
    assert "Member removed: Bas (38)" in _words(group)


def test_an_edit_audits_what_changed_without_the_values(
    household: Household, coordinator: Any
) -> None:
    _edit_household(household, coordinator, postcode="1315 AB")
    event = AuditEvent.objects.filter(action="household.updated").latest("id")
    assert event.actor == coordinator
    assert "postcode" in event.data["changed"]
    assert "1315" not in str(event.data)
    assert RecordChange.objects.filter(pk=event.data["change"], household=household).exists()


def test_a_stale_form_is_refused_and_nothing_is_written(
    household: Household, coordinator: Any
) -> None:
    opened_at = household.updated_at
    _edit_household(household, coordinator, hobbies="Koken")
    answers = q.answers_from_record(
        q.HOUSEHOLD_QUESTIONNAIRE, household, {"persons": household.persons.order_by("id")}
    )
    answers["hobbies"] = "Voetbal"
    answers["persons"] = answers["persons"][:1]
    with pytest.raises(ValidationError) as error:
        household_save_answers(
            programme=household.programme,
            city=household.city,
            answers=answers,
            actor=coordinator,
            household=household,
            expected_updated_at=opened_at,
        )
    assert error.value.code == "stale"
    household.refresh_from_db()
    assert household.hobbies == "Koken"
    assert household.persons.count() == 6


def test_an_invalid_row_writes_nothing(household: Household, coordinator: Any) -> None:
    persons = _saved_persons(household)
    persons.append({"relation": "child", "age": 500, "gender": "man"})
    with pytest.raises(ValidationError):
        _edit_household(household, coordinator, persons=persons, hobbies="Schaken")
    household.refresh_from_db()
    assert household.hobbies == ""
    assert household.persons.count() == 6
    assert not household.changes.exists()


def test_a_withdrawn_household_leaves_the_pool_through_the_one_ready_rule(
    household: Household, coordinator: Any
) -> None:
    assert households_ready(programme=household.programme).filter(pk=household.pk).exists()
    with pytest.raises(ValidationError) as error:
        household_withdraw(household=household, reason=" ", actor=coordinator)
    assert error.value.message_dict == {
        "reason": [message(ERR_WITHDRAW_REASON, reference=household.reference)]
    }
    household_withdraw(household=household, reason="Moved to Utrecht", actor=coordinator)
    household.refresh_from_db()
    assert household.withdrawn_at is not None
    assert not households_ready(programme=household.programme).filter(pk=household.pk).exists()
    entry = household.changes.get(action=RecordChange.Action.WITHDRAWN)
    assert entry.reason == "Moved to Utrecht"
    event = AuditEvent.objects.get(action="household.withdrawn", object_id=str(household.pk))
    assert event.data == {"change": entry.pk}
    with pytest.raises(ValidationError) as error:
        household_withdraw(household=household, reason="again", actor=coordinator)
    assert error.value.messages == [message(ERR_ALREADY_WITHDRAWN, reference=household.reference)]


def test_undoing_a_withdrawal_puts_the_household_back_and_keeps_the_history(
    household: Household, coordinator: Any
) -> None:
    with pytest.raises(ValidationError) as error:
        household_reinstate(household=household, reason="x", actor=coordinator)
    assert error.value.messages == [message(ERR_NOT_WITHDRAWN, reference=household.reference)]
    household_withdraw(household=household, reason="Moved", actor=coordinator)
    with pytest.raises(ValidationError):
        household_reinstate(household=household, reason="", actor=coordinator)
    household_reinstate(household=household, reason="Wrong household", actor=coordinator)
    household.refresh_from_db()
    assert household.withdrawn_at is None
    assert households_ready(programme=household.programme).filter(pk=household.pk).exists()
    assert list(household.changes.values_list("action", flat=True)) == [
        RecordChange.Action.REINSTATED,
        RecordChange.Action.WITHDRAWN,
    ]
    assert AuditEvent.objects.filter(action="household.reinstated").exists()


def test_a_participant_with_an_open_match_is_not_withdrawn_until_the_match_ends(
    group: WelcomeGroup, household: Household, coordinator: Any
) -> None:
    household = _edit_household(household, coordinator, postcode="1315 AB")
    match = make_match(group, household)
    with pytest.raises(ValidationError) as error:
        group_withdraw(group=group, reason="Stopped", actor=coordinator)
    assert error.value.code == "open_match"
    assert group.reference in error.value.messages[0]
    group.refresh_from_db()
    assert group.withdrawn_at is None
    lifecycle.match_end(match=match, reason="moved", note="", actor=coordinator)
    group_withdraw(group=group, reason="Stopped", actor=coordinator)
    group_reinstate(group=group, reason="Mistake", actor=coordinator)
    group.refresh_from_db()
    assert group.withdrawn_at is None
    assert groups_ready(programme=group.programme).filter(pk=group.pk).exists()


def test_a_reopened_link_opens_on_the_saved_answers_and_its_corrections_are_kept(
    group: WelcomeGroup, coordinator: Any
) -> None:
    members_before = list(group.members.order_by("id").values_list("id", flat=True))
    invitation, token = invitation_reopen(group=group, actor=coordinator)
    assert invitation_for_token(token) == invitation
    assert invitation.answers["postcode"] == group.postcode
    assert [m["id"] for m in invitation.answers["members"]] == members_before
    assert AuditEvent.objects.filter(action="group.invitation_reopened").exists()
    assert group.changes.filter(action=RecordChange.Action.REOPENED).exists()
    members = [*invitation.answers["members"], {"first_name": "Gijs", "age": 70}]
    invitation_save_progress(
        invitation=invitation, step="summary", answers={"members": members, "hours_per_month": 20}
    )
    invitation_submit(invitation=invitation)
    group.refresh_from_db()
    assert group.hours_per_month == 20
    assert list(group.members.order_by("id").values_list("id", flat=True))[:2] == members_before
    words = _words(group)
    assert "Member added: Gijs (70)" in words
    assert any(line.startswith("How many hours") and "12 to 20" in line for line in words)


def test_reopening_withdraws_the_other_open_links_and_needs_a_finished_intake(
    programme: Any, city: Any, group: WelcomeGroup, coordinator: Any
) -> None:
    first, _token = invitation_reopen(group=group, actor=coordinator)
    invitation_reopen(group=group, actor=coordinator)
    first.refresh_from_db()
    assert first.revoked_at is not None
    new_group, _invitation, _t = group_invite(
        programme=programme, city=city, name="Nieuw", actor=coordinator
    )
    with pytest.raises(ValidationError) as error:
        invitation_reopen(group=new_group, actor=coordinator)
    assert error.value.messages == [message(ERR_REOPEN_INCOMPLETE, reference=new_group.reference)]
    assert GroupInvitation.objects.filter(group=new_group).count() == 1


def test_erasure_removes_the_values_of_the_history_but_keeps_that_it_changed(
    household: Household, coordinator: Any
) -> None:
    from welcomematch.privacy.services import household_erase

    _edit_household(household, coordinator, postcode="1315 AB")
    household_erase(household=household, reason="Asked for it", actor=coordinator)
    entries = list(household.changes.all())
    assert entries and all(entry.changes == [] and entry.reason == "" for entry in entries)


def test_a_derived_group_type_follows_the_members_through_an_edit(
    programme: Any, city: Any, postcodes: int
) -> None:
    members = [
        {"first_name": "Anna", "age": 41, "has_children": False},
        {"first_name": "Bas", "age": 38, "has_children": False},
    ]
    group = group_save_answers(
        programme=programme,
        city=city,
        answers=group_answers(members=members, group_type=""),
        actor=None,
    )
    assert group.group_type == "middle_aged"
    answers = q.answers_from_record(
        q.GROUP_QUESTIONNAIRE, group, {"members": group.members.order_by("id")}
    )
    answers["members"].append({"first_name": "Cor", "age": 36, "has_children": True})
    group_save_answers(programme=programme, city=city, answers=answers, actor=None, group=group)
    group.refresh_from_db()
    assert group.group_type == "with_children"
    assert any(line.startswith("What type of group") for line in _words(group))
