"""Match pages: who may open them, and that every POST goes through the real services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.services import user_create
from welcomematch.intake.models import Exclusion
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import CheckIn, CulturalAmbassador, JointGoal, Match, MatchStatus
from welcomematch.matching import services as matching

pytestmark = pytest.mark.django_db

ROLES = (Role.RESEARCHER, Role.AMBASSADOR, Role.COORDINATOR, Role.ADMINISTRATOR)
#: Reading a match: managers, and the ambassador assigned to it.
READ_OWN = {
    None: 302,
    Role.RESEARCHER: 403,
    Role.AMBASSADOR: 200,
    Role.COORDINATOR: 200,
    Role.ADMINISTRATOR: 200,
}
READ_OTHER = READ_OWN | {Role.AMBASSADOR: 403}
#: A first meeting a month ahead, as the form sends it.
SOON = (timezone.localtime() + timedelta(days=30)).replace(hour=19, minute=30)
SOON_TEXT = SOON.strftime("%Y-%m-%dT%H:%M")
#: Today, as the check-in form sends it.
TODAY_TEXT = timezone.localdate().isoformat()

#: Changing a match (other than a check-in): managers only; they are redirected to the match.
MANAGE = {None: 302, Role.RESEARCHER: 403, Role.AMBASSADOR: 403}


@pytest.fixture
def world() -> dict[str, Any]:
    programme = make_programme()
    city = make_city(programme)
    users = {
        role: user_create(
            username=f"{role.value}-user", password=PASSWORD, role=role, programme=programme
        )
        for role in ROLES
    }
    coordinator = users[Role.COORDINATOR]
    make_group(city, willingness=2, experience=2, name="De Buren")
    make_group(city, willingness=2, experience=2, name="De Vrienden", lat=52.3701)
    make_household(city, languages=["ar"], contact_name="Amal", contact_phone="0612345678")
    make_household(
        city, languages=["ti"], persons=[PersonData(relation="main", age=40, gender="man")]
    )
    rnd = matching.round_create(
        programme=programme, name="R", actor=coordinator, control_arm=False, seed=5
    )
    matching.round_confirm(
        round=matching.round_run(round=rnd, actor=coordinator), actor=coordinator
    )
    own, other = Match.objects.order_by("household__reference")
    ambassador = CulturalAmbassador.objects.create(
        programme=programme, name="Samira", languages=["nl", "ar"], user=users[Role.AMBASSADOR]
    )
    ambassador.cities.add(city)
    lifecycle.match_assign_ambassador(match=own, ambassador=ambassador, actor=coordinator)
    return {
        "programme": programme,
        "city": city,
        "users": users,
        "coordinator": coordinator,
        "own": own,
        "other": other,
        "ambassador": ambassador,
    }


def client_for(world: dict[str, Any], role: Role | None) -> Client:
    client = Client()
    if role is not None:
        client.force_login(world["users"][role])
    return client


def assert_access(world, url, table, method="get", data=None):
    for role, expected in table.items():
        response = getattr(client_for(world, role), method)(url, data or {})
        assert response.status_code == expected, (role, url, response.status_code)
        if role is None:
            assert response["Location"].startswith(reverse("login"))


def test_match_list_is_for_managers_and_ambassadors(world):
    assert_access(world, reverse("lifecycle:match_list"), READ_OWN)


def test_ambassador_sees_only_the_matches_assigned_to_them(world):
    response = client_for(world, Role.AMBASSADOR).get(reverse("lifecycle:match_list"))
    assert list(response.context["matches"]) == [world["own"]]
    manager = client_for(world, Role.COORDINATOR).get(reverse("lifecycle:match_list"))
    assert set(manager.context["matches"]) == {world["own"], world["other"]}


def test_match_detail_is_for_managers_and_the_assigned_ambassador(world):
    assert_access(world, reverse("lifecycle:match_detail", args=[world["own"].pk]), READ_OWN)
    assert_access(world, reverse("lifecycle:match_detail", args=[world["other"].pk]), READ_OTHER)


def test_ambassador_view_shows_no_sensitive_household_data(world):
    html = (
        client_for(world, Role.AMBASSADOR)
        .get(reverse("lifecycle:match_detail", args=[world["own"].pk]))
        .content.decode()
    )
    assert world["own"].household.reference in html
    assert "0612345678" not in html
    assert "Support level" not in html and "Ondersteuningsniveau" not in html
    assert f"/households/{world['own'].household.pk}/" not in html
    assert reverse("lifecycle:match_start", args=[world["own"].pk]) not in html
    manager = (
        client_for(world, Role.COORDINATOR)
        .get(reverse("lifecycle:match_detail", args=[world["own"].pk]))
        .content.decode()
    )
    assert f"/households/{world['own'].household.pk}/" in manager
    assert f"/groups/{world['own'].group.pk}/" in manager


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("match_first_meeting", {"when": SOON_TEXT}),
        ("match_start", {}),
        ("match_complete", {}),
        ("match_end", {"reason": "moved", "note": "Verhuisd naar Utrecht."}),
        ("match_ambassador", {"ambassador": ""}),
        ("goal_add", {"goal": "language"}),
    ],
)
def test_only_managers_may_change_a_match(world, name, data):
    url = reverse(f"lifecycle:{name}", args=[world["own"].pk])
    assert_access(world, url, MANAGE, method="post", data=data)
    own = Match.objects.get(pk=world["own"].pk)
    assert own.status == MatchStatus.PROPOSED
    assert own.ambassador == world["ambassador"]
    assert not JointGoal.objects.exists()


def test_plan_first_meeting_then_start_then_complete(world):
    client = client_for(world, Role.COORDINATOR)
    pk = world["own"].pk
    client.post(reverse("lifecycle:match_first_meeting", args=[pk]), {"when": SOON_TEXT})
    match = Match.objects.get(pk=pk)
    assert match.status == MatchStatus.INTRODUCED
    assert timezone.localtime(match.first_meeting_at).strftime("%Y-%m-%dT%H:%M") == SOON_TEXT
    client.post(reverse("lifecycle:match_start", args=[pk]))
    assert Match.objects.get(pk=pk).status == MatchStatus.ACTIVE
    client.post(reverse("lifecycle:match_complete", args=[pk]))
    assert Match.objects.get(pk=pk).status == MatchStatus.COMPLETED
    actions = set(
        AuditEvent.objects.filter(object_type="lifecycle.match", object_id=str(pk)).values_list(
            "action", flat=True
        )
    )
    assert {"match.introduced", "match.active", "match.completed"} <= actions


def test_a_missing_first_meeting_date_is_shown_on_the_form(world):
    response = client_for(world, Role.COORDINATOR).post(
        reverse("lifecycle:match_first_meeting", args=[world["own"].pk]), {"when": ""}
    )
    assert response.status_code == 400
    assert response.context["first_meeting_form"].errors
    assert Match.objects.get(pk=world["own"].pk).status == MatchStatus.PROPOSED


def test_ending_a_match_records_the_reason_and_excludes_the_pair(world):
    pk = world["own"].pk
    response = client_for(world, Role.COORDINATOR).post(
        reverse("lifecycle:match_end", args=[pk]),
        {"reason": "expectations_contact", "note": "De groep zocht vooral praktische hulp."},
        follow=True,
    )
    match = Match.objects.get(pk=pk)
    assert match.status == MatchStatus.ENDED
    assert match.end_reason == "expectations_contact"
    assert Exclusion.objects.filter(group=match.group, household=match.household).exists()
    assert response.status_code == 200
    assert reverse("lifecycle:checkin_add", args=[pk]) not in response.content.decode()


def test_ending_without_a_reason_is_refused_with_the_form(world):
    response = client_for(world, Role.COORDINATOR).post(
        reverse("lifecycle:match_end", args=[world["own"].pk]), {"reason": "", "note": "x"}
    )
    assert response.status_code == 400
    assert "reason" in response.context["end_form"].errors
    assert not Exclusion.objects.exists()


def test_an_ended_match_cannot_be_started(world):
    lifecycle.match_end(match=world["own"], reason="moved", note="", actor=None)
    response = client_for(world, Role.COORDINATOR).post(
        reverse("lifecycle:match_start", args=[world["own"].pk]), follow=True
    )
    assert Match.objects.get(pk=world["own"].pk).status == MatchStatus.ENDED
    assert [str(m) for m in response.context["messages"]]


def test_the_assigned_ambassador_records_a_check_in(world):
    pk = world["own"].pk
    response = client_for(world, Role.AMBASSADOR).post(
        reverse("lifecycle:checkin_add", args=[pk]),
        {
            "held_on": TODAY_TEXT,
            "mode": "visit",
            "meetings_since_last": "3",
            "satisfaction": "4",
            "notes": "Goed gesprek.",
            "concern": "on",
        },
    )
    assert response.status_code == 302
    checkin = CheckIn.objects.get(match_id=pk)
    assert (checkin.mode, checkin.satisfaction, checkin.concern) == ("visit", 4, True)
    assert checkin.author == world["users"][Role.AMBASSADOR]
    assert AuditEvent.objects.filter(action="match.checkin", object_id=str(pk)).exists()


def test_check_ins_on_other_matches_are_refused(world):
    url = reverse("lifecycle:checkin_add", args=[world["other"].pk])
    data = {"held_on": TODAY_TEXT, "mode": "call"}
    assert_access(world, url, {None: 302, Role.RESEARCHER: 403, Role.AMBASSADOR: 403}, "post", data)
    assert client_for(world, Role.COORDINATOR).post(url, data).status_code == 302
    assert CheckIn.objects.filter(match=world["other"]).count() == 1


def test_assign_an_ambassador_from_the_suggestions(world):
    client = client_for(world, Role.COORDINATOR)
    page = client.get(reverse("lifecycle:match_detail", args=[world["other"].pk]))
    assert page.context["suggestion"] is None  # nobody speaks Tigrinya
    assert "Tigrinya" in page.context["no_suggestion"]
    yohannes = CulturalAmbassador.objects.create(
        programme=world["programme"], name="Yohannes", languages=["nl", "ti"]
    )
    page = client.get(reverse("lifecycle:match_detail", args=[world["other"].pk]))
    assert page.context["suggestion"]["row"].ambassador == yohannes
    client.post(
        reverse("lifecycle:match_ambassador", args=[world["other"].pk]),
        {"ambassador": yohannes.pk},
    )
    assert Match.objects.get(pk=world["other"].pk).ambassador == yohannes


def test_a_full_ambassador_is_refused_with_a_message(world):
    full = CulturalAmbassador.objects.create(
        programme=world["programme"], name="Vol", languages=["nl", "ti"], capacity=1
    )
    lifecycle.match_assign_ambassador(match=world["own"], ambassador=full, actor=None)
    response = client_for(world, Role.COORDINATOR).post(
        reverse("lifecycle:match_ambassador", args=[world["other"].pk]), {"ambassador": full.pk}
    )
    assert response.status_code == 400
    assert response.context["ambassador_form"].errors
    assert Match.objects.get(pk=world["other"].pk).ambassador is None


def test_add_a_joint_goal_and_change_its_status(world):
    client = client_for(world, Role.COORDINATOR)
    pk = world["own"].pk
    client.post(
        reverse("lifecycle:goal_add", args=[pk]),
        {"goal": "language", "description": "Elke week Nederlands oefenen", "target_date": ""},
    )
    goal = JointGoal.objects.get(match_id=pk)
    assert (goal.goal, goal.status) == ("language", JointGoal.Status.PLANNED)
    client.post(
        reverse("lifecycle:goal_status", args=[pk, goal.pk]), {f"goal{goal.pk}-status": "achieved"}
    )
    goal.refresh_from_db()
    assert goal.status == JointGoal.Status.ACHIEVED
    assert AuditEvent.objects.filter(action="match.goal_status", object_id=str(pk)).exists()
    ambassador = client_for(world, Role.AMBASSADOR).post(
        reverse("lifecycle:goal_status", args=[pk, goal.pk]), {f"goal{goal.pk}-status": "dropped"}
    )
    assert ambassador.status_code == 403


def test_needs_attention_means_a_concern_or_no_check_in_for_five_weeks(world):
    client = client_for(world, Role.COORDINATOR)
    url = reverse("lifecycle:match_list")
    assert list(client.get(url, {"attention": "on"}).context["matches"]) == []
    lifecycle.checkin_record(
        match=world["own"], held_on=timezone.localdate(), actor=None, concern=True
    )
    # The other match was made two months ago.
    Match.objects.filter(pk=world["other"].pk).update(
        proposed_at=timezone.now() - timedelta(days=60)
    )
    lifecycle.checkin_record(
        match=world["other"], held_on=timezone.localdate() - timedelta(days=40), actor=None
    )
    flagged = client.get(url, {"attention": "on"}).context["matches"]
    assert set(flagged) == {world["own"], world["other"]}
    lifecycle.checkin_record(match=world["own"], held_on=timezone.localdate(), actor=None)
    flagged = client.get(url, {"attention": "on"}).context["matches"]
    assert list(flagged) == [world["other"]]


def test_filter_by_status_and_city(world):
    lifecycle.match_plan_first_meeting(match=world["own"], when=timezone.now(), actor=None)
    client = client_for(world, Role.COORDINATOR)
    url = reverse("lifecycle:match_list")
    assert list(client.get(url, {"status": "introduced"}).context["matches"]) == [world["own"]]
    elsewhere = make_city(world["programme"], name="Haarlem")
    assert list(client.get(url, {"city": elsewhere.pk}).context["matches"]) == []
    assert len(client.get(url, {"city": world["city"].pk}).context["matches"]) == 2


def test_a_coordinator_of_another_programme_cannot_open_the_match(world):
    outsider = user_create(
        username="elsewhere",
        password=PASSWORD,
        role=Role.COORDINATOR,
        programme=make_programme(name="Ander", slug="ander"),
    )
    client = Client()
    client.force_login(outsider)
    # Another programme's match is not revealed: not found, not forbidden.
    assert client.get(reverse("lifecycle:match_detail", args=[world["own"].pk])).status_code == 404
    assert list(client.get(reverse("lifecycle:match_list")).context["matches"]) == []


def test_match_list_is_paged_and_counts_every_match(world, monkeypatch):
    monkeypatch.setattr("welcomematch.lifecycle.views.MATCH_PAGE_SIZE", 1)
    client = client_for(world, Role.COORDINATOR)
    url = reverse("lifecycle:match_list")
    first = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    second = client.get(url, {"page": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(first.context["matches"]) == len(second.context["matches"]) == 1
    assert {*first.context["matches"], *second.context["matches"]} == {
        world["own"],
        world["other"],
    }
    assert first.context["page"].paginator.num_pages == 2
    html = first.content.decode()
    assert "2 matches found" in html
    assert 'rel="next"' in html and "page=2" in html
    # A filter keeps its value on the next page; a page past the end shows the last one.
    assert "status=proposed" in client.get(url, {"status": "proposed"}).content.decode()
    assert client.get(url, {"page": 99}).context["page"].number == 2


def test_match_list_speaks_dutch_by_default(world):
    client = client_for(world, Role.COORDINATOR)
    html = client.get(reverse("lifecycle:match_list")).content.decode()
    assert "2 matches gevonden" in html
