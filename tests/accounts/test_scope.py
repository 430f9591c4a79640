"""One programme scope for every page: new accounts see nothing, coordinators their programme
(and cities), contact persons their groups, ambassadors their matches."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from tests.web.helpers import make_ambassador, make_match
from welcomematch.accounts import scope
from welcomematch.accounts.admin import ERR_PROGRAMME_REQUIRED, ERR_ROLE_REQUIRED
from welcomematch.accounts.models import Role, User
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle.models import ContactPerson

pytestmark = pytest.mark.django_db


@pytest.fixture
def two() -> dict[str, Any]:
    mine, other = make_programme(), make_programme("Elders", "elders")
    almere, haarlem = make_city(mine, "Almere"), make_city(mine, "Haarlem")
    utrecht = make_city(other, "Utrecht")
    return {
        "mine": mine,
        "other": other,
        "almere": almere,
        "haarlem": haarlem,
        "g_almere": make_group(almere, name="Almeerders"),
        "h_almere": make_household(almere, contact_name="Amal", contact_phone="0612345678"),
        "g_haarlem": make_group(haarlem, name="Haarlemmers"),
        "h_haarlem": make_household(haarlem, contact_name="Hiba"),
        "g_utrecht": make_group(utrecht, name="Utrechters"),
        "h_utrecht": make_household(utrecht, contact_name="Umar"),
    }


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _admin() -> Client:
    root = user_create(
        username="root", password=PASSWORD, role=Role.ADMINISTRATOR, is_superuser=True
    )
    return _client(root)


def test_admin_add_form_asks_for_role_and_programme(two: dict[str, Any]) -> None:
    """Measured defect: the add form made a coordinator without a programme who saw everything."""
    client = _admin()
    url = reverse("admin:accounts_user_add")
    response = client.post(
        url,
        {
            "username": "new",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert str(ERR_ROLE_REQUIRED) in html and str(ERR_PROGRAMME_REQUIRED) in html
    assert not User.objects.filter(username="new").exists()

    response = client.post(
        url,
        {
            "username": "new",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
            "role": Role.COORDINATOR,
            "programme": two["mine"].pk,
            "cities": [two["almere"].pk],
        },
    )
    assert response.status_code == 302
    new = User.objects.get(username="new")
    assert (new.role, new.programme, list(new.cities.all())) == (
        Role.COORDINATOR,
        two["mine"],
        [two["almere"]],
    )


def test_admin_refuses_cities_of_another_programme(two: dict[str, Any]) -> None:
    response = _admin().post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
            "role": Role.COORDINATOR,
            "programme": two["mine"].pk,
            "cities": [two["g_utrecht"].city_id],
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="new").exists()


def test_a_new_account_has_no_role_and_sees_nothing(two: dict[str, Any]) -> None:
    """A plain new account (no role, no programme) opens no participant page of any programme."""
    user = User.objects.create_user(username="plain", password=PASSWORD)
    assert user.role == Role.NONE
    client = _client(user)
    for name in ("web:household_list", "web:group_list", "intake:index", "lifecycle:match_list"):
        assert client.get(reverse(name)).status_code == 403, name
    household = two["h_almere"]
    for name in ("web:household_detail", "intake:household_detail"):
        assert client.get(reverse(name, args=[household.pk])).status_code == 403, name
    response = client.post(
        reverse("intake:household_override", args=[household.pk]), {"level": 3, "reason": "x"}
    )
    assert response.status_code == 403
    household.refresh_from_db()
    assert household.vulnerability_override is None


def test_a_coordinator_without_a_programme_sees_nothing(two: dict[str, Any]) -> None:
    """Measured defect: role coordinator, no programme → every programme's households."""
    user = user_create(username="nobody", password=PASSWORD, role=Role.COORDINATOR)
    assert scope.programme_scope(user).is_empty
    assert not scope.visible_households(user).exists()
    client = _client(user)
    assert client.get(reverse("web:household_list")).status_code == 403
    assert (
        client.get(reverse("intake:household_detail", args=[two["h_utrecht"].pk])).status_code
        == 403
    )
    html = client.get(reverse("web:dashboard")).content.decode()
    assert "Utrecht" not in html and "Almere" not in html
    assert 'id="no-access"' in html


