"""The one transition checker that rounds and matches move through."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.lifecycle.services import ERR_TRANSITION as ERR_MATCH_TRANSITION
from welcomematch.lifecycle.services import MATCH_TRANSITIONS
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.matching.services import ERR_TRANSITION as ERR_ROUND_TRANSITION
from welcomematch.matching.services import ROUND_TRANSITIONS
from welcomematch.transitions import transition


def test_an_allowed_move_sets_the_status_and_returns_the_old_one():
    match = Match(status=MatchStatus.PROPOSED)
    old = transition(
        record=match, table=MATCH_TRANSITIONS, target=MatchStatus.ACTIVE, error=ERR_MATCH_TRANSITION
    )
    assert (old, match.status) == (MatchStatus.PROPOSED, MatchStatus.ACTIVE)


@pytest.mark.parametrize(
    ("record", "table", "target", "error", "text"),
    [
        (
            Match(status=MatchStatus.ENDED),
            MATCH_TRANSITIONS,
            MatchStatus.ACTIVE,
            ERR_MATCH_TRANSITION,
            "A match that is ended early cannot become active.",
        ),
        (
            MatchingRound(status=RoundStatus.CONFIRMED),
            ROUND_TRANSITIONS,
            RoundStatus.PROPOSED,
            ERR_ROUND_TRANSITION,
            "A round that is confirmed cannot become proposed.",
        ),
    ],
)
def test_a_move_outside_the_table_is_refused_and_changes_nothing(
    record, table, target, error, text
):
    before = record.status
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        transition(record=record, table=table, target=target, error=error)
    assert caught.value.code == "invalid_transition"
    with translation.override("en"):
        assert caught.value.messages == [text]
    assert record.status == before
