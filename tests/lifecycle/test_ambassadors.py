"""Cultural ambassadors and contact persons managed by coordinators; suggestions for all
matches without an ambassador at once (the core's assignment), accepted or changed and saved
in one go; the load page. States are reached through the real services."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.browser.test_intake_flows import seed_categories
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import selectors
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import ContactPerson, CulturalAmbassador, Match

pytestmark = pytest.mark.django_db

ROLES = (Role.RESEARCHER, Role.AMBASSADOR, Role.COORDINATOR, Role.ADMINISTRATOR)
MANAGERS_ONLY = {
    None: 302,
    Role.RESEARCHER: 403,
    Role.AMBASSADOR: 403,
    Role.COORDINATOR: 200,
    Role.ADMINISTRATOR: 200,
}


@pytest.fixture
def world() -> dict[str, Any]:
    """Almere: an Arabic-speaking household (match 1), a Tigrinya one (match 2), one that
    declines an ambassador (match 3); Haarlem: an Arabic-speaking household (match 4)."""
    seed_categories()  # after a transactional test flushed the seeded lists
    programme = make_programme()
    almere = make_city(programme, "Almere")
    haarlem = make_city(programme, "Haarlem")
    users = {
        role: user_create(
            username=f"{role.value}-user", password=PASSWORD, role=role, programme=programme
        )
        for role in ROLES
    }
    coordinator = users[Role.COORDINATOR]
    matches = []
    for i, (city, languages, wants) in enumerate(
        [
            (almere, ["ar", "nl"], True),
            (almere, ["ti"], True),
            (almere, ["ar"], False),
            (haarlem, ["ar"], True),
        ]
    ):
        group = make_group(city, name=f"Groep {i}", willingness=2, experience=2)
        household = make_household(
            city, languages=languages, contact_name=f"H{i}", wants_ambassador=wants
        )
        matches.append(
            lifecycle.match_create(group=group, household=household, reason="test", actor=None)
        )
    samira = lifecycle.ambassador_create(
        programme=programme,
        data=lifecycle.HelperData(
            name="Samira",
            languages=("ar",),
            cities=(almere,),
            capacity=2,
            user=users[Role.AMBASSADOR],
        ),
        actor=coordinator,
    )
    farid = lifecycle.ambassador_create(
        programme=programme,
        data=lifecycle.HelperData(name="Farid", languages=("ar",), cities=(haarlem,), capacity=1),
        actor=coordinator,
    )
    return {
        "programme": programme,
        "almere": almere,
        "haarlem": haarlem,
        "users": users,
        "coordinator": coordinator,
        "matches": matches,
        "samira": samira,
        "farid": farid,
    }


def client_for(world: dict[str, Any], role: Role | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role is not None:
        client.force_login(world["users"][role])
    return client


def assert_access(world: dict[str, Any], url: str, table: dict[Any, int]) -> None:
    for role, expected in table.items():
        response = client_for(world, role).get(url)
        assert response.status_code == expected, (role, url, response.status_code)


# --- who may open what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ambassador_list",
        "ambassador_new",
        "ambassador_suggest",
        "contact_person_list",
        "contact_person_new",
        "waiting_times",
    ],
)
def test_ambassador_contact_person_and_waiting_pages_are_for_managers_only(world, name):
    assert_access(world, reverse(f"lifecycle:{name}"), MANAGERS_ONLY)


def test_an_ambassadors_load_page_is_for_managers_and_that_ambassador(world):
    own = reverse("lifecycle:ambassador_load", args=[world["samira"].pk])
    other = reverse("lifecycle:ambassador_load", args=[world["farid"].pk])
    assert_access(world, own, MANAGERS_ONLY | {Role.AMBASSADOR: 200})
    assert_access(world, other, MANAGERS_ONLY)
    assert_access(
        world, reverse("lifecycle:ambassador_edit", args=[world["samira"].pk]), MANAGERS_ONLY
    )


def test_a_coordinator_of_another_programme_cannot_edit_or_see_the_load(world):
    elsewhere = make_programme("Elders", "elders")
    stranger = user_create(
        username="stranger", password=PASSWORD, role=Role.COORDINATOR, programme=elsewhere
    )
    client = Client()
    client.force_login(stranger)
    for name in ("ambassador_edit", "ambassador_load"):
        url = reverse(f"lifecycle:{name}", args=[world["samira"].pk])
        assert client.get(url).status_code == 404


# --- creating and editing ------------------------------------------------------------------


def test_a_coordinator_creates_an_ambassador_with_languages_in_words_cities_and_login(world):
    client = client_for(world, Role.COORDINATOR)
    page = client.get(reverse("lifecycle:ambassador_new")).content.decode()
    assert "Tigrinya" in page and 'value="ti"' in page  # ticked by word, stored as code
    response = client.post(
        reverse("lifecycle:ambassador_new"),
        {
            "name": "Mehret",
            "languages": ["ti", "ar"],
            "cities": [world["haarlem"].pk],
            "capacity": "3",
            "active": "on",
            "unavailable_until": "",
            "email": "mehret@example.org",
            "phone": "",
            "user": "",
        },
    )
    assert response.status_code == 302
    mehret = CulturalAmbassador.objects.get(name="Mehret")
    assert (mehret.languages, mehret.capacity) == (["ti", "ar"], 3)
    assert list(mehret.cities.all()) == [world["haarlem"]]
    event = AuditEvent.objects.get(action="ambassador.created", object_id=str(mehret.pk))
    assert event.actor == world["coordinator"]
    listing = client.get(reverse("lifecycle:ambassador_list")).content.decode()
    assert "Tigrinya, Arabic" in listing and "0 of 3" in listing


def test_editing_an_ambassador_audits_what_changed_and_refuses_a_taken_login(world):
    client = client_for(world, Role.COORDINATOR)
    url = reverse("lifecycle:ambassador_edit", args=[world["farid"].pk])
    data = {
        "name": "Farid",
        "languages": ["ar"],
        "cities": [world["haarlem"].pk],
        "capacity": "1",
        "active": "on",
        "unavailable_until": "",
        "email": "",
        "phone": "",
        "user": world["users"][Role.AMBASSADOR].pk,
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "already belongs to Samira" in response.content.decode()
    data |= {"user": "", "capacity": "4", "unavailable_until": "2030-01-31"}
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.filter(action="ambassador.changed").get()
    assert event.data["changed"] == {
        "capacity": {"from": 1, "to": 4},
        "unavailable_until": {"from": None, "to": "2030-01-31"},
    }


def test_an_unknown_language_or_another_programmes_city_is_refused_by_the_service(world):
    elsewhere = make_city(make_programme("Elders", "elders"), "Utrecht")
    with pytest.raises(ValidationError) as error:
        lifecycle.ambassador_create(
            programme=world["programme"],
            data=lifecycle.HelperData(name="X", languages=("klingon",)),
            actor=None,
        )
    assert error.value.message_dict["languages"] == [
        str(lifecycle.ERR_LANGUAGE % {"code": "klingon"})
    ]
    with pytest.raises(ValidationError) as error:
        lifecycle.ambassador_create(
            programme=world["programme"],
            data=lifecycle.HelperData(name="X", cities=(elsewhere,)),
            actor=None,
        )
    assert "cities" in error.value.message_dict
    assert not CulturalAmbassador.objects.filter(name="X").exists()


def test_a_coordinator_manages_contact_persons_with_their_load_in_groups(world):
    client = client_for(world, Role.COORDINATOR)
    response = client.post(
        reverse("lifecycle:contact_person_new"),
        {
            "name": "Kees",
            "languages": ["en"],
            "cities": [world["almere"].pk],
            "capacity": "6",
            "active": "on",
            "unavailable_until": "",
            "email": "",
            "phone": "",
            "user": "",
        },
    )
    assert response.status_code == 302
    kees = ContactPerson.objects.get(name="Kees")
    group = world["matches"][0].group
    group.contact_person = kees
    group.save()
    listing = client.get(reverse("lifecycle:contact_person_list")).content.decode()
    assert "Kees" in listing and "1 of 6" in listing and "English" in listing
    assert AuditEvent.objects.filter(action="contact_person.created").count() == 1


# --- suggestions ---------------------------------------------------------------------------


def suggestion_map(world: dict[str, Any]) -> tuple[dict[int, str], dict[int, str]]:
    suggested, left_out = selectors.ambassador_suggestions(
        programme=world["programme"],
        matches=selectors.matches_without_ambassador(programme=world["programme"]),
        today=timezone.localdate(),
    )
    return (
        {s.match.pk: s.ambassador.name for s in suggested},
        {n.match.pk: n.reason for n in left_out},
    )


def test_suggestions_share_a_language_prefer_the_city_and_respect_the_households_no(world):
    m1, m2, m3, m4 = world["matches"]
    suggested, left_out = suggestion_map(world)
    assert suggested == {m1.pk: "Samira", m4.pk: "Farid"}
    assert left_out == {m2.pk: "no_language", m3.pk: "declined"}


def test_an_unavailable_ambassador_is_not_suggested(world):
    m1, _m2, _m3, m4 = world["matches"]
    samira = world["samira"]
    lifecycle.ambassador_update(
        ambassador=samira,
        data=lifecycle.HelperData(
            name="Samira",
            languages=("ar",),
            cities=(world["almere"],),
            capacity=2,
            unavailable_until=timezone.localdate() + timedelta(days=10),
        ),
        actor=None,
    )
    suggested, left_out = suggestion_map(world)
    # Farid (Haarlem, room for one) goes to the Haarlem match; Almere's match finds him full.
    assert suggested == {m4.pk: "Farid"}
    assert left_out[m1.pk] == "all_full"


def test_the_suggestion_page_gives_every_reason_in_words(world):
    html = (
        client_for(world, Role.COORDINATOR)
        .get(reverse("lifecycle:ambassador_suggest"))
        .content.decode()
    )
    assert "speaks Arabic with the household; works in Almere; would have 1 of 2 matches" in html
    assert "speaks Arabic with the household; works in Haarlem; would have 1 of 1 matches" in html
    assert "No available ambassador speaks Tigrinya." in html
    assert "The household does not want a cultural ambassador." in html


def test_accepting_all_suggestions_saves_each_match_with_its_own_audit_event(world):
    m1, _m2, _m3, m4 = world["matches"]
    client = client_for(world, Role.COORDINATOR)
    response = client.post(
        reverse("lifecycle:ambassador_suggest"),
        {
            "accept": [m1.pk, m4.pk],
            f"ambassador-{m1.pk}": world["samira"].pk,
            f"ambassador-{m4.pk}": world["farid"].pk,
        },
        follow=True,
    )
    assert "2 matches now have a cultural ambassador." in response.content.decode()
    assert Match.objects.get(pk=m1.pk).ambassador == world["samira"]
    assert Match.objects.get(pk=m4.pk).ambassador == world["farid"]
    events = AuditEvent.objects.filter(action="match.ambassador_assigned")
    assert sorted(int(e.object_id) for e in events) == sorted([m1.pk, m4.pk])
    assert all(e.actor == world["coordinator"] and e.data["suggested"] for e in events)


def test_a_coordinator_unticks_one_and_changes_another(world):
    m1, _m2, _m3, m4 = world["matches"]
    client = client_for(world, Role.COORDINATOR)
    client.post(
        reverse("lifecycle:ambassador_suggest"),
        {
            "accept": [m4.pk],
            f"ambassador-{m1.pk}": world["samira"].pk,
            f"ambassador-{m4.pk}": world["samira"].pk,  # changed from Farid
        },
    )
    assert Match.objects.get(pk=m1.pk).ambassador is None
    assert Match.objects.get(pk=m4.pk).ambassador == world["samira"]


def test_saving_above_a_maximum_saves_nothing_and_says_why(world):
    m1, _m2, _m3, m4 = world["matches"]
    client = client_for(world, Role.COORDINATOR)
    response = client.post(
        reverse("lifecycle:ambassador_suggest"),
        {
            "accept": [m1.pk, m4.pk],
            f"ambassador-{m1.pk}": world["farid"].pk,
            f"ambassador-{m4.pk}": world["farid"].pk,
        },
    )
    assert response.status_code == 400
    assert "Farid already supports 1 matches (maximum 1)." in response.content.decode()
    assert not Match.objects.filter(ambassador__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="match.ambassador_assigned").exists()


def test_the_service_rechecks_under_lock_a_match_given_an_ambassador_meanwhile(world):
    m1, _m2, _m3, m4 = world["matches"]
    lifecycle.match_assign_ambassador(match=m1, ambassador=world["samira"], actor=None)
    with pytest.raises(ValidationError) as error:
        lifecycle.ambassadors_assign(
            programme=world["programme"],
            assignments=[(m4, world["farid"]), (m1, world["samira"])],
            actor=None,
        )
    assert "already has a cultural ambassador (Samira)" in error.value.messages[0]
    assert Match.objects.get(pk=m4.pk).ambassador is None  # all or nothing


def test_the_service_refuses_a_household_that_declined_and_an_empty_choice(world):
    m3 = world["matches"][2]
    with pytest.raises(ValidationError) as error:
        lifecycle.ambassadors_assign(
            programme=world["programme"], assignments=[(m3, world["samira"])], actor=None
        )
    assert error.value.messages == [str(lifecycle.ERR_DECLINED % {"match": str(m3)})]
    with pytest.raises(ValidationError) as error:
        lifecycle.ambassadors_assign(programme=world["programme"], assignments=[], actor=None)
    assert error.value.messages == [str(lifecycle.ERR_NOTHING_CHOSEN)]


def test_a_single_match_page_shows_the_cores_suggestion_with_its_reason(world):
    m1, m2 = world["matches"][:2]
    client = client_for(world, Role.COORDINATOR)
    html = client.get(reverse("lifecycle:match_detail", args=[m1.pk])).content.decode()
    assert "Samira</strong> — speaks Arabic with the household; works in Almere" in html
    html = client.get(reverse("lifecycle:match_detail", args=[m2.pk])).content.decode()
    assert "No available ambassador speaks Tigrinya." in html


def test_the_load_page_lists_the_ambassadors_matches_and_load_against_the_maximum(world):
    m1 = world["matches"][0]
    lifecycle.match_assign_ambassador(match=m1, ambassador=world["samira"], actor=None)
    html = (
        client_for(world, Role.AMBASSADOR)
        .get(reverse("lifecycle:ambassador_load", args=[world["samira"].pk]))
        .content.decode()
    )
    assert "1 of at most 2 open matches" in html
    assert m1.household.reference in html


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_for_an_ambassadors_last_place_give_one_success(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks: run with DATABASE_URL pointing at PostgreSQL")
    m1, _m2, _m3, m4 = world["matches"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(match: Match) -> None:
        try:
            barrier.wait(timeout=10)
            lifecycle.ambassadors_assign(
                programme=world["programme"], assignments=[(match, world["farid"])], actor=None
            )
            outcomes.append("saved")
        except ValidationError as error:
            with translation.override("en"):
                outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(m,)) for m in (m1, m4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["Farid already supports 1 matches (maximum 1).", "saved"]
    assert Match.objects.filter(ambassador=world["farid"]).count() == 1


@pytest.mark.parametrize("capacity", [51, 10**6])
def test_an_ambassadors_maximum_above_50_is_refused_naming_the_field(world, capacity):
    with pytest.raises(ValidationError) as caught:
        lifecycle.ambassador_create(
            programme=world["programme"],
            data=lifecycle.HelperData(name="Veel", languages=("ar",), capacity=capacity),
            actor=None,
        )
    assert list(caught.value.error_dict) == ["capacity"]
    assert "at most 50" in caught.value.messages[0]
    assert not CulturalAmbassador.objects.filter(name="Veel").exists()


def test_the_ambassador_form_shows_the_maximum_message(world):
    client = Client()
    client.force_login(world["users"][Role.COORDINATOR])
    response = client.post(
        reverse("lifecycle:ambassador_new"),
        {"name": "Veel", "languages": ["ar"], "capacity": "5000", "active": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "at most 50" in response.context["form"].errors["capacity"][0]


def test_the_ambassador_and_contact_person_lists_are_paged_with_their_total(world, monkeypatch):
    from welcomematch.lifecycle import views

    monkeypatch.setattr(views, "HELPER_PAGE_SIZE", 1)
    for name in ("Kees", "Anna"):
        lifecycle.contact_person_create(
            programme=world["programme"],
            data=lifecycle.HelperData(name=name, languages=("nl",), cities=(), capacity=3),
            actor=world["coordinator"],
        )
    client = client_for(world, Role.COORDINATOR)
    for name, total in (("ambassador_list", "2 ambassadors"), ("contact_person_list", "2 contact")):
        page = client.get(reverse(f"lifecycle:{name}")).content.decode()
        assert total in page and "Page 1 of 2" in page and 'rel="next"' in page
        second = client.get(reverse(f"lifecycle:{name}"), {"page": 2}).content.decode()
        assert "Page 2 of 2" in second
