"""Build programme data through the real services, for tests of every app."""

from __future__ import annotations

from typing import Any

from welcomematch.accounts.models import Role, User
from welcomematch.accounts.services import user_create
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.intake.services import MemberData, PersonData, group_create, household_create
from welcomematch.programmes.models import City, Programme

PASSWORD = "correct-horse-battery-staple"


def make_programme(name: str = "Samen Hier", slug: str = "samen-hier") -> Programme:
    return Programme.objects.create(name=name, slug=slug)


def make_city(programme: Programme, name: str = "Almere") -> City:
    return City.objects.create(programme=programme, name=name, latitude=52.37, longitude=5.22)


def make_user(role: Role, username: str | None = None, programme: Programme | None = None) -> User:
    return user_create(
        username=username or f"{role.value}-user", password=PASSWORD, role=role, programme=programme
    )


def make_group(
    city: City, *, lat: float = 52.37, lon: float = 5.22, name: str = "De Buren", **kw: Any
) -> WelcomeGroup:
    kw.setdefault("members", [MemberData(first_name=n, age=35) for n in ("Anna", "Bas", "Cor")])
    kw.setdefault("completed", True)
    return group_create(
        programme=city.programme,
        city=city,
        name=name,
        latitude=lat,
        longitude=lon,
        actor=None,
        **kw,
    )


def make_household(
    city: City,
    *,
    lat: float = 52.37,
    lon: float = 5.22,
    persons: list[PersonData] | None = None,
    **kw: Any,
) -> Household:
    kw.setdefault("completed", True)
    return household_create(
        programme=city.programme,
        city=city,
        contact_name=kw.pop("contact_name", "Amal"),
        persons=persons or [PersonData(relation="main", age=34, gender="woman")],
        latitude=lat,
        longitude=lon,
        actor=None,
        **kw,
    )
