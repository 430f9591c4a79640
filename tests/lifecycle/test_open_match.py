"""An open match: one definition, used by the services, the lists and the round's pool."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_city, make_group, make_household, make_programme
from tests.web.helpers import make_match
from welcomematch.lifecycle import services
from welcomematch.lifecycle.models import OPEN_MATCH_STATUSES, Match, MatchStatus

pytestmark = pytest.mark.django_db

OPEN = {MatchStatus.PROPOSED, MatchStatus.INTRODUCED, MatchStatus.ACTIVE}


def test_a_match_is_open_from_its_proposal_until_it_ends_or_completes():
    assert set(OPEN_MATCH_STATUSES) == OPEN
    assert set(MatchStatus) - OPEN == {MatchStatus.ENDED, MatchStatus.COMPLETED}


@pytest.mark.parametrize("status", list(MatchStatus))
def test_the_queryset_and_the_record_agree_on_open(status):
    city = make_city(make_programme())
    match = make_match(make_group(city), make_household(city), status=status)
    assert match.is_open == (status in OPEN)
    assert Match.objects.open().filter(pk=match.pk).exists() == (status in OPEN)


@pytest.mark.parametrize("status", list(MatchStatus))
def test_only_an_open_match_keeps_its_pair_from_another_match(status):
    city = make_city(make_programme())
    group, household = make_group(city), make_household(city)
    make_match(group, household, status=status)
    other = make_household(city)
    if status in OPEN:
        with pytest.raises(ValidationError, match="already has an open match"):
            services.match_create(group=group, household=other, reason="x", actor=None)
    else:
        assert services.match_create(group=group, household=other, reason="x", actor=None)