def test_a_coordinator_bound_to_cities_sees_only_those(two: dict[str, Any]) -> None:
    user = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=two["mine"]
    )
    user.cities.set([two["almere"]])
    user = User.objects.get(pk=user.pk)
    assert set(scope.visible_households(user)) == {two["h_almere"]}
    assert set(scope.visible_groups(user)) == {two["g_almere"]}
    client = _client(user)
    assert client.get(reverse("web:household_detail", args=[two["h_almere"].pk])).status_code == 200
    for name in ("web:household_detail", "intake:household_detail"):
        assert client.get(reverse(name, args=[two["h_haarlem"].pk])).status_code == 404
        assert client.get(reverse(name, args=[two["h_utrecht"].pk])).status_code == 404
    new_round = client.get(reverse("matching:round_create")).content.decode()
    assert "Haarlem" not in new_round and "Almere" in new_round


def test_a_coordinator_sees_every_city_of_their_programme_and_nothing_else(
    two: dict[str, Any],
) -> None:
    user = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=two["mine"]
    )
    assert set(scope.visible_households(user)) == {two["h_almere"], two["h_haarlem"]}
    assert set(scope.programme_scope(user).programmes) == {two["mine"]}


def test_superusers_see_every_programme(two: dict[str, Any]) -> None:
    root = user_create(username="root", password=PASSWORD, role=Role.NONE, is_superuser=True)
    assert scope.visible_households(root).count() == 3


def test_a_contact_person_sees_the_groups_they_call(two: dict[str, Any]) -> None:
    user = user_create(
        username="els", password=PASSWORD, role=Role.CONTACT_PERSON, programme=two["mine"]
    )
    contact = ContactPerson.objects.create(programme=two["mine"], user=user, name="Els")
    group = two["g_almere"]
    group.contact_person = contact
    group.save()
    match = make_match(group, two["h_almere"])
    other = make_match(two["g_haarlem"], two["h_haarlem"])
    assert set(scope.visible_groups(user)) == {group}
    assert set(scope.visible_matches(user)) == {match}
    assert not scope.visible_households(user).exists()
    client = _client(user)
    assert client.get(reverse("web:group_detail", args=[group.pk])).status_code == 200
    assert client.get(reverse("web:group_detail", args=[two["g_haarlem"].pk])).status_code == 403
    assert client.get(reverse("lifecycle:match_detail", args=[match.pk])).status_code == 200
    assert client.get(reverse("lifecycle:match_detail", args=[other.pk])).status_code == 403
    assert client.get(reverse("web:household_detail", args=[two["h_almere"].pk])).status_code == 403


def test_an_ambassador_sees_their_matches_without_contact_details(two: dict[str, Any]) -> None:
    """Measured defect: an ambassador opened household pages with phone and e-mail."""
    user = user_create(
        username="samira", password=PASSWORD, role=Role.AMBASSADOR, programme=two["mine"]
    )
    household = two["h_almere"]
    household.contact_email = "amal@example.org"
    household.postcode = "1315 AB"
    household.save()
    make_match(two["g_almere"], household, ambassador=make_ambassador(user, two["mine"]))
    client = _client(user)
    html = client.get(reverse("web:household_detail", args=[household.pk])).content.decode()
    assert "Amal" in html
    for secret in ("0612345678", "amal@example.org", "1315 AB", 'id="sensitive"'):
        assert secret not in html, secret
    group_html = client.get(reverse("web:group_detail", args=[two["g_almere"].pk])).content.decode()
    assert 'data-field="contact_email"' not in group_html
    assert (
        client.get(reverse("web:household_detail", args=[two["h_haarlem"].pk])).status_code == 403
    )
    assert (
        client.get(reverse("web:household_detail", args=[two["h_utrecht"].pk])).status_code == 404
    )


def test_an_ambassador_can_neither_read_nor_probe_postcodes_in_the_lists(
    two: dict[str, Any],
) -> None:
    user = user_create(
        username="samira", password=PASSWORD, role=Role.AMBASSADOR, programme=two["mine"]
    )
    household = two["h_almere"]
    household.postcode = "1315 AB"
    household.save()
    make_match(two["g_almere"], household, ambassador=make_ambassador(user, two["mine"]))
    client = _client(user)
    listing = client.get(reverse("web:household_list")).content.decode()
    assert household.reference in listing and "1315 AB" not in listing
    probe = client.get(reverse("web:household_list"), {"q": "1315ab"}).content.decode()
    assert household.reference not in probe
    coordinator = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=two["mine"]
    )
    found = _client(coordinator).get(reverse("web:household_list"), {"q": "1315ab"})
    assert household.reference in found.content.decode()
