"""A group's composition type: given, or derived from its members, never silently empty."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_group
from tests.intake.answers import group_answers
from welcomematch.intake.services import (
    MemberData,
    derive_group_type,
    group_invite,
    group_save_answers,
)
from welcomematch.matching.selectors import core_group

pytestmark = pytest.mark.django_db


def _members(*ages: int, children: bool = False) -> list[MemberData]:
    return [
        MemberData(first_name=f"M{i}", age=a, has_children=children) for i, a in enumerate(ages)
    ]


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (_members(25, 60, children=True), "with_children"),
        (_members(22, 26, 29), "young_adults"),
        (_members(55, 62, 70), "seniors"),
        (_members(35, 40, 44), "middle_aged"),
        (_members(25, 35, 48), "mixed_ages"),
        ([MemberData(first_name="Zonder leeftijd")], "mixed_ages"),
        ([], ""),
    ],
)
def test_the_type_follows_from_the_members(members: list[MemberData], expected: str) -> None:
    assert derive_group_type(members) == expected


def test_a_group_without_a_type_gets_the_derived_one_and_the_round_sees_it(city: Any) -> None:
    group = make_group(city, members=_members(22, 26, 29))
    assert group.group_type == "young_adults"
    assert core_group(group).type == "young_adults"


def test_a_type_the_group_gave_is_kept(city: Any) -> None:
    assert make_group(city, members=_members(22, 26), group_type="seniors").group_type == "seniors"


def test_an_invited_group_gets_its_type_when_it_sends_its_members(
    programme: Any, city: Any, postcodes: int
) -> None:
    group, _invitation, _token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    assert group.group_type == ""
    saved = group_save_answers(
        programme=programme,
        city=city,
        answers=group_answers(group_type=""),
        actor=None,
        group=group,
    )
    assert saved.group_type == "with_children"  # the answers' members have children
