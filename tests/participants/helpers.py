"""A programme with a match whose group and household have personal page links."""

from __future__ import annotations

from typing import Any

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role
from welcomematch.lifecycle.models import ContactPerson, CulturalAmbassador
from welcomematch.participants import services

BASE = "http://testserver"


def make_setting() -> dict[str, Any]:
    programme = make_programme()
    programme.contact_phone = "020 123 4567"
    programme.contact_email = "info@samenhier.example"
    programme.save()
    city = make_city(programme, "Almere")
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    contact = ContactPerson.objects.create(
        programme=programme, name="Els Visser", phone="06 1111 2222", email="els@example.org"
    )
    ambassador = CulturalAmbassador.objects.create(
        programme=programme,
        name="Samira Haddad",
        languages=["ar", "nl"],
        phone="06 3333 4444",
        email="samira@example.org",
    )
    group = make_group(city, name="De Buren", contact_email="buren@example.org")
    group.contact_person = contact
    group.save()
    household = make_household(
        city,
        contact_name="Amal Youssef",
        contact_email="amal@example.org",
        country_of_origin="SY",
        support_notes="Needs help with trauma counselling",
        cefr_english="B1",
    )
    match = make_match(group, household, ambassador=ambassador)
    group_link = services.participant_link_renew(actor=coordinator, base_url=BASE, group=group)
    household_link = services.participant_link_renew(
        actor=coordinator, base_url=BASE, household=household
    )
    return {
        "programme": programme,
        "city": city,
        "coordinator": coordinator,
        "contact": contact,
        "ambassador": ambassador,
        "group": group,
        "household": household,
        "match": match,
        "group_link": group_link,
        "household_link": household_link,
    }
