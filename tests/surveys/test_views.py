"""Survey pages: who may open what, the personal-link pages, completion, reminders, interviews."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_programme
from tests.surveys.conftest import BASE_URL
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.services import user_create
from welcomematch.mail.models import OutgoingMessage
from welcomematch.surveys import services
from welcomematch.surveys.models import Answer, Response, SurveyWave

ROLES = (Role.ADMINISTRATOR, Role.COORDINATOR, Role.AMBASSADOR, Role.RESEARCHER)


@pytest.fixture
def users(world):
    made = {Role.COORDINATOR: world.coordinator}
    for role in ROLES:
        if role not in made:
            made[role] = user_create(
                username=f"{role.value}-u", password=PASSWORD, role=role, programme=world.programme
            )
    other = make_programme(name="Elders", slug="elders")
    made["other coordinator"] = user_create(
        username="other-coordinator", password=PASSWORD, role=Role.COORDINATOR, programme=other
    )
    return made


@pytest.fixture
def opened(world):
    return services.wave_open(
        programme=world.programme, moment="midterm", actor=world.coordinator, base_url=BASE_URL
    )


def client_for(users, who):
    client = Client()
    if who is not None:
        client.force_login(users[who])
    return client


def _newcomer(opened):
    return next((r, t) for r, t in opened.links if r.side == "newcomer")


# --- who may open what ----------------------------------------------------------------------

#: Expected status per visitor: anonymous → login page; coordinators of another programme
#: see nothing of this one (404); ambassadors and researchers are refused (403).
MANAGER_ONLY = {
    None: 302,
    Role.AMBASSADOR: 403,
    Role.RESEARCHER: 403,
    "other coordinator": 404,
    Role.COORDINATOR: 200,
    Role.ADMINISTRATOR: 200,
}


def _urls(opened):
    respondent, _ = _newcomer(opened)
    return {
        "index": ("get", reverse("surveys:index"), {}),
        "wave": ("get", reverse("surveys:wave", args=[opened.wave.pk]), {}),
        "reminders": ("post", reverse("surveys:reminders", args=[opened.wave.pk]), {}),
        "text": ("post", reverse("surveys:respondent_text", args=[respondent.pk]), {}),
        "interview": ("get", reverse("surveys:interview", args=[respondent.pk]), {}),
    }


@pytest.mark.parametrize("view", ["index", "wave", "reminders", "text", "interview"])
def test_who_may_open_each_coordinator_view(world, users, opened, view):
    method, url, data = _urls(opened)[view]
    for who, expected in MANAGER_ONLY.items():
        if view == "index" and who == "other coordinator":
            expected = 200  # their own programme's survey page
        if view == "reminders" and expected == 200:
            expected = 302  # back to the wave
        response = getattr(client_for(users, who), method)(url, data)
        assert response.status_code == expected, (view, who)
        if who is None:
            assert response["Location"].startswith(reverse("login"))


def test_personal_link_pages_need_no_login_and_a_wrong_token_is_404(world, opened):
    _respondent, token = _newcomer(opened)
    anonymous = Client()
    assert anonymous.get(reverse("surveys:take", args=[token])).status_code == 200
    assert anonymous.get(reverse("surveys:take_page", args=[token, 1])).status_code == 200
    wrong = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    for url in (
        reverse("surveys:take", args=[wrong]),
        reverse("surveys:take_page", args=[wrong, 1]),
    ):
        response = anonymous.get(url)
        assert response.status_code == 404
        assert "cannot be used" in response.content.decode() or "niet" in response.content.decode()
    assert anonymous.post(reverse("surveys:take_page", args=[wrong, 1]), {}).status_code == 404


def test_an_expired_link_answers_410(world, opened):
    respondent, token = _newcomer(opened)
    type(respondent).objects.filter(pk=respondent.pk).update(expires_at=world.now)
    assert Client().get(reverse("surveys:take", args=[token])).status_code == 410


def test_one_respondent_cannot_see_another_ones_answers(world, opened):
    (first, first_token), (second, second_token) = [
        (r, t) for r, t in opened.links if r.side == "newcomer"
    ][:2]
    services.response_save_page(respondent=first, answers={"dutch_cefr": "C1"}, page=1)
    page = Client().get(reverse("surveys:take_page", args=[second_token, 1])).content.decode()
    assert 'value="C1" checked' not in page and "checked" not in page
    own = Client().get(reverse("surveys:take_page", args=[first_token, 1])).content.decode()
    assert re.search(r'value="C1"[^>]*checked', own)
    # the pages name no other person of the household or group
    assert second.household.contact_name not in page or second.person.relation == "main"


# --- answering through the link -------------------------------------------------------------


def _page_codes(client, token, page):
    response = client.get(reverse("surveys:take_page", args=[token, page]))
    return response.context["form"].items


def _answer(item):
    return {
        "likert5": "somewhat_agree",
        "satisfaction5": "somewhat_satisfied",
        "cefr": "A2",
        "yes_no": "yes",
        "work_status": ["part_time", "volunteer"],
        "group_role": ["friend"],
        "number": "4",
        "text": "",
    }[item.scale]


def test_pages_save_progress_then_submit_in_the_respondents_language(world, opened):
    respondent, token = _newcomer(opened)
    client = Client()
    start = client.get(reverse("surveys:take", args=[token]))
    assert start["Content-Language"] == "en" and 'lang="en"' in start.content.decode()
    assert "Start" in start.content.decode()
    pages = start.context["pages"]
    assert pages > 1  # short pages
    # page 1, then stop
    items = _page_codes(client, token, 1)
    assert len(items) <= 4
    data = {"action": "later"}
    for item in items:
        data[item.code] = _answer(item)
    response = client.post(reverse("surveys:take_page", args=[token, 1]), data)
    assert response.status_code == 302
    saved = Response.objects.get(respondent=respondent)
    assert saved.submitted_at is None and saved.answers.count() == len(items)
    # coming back continues on page 2
    again = client.get(reverse("surveys:take", args=[token]))
    assert again.context["resume"] == 2 and again.context["resumed"]
    for page in range(2, pages + 1):
        data = {"action": "submit" if page == pages else "next"}
        for item in _page_codes(client, token, page):
            data[item.code] = _answer(item)
        response = client.post(reverse("surveys:take_page", args=[token, page]), data)
        assert response.status_code == 302, response.context["form"].errors
    saved.refresh_from_db()
    assert saved.submitted_at is not None and saved.source == "web"
    assert Answer.objects.get(response=saved, item_code="work_status").value == [
        "part_time",
        "volunteer",
    ]
    done = client.get(reverse("surveys:take", args=[token]))
    assert "Your answers have been sent" in done.content.decode()


def test_a_required_question_left_blank_is_shown_again_with_a_message(world, opened):
    _respondent, token = _newcomer(opened)
    client = Client()
    response = client.post(reverse("surveys:take_page", args=[token, 1]), {"action": "next"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Response.objects.exists()


def test_the_respondent_can_switch_to_dutch(world, opened):
    respondent, token = _newcomer(opened)
    client = Client()
    client.post(
        reverse("surveys:take_language", args=[token]),
        {"language": "nl", "next": reverse("surveys:take_page", args=[token, 1])},
    )
    respondent.refresh_from_db()
    assert respondent.language == "nl"
    page = client.get(reverse("surveys:take_page", args=[token, 1])).content.decode()
    assert "Wat is uw niveau Nederlands?" in page and 'lang="nl"' in page


def test_survey_pages_have_no_inline_script_and_no_outside_urls(world, opened):
    _respondent, token = _newcomer(opened)
    for url in (
        reverse("surveys:take", args=[token]),
        reverse("surveys:take_page", args=[token, 1]),
    ):
        html = Client().get(url).content.decode()
        # no inline script: only the site's own static files
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html)
        assert not re.search(r'(src|href)="https?://', html)


# --- coordinators ---------------------------------------------------------------------------


def test_a_coordinator_opens_a_wave_for_one_city_from_the_page(world, users):
    client = client_for(users, Role.COORDINATOR)
    response = client.post(
        reverse("surveys:index"),
        {
            "moment": "midterm",
            "city": world.utrecht.pk,
            "closes_on": "2099-01-31",
            "send_invitations": "on",
            "name": "Zomer",
        },
    )
    wave = SurveyWave.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "surveys:wave", args=[wave.pk]
    )
    assert wave.city == world.utrecht and wave.opened_by == world.coordinator
    assert set(wave.respondents.values_list("city__name", flat=True)) == {"Utrecht"}
    assert OutgoingMessage.objects.filter(purpose="survey.invitation").count() == 5


def test_completion_per_side_city_and_arm_and_who_has_not_answered(world, users, opened):
    answered = [r for r, _ in opened.links if r.city == world.almere and r.side == "newcomer"]
    for respondent in answered:
        services.response_enter_interview(
            respondent=respondent, answers={"dutch_cefr": "A1"}, actor=world.coordinator
        )
    started, _ = next((r, t) for r, t in opened.links if r.city == world.utrecht)
    assert started.side == "group_member"
    services.response_save_page(respondent=started, answers={}, page=1)
    response = client_for(users, Role.COORDINATOR).get(
        reverse("surveys:wave", args=[opened.wave.pk])
    )
    completion = response.context["completion"]
    assert (completion.total.invited, completion.total.submitted) == (10, 2)
    sides = {t.key: (t.invited, t.started, t.submitted) for t in completion.sides}
    assert sides == {"group_member": (6, 1, 0), "newcomer": (4, 2, 2)}
    cities = {t.key: (t.invited, t.submitted) for t in completion.cities}
    assert cities == {"Almere": (5, 2), "Utrecht": (5, 0)}
    arms = {t.key: (t.invited, t.submitted) for t in completion.arms}
    assert arms == {"treatment": (10, 2)}
    assert len(completion.missing) == 8
    assert all(r not in completion.missing for r in answered)
    html = response.content.decode()
    assert "Per city" in html or "Per gemeente" in html


def test_reminder_button_queues_mail_and_the_text_page_shows_a_working_link(world, users, opened):
    client = client_for(users, Role.COORDINATOR)
    client.post(reverse("surveys:reminders", args=[opened.wave.pk]))
    assert OutgoingMessage.objects.filter(purpose="survey.reminder").count() == 10
    respondent, _ = _newcomer(opened)
    page = client.post(reverse("surveys:respondent_text", args=[respondent.pk]))
    link = page.context["link"]
    assert link in page.context["text"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Client().get(reverse("surveys:take", args=[token])).status_code == 200


def test_a_coordinator_enters_an_interview(world, users, opened):
    respondent, _ = _newcomer(opened)
    client = client_for(users, Role.COORDINATOR)
    form = client.get(reverse("surveys:interview", args=[respondent.pk])).context["form"]
    assert "trust_match" in form.fields and "dutch_cefr" in form.fields
    response = client.post(
        reverse("surveys:interview", args=[respondent.pk]),
        {"trust_match": "strongly_agree", "work_status": ["looking"], "dutch_contacts_help": ""},
    )
    assert response.status_code == 302
    saved = Response.objects.get(respondent=respondent)
    assert (saved.source, saved.entered_by) == ("interview", world.coordinator)
    assert dict(saved.answers.values_list("item_code", "value")) == {
        "trust_match": "strongly_agree",
        "work_status": ["looking"],
    }
    assert AuditEvent.objects.filter(action="survey.interview_entered").exists()


def test_an_interview_with_too_many_roles_is_refused_naming_the_question(world, users, opened):
    respondent, _ = _newcomer(opened)
    client = client_for(users, Role.COORDINATOR)
    response = client.post(
        reverse("surveys:interview", args=[respondent.pk]),
        {"group_role": ["friend", "coach", "buddy", "teacher"]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["group_role"]
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("coordinator_language", "respondent_language"), [("nl", "en"), ("en", "nl")]
)
def test_the_whatsapp_text_is_in_the_respondents_language_not_the_coordinators(
    world, users, opened, coordinator_language, respondent_language
):
    from django.utils import translation

    respondent, _ = _newcomer(opened)
    services.respondent_set_language(respondent=respondent, language=respondent_language)
    client = client_for(users, Role.COORDINATOR)
    client.cookies["django_language"] = coordinator_language
    with translation.override(coordinator_language):
        page = client.post(reverse("surveys:respondent_text", args=[respondent.pk]))
    text = page.context["text"]
    if respondent_language == "en":
        assert "Your personal link" in text and "Uw persoonlijke link" not in text
    else:
        assert "Your personal link" not in text
    assert f'lang="{respondent_language}"' in page.content.decode()


def test_the_survey_page_pages_the_waves_with_their_total(world, users, opened, monkeypatch):
    from welcomematch.surveys import views

    monkeypatch.setattr(views, "WAVE_PAGE_SIZE", 1)
    response = client_for(users, Role.COORDINATOR).get(reverse("surveys:index"))
    assert response.context["page"].paginator.count == 1
    assert "1 ronde<" in response.content.decode()
