"""Family composition: a household's type follows from its persons, never typed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

#: Age from which a person counts as an adult for the household type.
ADULT_AGE = 18


class HouseholdType(StrEnum):
    FAMILY_WITH_CHILDREN = "family_with_children"
    COUPLE = "couple"
    SINGLE_PARENT = "single_parent"
    SINGLE_MAN = "single_man"
    SINGLE_WOMAN = "single_woman"
    SINGLE_OTHER = "single_other"


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PersonFacts:
    age: int
    gender: Gender


def household_type(persons: Iterable[PersonFacts]) -> HouseholdType:
    """The household's composition category, derived from its members.

    - one or more children (under 18) and two or more adults: ``family_with_children``;
    - one or more children and one adult: ``single_parent``;
    - two or more adults, no children: ``couple`` (adults living together without children);
    - one adult: ``single_man`` / ``single_woman`` by gender, ``single_other`` otherwise.

    Raises ``ValueError`` for a household without an adult: it cannot be registered on its own.
    """
    adults = [p for p in persons if p.age >= ADULT_AGE]
    children = [p for p in persons if 0 <= p.age < ADULT_AGE]
    if not adults:
        raise ValueError("a household needs at least one adult (18 or older)")
    if children:
        return (
            HouseholdType.FAMILY_WITH_CHILDREN if len(adults) >= 2 else HouseholdType.SINGLE_PARENT
        )
    if len(adults) >= 2:
        return HouseholdType.COUPLE
    gender = adults[0].gender
    if gender == Gender.MAN:
        return HouseholdType.SINGLE_MAN
    if gender == Gender.WOMAN:
        return HouseholdType.SINGLE_WOMAN
    return HouseholdType.SINGLE_OTHER
