"""Round pages: who may open them, and that every POST goes through the real services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.services import user_create
from welcomematch.core.roundfile import loads_result, loads_round
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.matching import services
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.trial.models import ControlAssignment

pytestmark = pytest.mark.django_db

NEAR = (52.3700, 5.2200)
NEAR_2 = (52.3750, 5.2340)
FAR = (51.9244, 4.4777)
ROLES = (Role.RESEARCHER, Role.AMBASSADOR, Role.COORDINATOR, Role.ADMINISTRATOR)
#: The "who may open this URL" table of every round page: managers only.
MANAGERS_ONLY = {
    None: 302,
    Role.RESEARCHER: 403,
    Role.AMBASSADOR: 403,
    Role.COORDINATOR: 200,
    Role.ADMINISTRATOR: 200,
}


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
    group = make_group(city, lat=NEAR[0], lon=NEAR[1], willingness=2, experience=2)
    first = make_household(city, lat=NEAR_2[0], lon=NEAR_2[1], contact_name="Amal")
    second = make_household(
        city,
        contact_name="Bashir",
        persons=[PersonData(relation="main", age=40, gender="man")],
    )
    far = make_household(city, lat=FAR[0], lon=FAR[1], contact_name="Dawit")
    return {
        "programme": programme,
        "city": city,
        "users": users,
        "coordinator": users[Role.COORDINATOR],
        "group": group,
        "households": (first, second),
        "far": far,
    }


def client_for(world: dict[str, Any], role: Role | None) -> Client:
    client = Client()
    if role is not None:
        client.force_login(world["users"][role])
    return client


def proposed_round(world: dict[str, Any], **kw: Any) -> MatchingRound:
    kw.setdefault("control_arm", True)
    kw.setdefault("seed", 11)
    rnd = services.round_create(
        programme=world["programme"], name="Ronde 1", actor=world["coordinator"], **kw
    )
    return services.round_run(round=rnd, actor=world["coordinator"])


def assert_access(world: dict[str, Any], url: str, table: dict[Role | None, int]) -> None:
    for role, expected in table.items():
        response = client_for(world, role).get(url)
        assert response.status_code == expected, (role, url, response.status_code)
        if role is None:
            assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize(
    "name", ["round_list", "round_create", "round_detail", "round_confirm", "round_input"]
)
def test_only_managers_may_open_round_pages(world, name):
    rnd = proposed_round(world)
    args = [] if name in ("round_list", "round_create") else [rnd.pk]
    assert_access(world, reverse(f"matching:{name}", args=args), MANAGERS_ONLY)


@pytest.mark.parametrize("name", ["round_run", "round_confirm", "round_cancel"])
@pytest.mark.parametrize("role", [None, Role.RESEARCHER, Role.AMBASSADOR])
def test_only_managers_may_post_to_round_actions(world, name, role):
    rnd = proposed_round(world)
    response = client_for(world, role).post(reverse(f"matching:{name}", args=[rnd.pk]))
    assert response.status_code == (302 if role is None else 403)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    assert not Match.objects.exists()


def test_new_round_form_shows_who_is_ready_and_creates_a_draft_with_a_drawn_seed(world):
    client = client_for(world, Role.COORDINATOR)
    page = client.get(reverse("matching:round_create"))
    readiness = page.context["readiness"]
    assert readiness[-1] == {"city": None, "groups": 1, "households": 3, "problems": []}
    assert page.context["form"]["control_arm"].initial is True
    assert page.context["form"]["max_distance_km"].initial == world["programme"].max_distance_km

    response = client.post(
        reverse("matching:round_create"),
        {
            "name": "Ronde Almere",
            "city": world["city"].pk,
            "max_distance_km": "5",
            "mechanism": "optimal",
            "control_arm": "on",
            "seed": "",
        },
    )
    rnd = MatchingRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:round_detail", args=[rnd.pk])
    assert (rnd.status, rnd.city, rnd.control_arm) == (RoundStatus.DRAFT, world["city"], True)
    assert rnd.seed is not None
    assert AuditEvent.objects.filter(action="round.created", object_id=str(rnd.pk)).exists()
    detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    notices = [str(m) for m in detail.context["messages"]]
    assert notices == ["Ronde aangemaakt. Controleer wie meedoet en voer de ronde daarna uit."]
    assert [g.reference for g in detail.context["ready_groups"]] == [world["group"].reference]


def test_the_new_round_forms_seed_is_for_researchers_only_and_optional(world):
    html = client_for(world, Role.COORDINATOR).get(reverse("matching:round_create")).content
    html = html.decode()
    details = html.split('<details class="for-researchers" id="seed-details">')[1]
    assert 'name="seed"' in details.split("</details>")[0]
    assert html.count('name="seed"') == 1


def test_a_round_can_be_limited_to_participants_picked_on_the_form(world):
    client = client_for(world, Role.COORDINATOR)
    page = client.get(reverse("matching:round_create")).content.decode()
    assert f"{world['group'].reference} {world['group'].name} (Almere)" in page
    response = client.post(
        reverse("matching:round_create"),
        {
            "name": "Alleen Amal",
            "max_distance_km": "5",
            "mechanism": "optimal",
            "seed": "3",
            "groups": [world["group"].pk],
            "households": [world["households"][0].pk],
        },
    )
    assert response.status_code == 302
    rnd = MatchingRound.objects.get()
    assert list(rnd.selected_households.all()) == [world["households"][0]]
    client.post(reverse("matching:round_run", args=[rnd.pk]))
    rnd.refresh_from_db()
    assert [h["id"] for h in rnd.round_file["households"]] == [world["households"][0].reference]


def test_stable_mechanism_with_control_arm_is_refused_on_the_form(world):
    response = client_for(world, Role.COORDINATOR).post(
        reverse("matching:round_create"),
        {"name": "R", "max_distance_km": "5", "mechanism": "stable", "control_arm": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not MatchingRound.objects.exists()


def test_running_a_round_shows_pairs_with_control_and_explains_the_unmatched(world):
    client = client_for(world, Role.COORDINATOR)
    client.cookies["django_language"] = "en"
    rnd = services.round_create(
        programme=world["programme"], name="R", actor=world["coordinator"], seed=3
    )
    response = client.post(reverse("matching:round_run", args=[rnd.pk]))
    assert response.status_code == 302
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    assert AuditEvent.objects.filter(action="round.run", object_id=str(rnd.pk)).exists()

    page = client.get(reverse("matching:round_detail", args=[rnd.pk]))
    html = page.content.decode()
    (row,) = page.context["pairs"]
    assert row.group == world["group"]
    assert {row.household, row.control} == set(world["households"])
    assert "choice" in row.group_choice or row.group_choice == "not ranked"
    (unmatched,) = page.context["unmatched_households"]
    assert unmatched["who"] == world["far"]
    assert unmatched["reason"] == "no_partner_in_range"
    assert "No group ready to match lives within the maximum distance" in html
    assert page.context["summary"]["controls"] == 1
    # Running again keeps the seed and the result.
    client.post(reverse("matching:round_run", args=[rnd.pk]))
    assert AuditEvent.objects.filter(action="round.rerun", object_id=str(rnd.pk)).exists()
    again = client.get(reverse("matching:round_detail", args=[rnd.pk]))
    assert again.context["pairs"] == page.context["pairs"]


def test_unmatched_reason_is_explained_in_dutch_by_default(world):
    rnd = proposed_round(world)
    html = (
        client_for(world, Role.COORDINATOR)
        .get(reverse("matching:round_detail", args=[rnd.pk]))
        .content.decode()
    )
    assert "Geen groep die klaar is om te matchen woont binnen de maximale afstand" in html
    assert "Voorgestelde paren" in html


def test_why_not_explains_a_pair_that_is_too_far_apart(world):
    rnd = proposed_round(world)
    client = client_for(world, Role.COORDINATOR)
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("matching:round_detail", args=[rnd.pk]),
        {"group": world["group"].reference, "household": world["far"].reference},
    )
    sentences = " ".join(response.context["why_sentences"])
    assert world["far"].reference in sentences
    assert "more than the maximum of 5.0 km in this round, so they cannot be paired" in sentences


def test_why_not_names_the_control_household_and_the_coin(world):
    rnd = proposed_round(world)
    proposal = rnd.proposals.get(role="control")
    client = client_for(world, Role.COORDINATOR)
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("matching:round_detail", args=[rnd.pk]),
        {"group": world["group"].reference, "household": proposal.household.reference},
    )
    assert "is the control household of" in " ".join(response.context["why_sentences"])


def test_confirm_asks_first_then_creates_matches_and_control_assignments(world):
    rnd = proposed_round(world)
    client = client_for(world, Role.COORDINATOR)
    ask = client.get(reverse("matching:round_confirm", args=[rnd.pk]))
    assert ask.status_code == 200
    assert (ask.context["matches"], ask.context["controls"]) == (1, 1)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED  # looking is not confirming

    response = client.post(reverse("matching:round_confirm", args=[rnd.pk]))
    assert response.status_code == 302
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CONFIRMED
    match = Match.objects.get(round=rnd)
    assert match.status == MatchStatus.PROPOSED
    control = ControlAssignment.objects.get(round=rnd)
    assert control.treatment_household == match.household
    assert {match.household, control.household} == set(world["households"])
    assert AuditEvent.objects.filter(action="round.confirmed", object_id=str(rnd.pk)).exists()


def test_a_confirmed_round_shows_no_mutating_buttons_and_refuses_every_post(world):
    rnd = proposed_round(world)
    services.round_confirm(round=rnd, actor=world["coordinator"])
    client = client_for(world, Role.COORDINATOR)
    page = client.get(reverse("matching:round_detail", args=[rnd.pk]))
    html = page.content.decode()
    for name in ("round_run", "round_confirm", "round_cancel"):
        assert reverse(f"matching:{name}", args=[rnd.pk]) not in html
    events = AuditEvent.objects.count()
    for name in ("round_run", "round_confirm", "round_cancel"):
        response = client.post(reverse(f"matching:{name}", args=[rnd.pk]), follow=True)
        assert response.status_code == 200
        assert any(
            "confirmed" in str(m).lower() or "bevestigd" in str(m).lower()
            for m in response.context["messages"]
        )
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CONFIRMED
    assert Match.objects.filter(round=rnd).count() == 1
    assert ControlAssignment.objects.filter(round=rnd).count() == 1
    assert AuditEvent.objects.count() == events
    # The confirmation page itself is not offered for a confirmed round.
    assert client.get(reverse("matching:round_confirm", args=[rnd.pk])).status_code == 302


def test_cancel_records_the_reason_and_makes_nobody_a_match(world):
    rnd = proposed_round(world)
    client_for(world, Role.COORDINATOR).post(
        reverse("matching:round_cancel", args=[rnd.pk]), {"reason": "Verkeerde stad"}
    )
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.CANCELLED
    event = AuditEvent.objects.get(action="round.cancelled", object_id=str(rnd.pk))
    assert event.data["reason"] == "Verkeerde stad"
    assert not Match.objects.exists()


def test_downloads_are_the_contract_files_as_attachments(world):
    rnd = proposed_round(world)
    client = client_for(world, Role.COORDINATOR)
    source = client.get(reverse("matching:round_input", args=[rnd.pk]))
    assert source["Content-Disposition"] == f'attachment; filename="round-{rnd.pk}-input.json"'
    assert source["Content-Type"].startswith("application/json")
    core_round = loads_round(source.content.decode())
    assert {g.id for g in core_round.groups} == {world["group"].reference}
    result = client.get(reverse("matching:round_result", args=[rnd.pk]))
    assert result["Content-Disposition"] == f'attachment; filename="round-{rnd.pk}-result.json"'
    parsed = loads_result(result.content.decode())
    assert len(parsed.matches) == 1 and len(parsed.controls) == 1


def test_a_draft_round_has_nothing_to_download(world):
    rnd = services.round_create(programme=world["programme"], name="R", actor=None)
    client = client_for(world, Role.COORDINATOR)
    assert client.get(reverse("matching:round_input", args=[rnd.pk])).status_code == 404


def test_running_without_ready_households_says_so_and_stores_nothing(world):
    programme = make_programme(name="Leeg", slug="leeg")
    make_group(make_city(programme, name="Haarlem"))
    coordinator = user_create(
        username="c2", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    rnd = services.round_create(programme=programme, name="R", actor=coordinator)
    client = Client()
    client.force_login(coordinator)
    response = client.post(reverse("matching:round_run", args=[rnd.pk]), follow=True)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT
    assert [str(m) for m in response.context["messages"]]


def test_a_round_of_another_programme_is_not_found(world):
    other = make_programme(name="Ander", slug="ander")
    rnd = services.round_create(programme=other, name="R", actor=None)
    response = client_for(world, Role.COORDINATOR).get(
        reverse("matching:round_detail", args=[rnd.pk])
    )
    assert response.status_code == 404


def test_a_draft_limited_to_selected_participants_previews_only_those(world):
    first, _second = world["households"]
    rnd = services.round_create(
        programme=world["programme"],
        name="R",
        actor=world["coordinator"],
        households=[first],
    )
    page = client_for(world, Role.COORDINATOR).get(reverse("matching:round_detail", args=[rnd.pk]))
    assert list(page.context["ready_households"]) == [first]
    assert list(page.context["ready_groups"]) == [world["group"]]
