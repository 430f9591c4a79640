"""Waves, personal links, answering, interviews, versions: the survey services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.surveys.conftest import BASE_URL
from welcomematch.accounts.models import AuditEvent
from welcomematch.mail.models import OutgoingMessage
from welcomematch.surveys import selectors, services
from welcomematch.surveys.models import Answer, Instrument, Respondent, Response


def _midterm(world, **kw):
    return services.wave_open(
        programme=world.programme,
        moment="midterm",
        actor=world.coordinator,
        base_url=BASE_URL,
        **kw,
    )


def _final(world, **kw):
    return services.wave_open(
        programme=world.programme, moment="final", actor=world.coordinator, base_url=BASE_URL, **kw
    )


# --- who gets a link ------------------------------------------------------------------------


def test_midterm_wave_links_every_member_and_every_adult_of_matches_five_to_eight_months_in(world):
    opened = _midterm(world)
    respondents = [r for r, _token in opened.links]
    matches = {r.match_id for r in respondents}
    assert matches == {world.midterm_almere.pk, world.midterm_utrecht.pk}
    sides = sorted(r.side for r in respondents)
    # three members and two adults (not the child) per match
    assert sides.count("group_member") == 6 and sides.count("newcomer") == 4
    assert all(r.trial_arm == "treatment" for r in respondents)


def test_a_wave_for_one_city_links_only_that_citys_matches(world):
    opened = _midterm(world, city=world.utrecht)
    assert {r.match_id for r, _ in opened.links} == {world.midterm_utrecht.pk}
    assert {r.city for r, _ in opened.links} == {world.utrecht}


def test_final_wave_includes_the_control_households_beside_the_surveyed_matches(world):
    opened = _final(world)
    respondents = [r for r, _ in opened.links]
    controls = [r for r in respondents if r.trial_arm == "control"]
    assert {r.household for r in controls} == {world.final_control}
    assert len(controls) == 2 and all(r.side == "newcomer" and r.match is None for r in controls)
    assert {r.match_id for r in respondents if r.trial_arm == "treatment"} == {world.final_match.pk}


def test_people_with_a_link_for_the_moment_are_not_linked_twice(world):
    _midterm(world, city=world.almere)
    again = _midterm(world)
    assert {r.match_id for r, _ in again.links} == {world.midterm_utrecht.pk}
    with pytest.raises(ValidationError) as error:
        _midterm(world)
    assert str(services.ERR_NOTHING) in error.value.messages[0]


def test_matches_due_are_those_a_new_wave_would_still_invite(world):
    """The count on the surveys page and the wave agree: matches whose people all have a link
    for the moment are no longer due (the count said "due" while the wave invited nobody)."""
    due = {m.pk for m in selectors.matches_due(programme=world.programme, moment="midterm")}
    assert due == {world.midterm_almere.pk, world.midterm_utrecht.pk}
    _midterm(world, city=world.almere)
    due = {m.pk for m in selectors.matches_due(programme=world.programme, moment="midterm")}
    assert due == {world.midterm_utrecht.pk}
    _midterm(world)
    assert not selectors.matches_due(programme=world.programme, moment="midterm").exists()


def test_a_closing_date_in_the_past_is_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError):
        _midterm(world, closes_at=timezone.now() - timedelta(days=1))
    assert not Respondent.objects.exists()


def test_only_the_hash_of_a_link_is_stored_and_the_link_opens_its_one_respondent(world):
    opened = _midterm(world)
    respondent, token = opened.links[0]
    stored = Respondent.objects.get(pk=respondent.pk)
    assert token not in stored.token_hash and stored.token_hash == selectors.token_hash(token)
    assert selectors.respondent_for_token(token) == stored
    hashes = Respondent.objects.values_list("token_hash", flat=True)
    assert len(set(hashes)) == len(opened.links)


def test_an_expired_or_unknown_link_is_refused(world):
    opened = _midterm(world)
    _respondent, token = opened.links[0]
    with pytest.raises(selectors.LinkRefused) as refused:
        selectors.respondent_for_token(token + "x")
    assert refused.value.status == 404
    with pytest.raises(selectors.LinkRefused) as refused:
        selectors.respondent_for_token(token, now=timezone.now() + timedelta(days=60))
    assert refused.value.status == 410 and refused.value.reason == "expired"


def test_opening_a_wave_queues_invitations_in_each_respondents_language_and_is_audited(world):
    opened = _midterm(world)
    assert opened.invitations == len(opened.links) and opened.without_email == 0
    newcomer, _ = next((r, t) for r, t in opened.links if r.side == "newcomer")
    member, _ = next((r, t) for r, t in opened.links if r.side == "group_member")
    # the households speak English and Dutch at A2: English; the groups: Dutch
    assert newcomer.language == "en" and member.language == "nl"
    mail = OutgoingMessage.objects.get(object_id=str(newcomer.pk), purpose="survey.invitation")
    assert mail.language == "en" and "personal survey link" in mail.subject
    assert "http://testserver/surveys/r/" in mail.body_text
    dutch = OutgoingMessage.objects.get(object_id=str(member.pk), purpose="survey.invitation")
    assert "persoonlijke" in dutch.subject.lower() or "vragenlijst" in dutch.subject.lower()
    event = AuditEvent.objects.get(action="survey.wave_opened")
    assert event.data["respondents"] == len(opened.links)


# --- answering ------------------------------------------------------------------------------


def _newcomer(opened):
    return next((r, t) for r, t in opened.links if r.side == "newcomer")


def test_saving_a_page_keeps_progress_and_the_version_answered(world):
    opened = _midterm(world)
    respondent, _ = _newcomer(opened)
    response = services.response_save_page(
        respondent=respondent, answers={"dutch_cefr": "A2", "work_status": ["part_time"]}, page=1
    )
    assert response.submitted_at is None and response.source == "web"
    assert response.instrument.version == 1 and response.trial_arm == "treatment"
    values = dict(response.answers.values_list("item_code", "value"))
    assert values == {"dutch_cefr": "A2", "work_status": ["part_time"]}
    # a second page updates the same response
    again = services.response_save_page(respondent=respondent, answers={"dutch_cefr": "B1"}, page=2)
    assert again.pk == response.pk and again.last_page == 2
    assert Answer.objects.get(response=response, item_code="dutch_cefr").value == "B1"


def test_an_answer_outside_the_scale_is_refused_naming_the_item(world):
    respondent, _ = _newcomer(_midterm(world))
    with pytest.raises(ValidationError) as error:
        services.response_save_page(respondent=respondent, answers={"trust_match": "maybe"}, page=1)
    assert "trust_match" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.response_save_page(
            respondent=respondent,
            answers={"group_role": ["friend", "coach", "buddy", "teacher"]},
            page=1,
        )
    assert "group_role" in error.value.message_dict
    assert not Answer.objects.exists()


def test_submitting_requires_every_required_item_then_locks_the_response(world):
    respondent, _ = _newcomer(_midterm(world))
    services.response_save_page(respondent=respondent, answers={"dutch_cefr": "B1"}, page=1)
    with pytest.raises(ValidationError) as error:
        services.response_submit(respondent=respondent)
    assert "trust_match" in error.value.message_dict
    assert "dutch_cefr" not in error.value.message_dict  # answered
    assert "comments" not in error.value.message_dict  # optional
    response = Response.objects.get(respondent=respondent)
    assert response.submitted_at is None
    answers = {i.code: _valid(i.scale) for i in services.response_items(response) if i.required}
    services.response_save_page(respondent=respondent, answers=answers, page=6)
    done = services.response_submit(respondent=respondent)
    assert done.submitted_at is not None
    with pytest.raises(ValidationError) as error:
        services.response_save_page(respondent=respondent, answers={"dutch_cefr": "C2"}, page=1)
    assert str(services.ERR_SUBMITTED) in error.value.messages
    assert Answer.objects.get(response=response, item_code="dutch_cefr").value == "B1"


def _valid(scale: str):
    return {
        "likert5": "somewhat_agree",
        "satisfaction5": "very_satisfied",
        "cefr": "B1",
        "yes_no": "yes",
        "work_status": ["volunteer"],
        "group_role": ["friend", "coach"],
        "number": 3,
        "text": "Fijn",
    }[scale]


def test_control_households_are_never_asked_the_questions_about_a_match(world):
    opened = _final(world)
    control, _ = next((r, t) for r, t in opened.links if r.trial_arm == "control")
    treated, _ = next(
        (r, t) for r, t in opened.links if r.trial_arm == "treatment" and r.side == "newcomer"
    )
    instrument = selectors.current_instrument(moment="final", side="newcomer")
    control_codes = {
        i.code for i in selectors.items_for(instrument=instrument, trial_arm="control")
    }
    treated_codes = {
        i.code for i in selectors.items_for(instrument=instrument, trial_arm="treatment")
    }
    assert {"dutch_cefr", "english_cefr", "work_status", "dutch_contacts_help"} <= control_codes
    assert "trust_match" in treated_codes and "trust_match" not in control_codes
    assert not any(i.concerns_match for i in instrument.items.filter(code__in=control_codes))
    # a control respondent cannot answer a match question, and can submit without them
    with pytest.raises(ValidationError):
        services.response_save_page(respondent=control, answers={"trust_match": "neutral"}, page=1)
    answers = {code: _valid(instrument.items.get(code=code).scale) for code in control_codes}
    services.response_save_page(respondent=control, answers=answers, page=2)
    done = services.response_submit(respondent=control)
    assert done.trial_arm == "control" and done.submitted_at is not None
    assert treated.trial_arm == "treatment"


def test_an_interview_is_entered_on_the_respondents_behalf_and_audited(world):
    respondent, _ = _newcomer(_midterm(world))
    response = services.response_enter_interview(
        respondent=respondent,
        answers={"trust_match": "strongly_agree", "dutch_cefr": "A2", "comments": ""},
        actor=world.coordinator,
    )
    assert response.source == "interview" and response.entered_by == world.coordinator
    assert response.submitted_at is not None
    assert dict(response.answers.values_list("item_code", "value")) == {
        "trust_match": "strongly_agree",
        "dutch_cefr": "A2",
    }
    event = AuditEvent.objects.get(action="survey.interview_entered")
    assert event.actor == world.coordinator and event.data["answered"] == [
        "dutch_cefr",
        "trust_match",
    ]


def test_an_interview_does_not_overwrite_answers_sent_through_the_link(world):
    respondent, _ = _newcomer(_midterm(world))
    services.response_enter_interview(
        respondent=respondent, answers={"dutch_cefr": "A2"}, actor=world.coordinator
    )
    with pytest.raises(ValidationError):
        services.response_enter_interview(
            respondent=respondent, answers={"dutch_cefr": "C2"}, actor=world.coordinator
        )
    assert Answer.objects.get(item_code="dutch_cefr").value == "A2"


# --- reminders and texts --------------------------------------------------------------------


def test_reminders_go_to_those_who_have_not_answered_with_a_fresh_link(world):
    opened = _midterm(world)
    _respondent, old_token = _newcomer(opened)
    answered, _ = next((r, t) for r, t in opened.links if r.side == "group_member")
    services.response_enter_interview(respondent=answered, answers={}, actor=world.coordinator)
    sent = services.wave_send_reminders(
        wave=opened.wave, actor=world.coordinator, base_url=BASE_URL
    )
    assert sent.sent == len(opened.links) - 1
    reminded = OutgoingMessage.objects.filter(purpose="survey.reminder")
    assert str(answered.pk) not in set(reminded.values_list("object_id", flat=True))
    with pytest.raises(selectors.LinkRefused):
        selectors.respondent_for_token(old_token)
    event = AuditEvent.objects.get(action="survey.reminders_sent")
    assert event.data["sent"] == sent.sent


def test_the_text_for_whatsapp_carries_a_new_working_link_in_the_respondents_language(world):
    respondent, old = _newcomer(_midterm(world))
    link, text = services.respondent_new_link(
        respondent=respondent, actor=world.coordinator, base_url=BASE_URL
    )
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert selectors.respondent_for_token(token).pk == respondent.pk
    assert link in text and "Your personal link" in text  # English, like the respondent
    with pytest.raises(selectors.LinkRefused):
        selectors.respondent_for_token(old)
    assert AuditEvent.objects.filter(action="survey.reminder_text").count() == 1


# --- versions -------------------------------------------------------------------------------


def test_changing_wording_makes_a_new_version_and_responses_keep_theirs(world):
    respondent, _ = _newcomer(_midterm(world))
    first = services.response_save_page(respondent=respondent, answers={"dutch_cefr": "A1"}, page=1)
    v1 = Instrument.objects.get(moment="midterm", side="newcomer", is_current=True)
    items = services.item_data(v1)
    items[0] = services.ItemData(
        code=items[0].code,
        scale=items[0].scale,
        text={**items[0].text, "en": "Your Dutch, as you see it"},
        concerns_match=items[0].concerns_match,
        required=items[0].required,
    )
    items.append(
        services.ItemData(
            code="feel_at_home",
            scale="likert5",
            text={"en": "I feel at home here.", "nl": "Ik voel mij hier thuis."},
        )
    )
    v2 = services.instrument_new_version(
        moment="midterm", side="newcomer", items=items, actor=world.coordinator, note="wording"
    )
    v1.refresh_from_db()
    assert (v2.version, v2.is_current, v1.is_current) == (2, True, False)
    assert v1.items.get(code="dutch_cefr").text["en"] != "Your Dutch, as you see it"
    assert v2.items.filter(code="feel_at_home").exists()
    first.refresh_from_db()
    assert first.instrument == v1  # the response keeps the version it answered
    assert AuditEvent.objects.filter(action="survey.instrument_version").exists()


def test_a_new_version_needs_dutch_and_english_wording_known_scales_and_a_change(world):
    v1 = Instrument.objects.get(moment="final", side="group_member")
    items = services.item_data(v1)
    with pytest.raises(ValidationError):
        services.instrument_new_version(
            moment="final", side="group_member", items=items, actor=None
        )
    bad = [*items, services.ItemData(code="x", scale="stars", text={"en": "?", "nl": "?"})]
    with pytest.raises(ValidationError) as error:
        services.instrument_new_version(moment="final", side="group_member", items=bad, actor=None)
    assert "stars" in error.value.messages[0]
    bad = [*items, services.ItemData(code="x", scale="yes_no", text={"en": "Only English"})]
    with pytest.raises(ValidationError) as error:
        services.instrument_new_version(moment="final", side="group_member", items=bad, actor=None)
    assert "nl" in error.value.messages[0]
    assert Instrument.objects.filter(moment="final", side="group_member").count() == 1
