"""questions.py is the one source: required answers, and the model fields answers fill."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.intake.answers import group_answers, household_answers
from welcomematch.core.levels import SSM_DOMAINS, SUPPORT_FLAGS
from welcomematch.i18n import message
from welcomematch.intake import questions as q
from welcomematch.intake.models import GroupInvitation, GroupMember, Household, Person, WelcomeGroup
from welcomematch.intake.services import (
    ERR_ANSWERS_MISSING,
    group_invite,
    invitation_save_progress,
    invitation_submit,
)

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

MODELS = {
    (q.GROUP_QUESTIONNAIRE.kind, None): WelcomeGroup,
    (q.GROUP_QUESTIONNAIRE.kind, "members"): GroupMember,
    (q.HOUSEHOLD_QUESTIONNAIRE.kind, None): Household,
    (q.HOUSEHOLD_QUESTIONNAIRE.kind, "persons"): Person,
}


@pytest.mark.parametrize("questionnaire", list(q.QUESTIONNAIRES.values()), ids=str)
def test_every_question_fills_a_field_of_its_model(questionnaire: q.Questionnaire) -> None:
    repeats = {s.name for s in questionnaire.repeats}
    for question in questionnaire.questions:
        section = question.section if question.section in repeats else None
        model = MODELS[(questionnaire.kind, section)]
        model._meta.get_field(question.field_name)  # raises FieldDoesNotExist


def test_group_answers_become_exactly_these_fields() -> None:
    fields, rows = q.fields_from_answers(q.GROUP_QUESTIONNAIRE, group_answers(), now=NOW)
    assert fields["willingness"] == 2 and fields["experience"] == 1
    assert fields["hours_per_month"] == 12
    assert fields["consent_at"] == fields["non_discrimination_at"] == NOW
    assert fields["latitude"] is None and fields["postcode"] == "1315 AB"
    assert fields["languages"] == ["nl", "en", "ar"]
    assert set(fields) == {
        question.field_name for question in q.GROUP_QUESTIONNAIRE.main_questions()
    }
    assert rows["members"][1] == {
        "first_name": "Bas",
        "age": 38,
        "gender": "man",
        "education": "vocational",
        "occupation": "",
        "sector": "",
        "volunteered_with_refugees": False,
        "has_children": True,
    }


def test_household_answers_fill_scores_flags_and_defaults() -> None:
    answers = household_answers(cefr_english="", wants_ambassador=None, interviewed_at="")
    answers["persons"].append({"age": None})
    fields, rows = q.fields_from_answers(q.HOUSEHOLD_QUESTIONNAIRE, answers, now=NOW)
    assert fields["ssm_scores"] == {d: 2 if d == "finances" else 4 for d in SSM_DOMAINS}
    assert fields["support_flags"] == {flag: flag == "trauma" for flag in SUPPORT_FLAGS}
    assert fields["cefr_dutch"] == "A2" and fields["cefr_english"] == "none"
    assert fields["wants_ambassador"] is True  # not answered: the model's default
    assert fields["interviewed_at"] is None
    assert fields["housed_year"] == 2025
    assert rows["persons"][2] == {"relation": "other", "age": 0, "gender": "unknown"}
    fields, _rows = q.fields_from_answers(
        q.HOUSEHOLD_QUESTIONNAIRE, household_answers(interviewed_at="2026-11-20"), now=NOW
    )
    assert fields["interviewed_at"] == date(2026, 11, 20)


def test_complete_answers_miss_nothing() -> None:
    assert q.missing_answers(q.GROUP_QUESTIONNAIRE, group_answers()) == []
    assert q.missing_answers(q.HOUSEHOLD_QUESTIONNAIRE, household_answers()) == []


def test_each_missing_required_answer_is_named() -> None:
    answers = group_answers(motivation="  ", consent=False, languages=[])
    answers["members"][1] = {"first_name": "Bas"}
    assert q.missing_answers(q.GROUP_QUESTIONNAIRE, answers) == [
        "languages",
        "motivation",
        "members.1.age",
        "consent",
    ]


def test_a_repeat_section_without_rows_is_missing_as_a_whole() -> None:
    assert q.missing_answers(q.GROUP_QUESTIONNAIRE, group_answers(members=[])) == ["members"]


@pytest.mark.parametrize(
    ("location", "missing"),
    [
        ({"postcode": "1315 AB"}, []),
        ({"postcode": "", "latitude": 52.37, "longitude": 5.22}, []),
        ({"postcode": "", "latitude": 52.37, "longitude": None}, ["postcode"]),
        ({"postcode": ""}, ["postcode"]),
    ],
)
def test_a_location_is_a_postcode_or_both_coordinates(
    location: dict[str, Any], missing: list[str]
) -> None:
    answers = group_answers(**{"latitude": None, "longitude": None, **location})
    assert q.missing_answers(q.GROUP_QUESTIONNAIRE, answers, section="group") == missing


@pytest.mark.django_db
def test_an_invitation_with_missing_required_answers_cannot_be_submitted(
    programme: Any, city: Any, postcodes: int
) -> None:
    group, invitation, _token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    answers = group_answers()
    del answers["availability"]
    answers["consent"] = False
    invitation_save_progress(invitation=invitation, step="agreement", answers=answers)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        invitation_submit(invitation=invitation)
    with translation.override("en"):
        assert error.value.messages == [
            message(ERR_ANSWERS_MISSING, questions="When are you available?; " + q.GROUP_CONSENT_EN)
        ]
    invitation = GroupInvitation.objects.get(pk=invitation.pk)
    assert invitation.is_open and invitation.answers["name"] == "De Buren van de Esplanade"
    group.refresh_from_db()
    assert group.intake_completed_at is None and not group.members.exists()


def test_missing_answers_read_as_words() -> None:
    with translation.override("en"):
        assert q.answer_label(q.GROUP_QUESTIONNAIRE, "members.1.age") == "Members 2: Age"
        assert q.answer_label(q.GROUP_QUESTIONNAIRE, "members") == "Members"
        assert q.answer_label(q.GROUP_QUESTIONNAIRE, "motivation") == (
            "Why do you want to welcome a household?"
        )
