"""Suggested cultural ambassadors for many matches at once, as one assignment problem.

Definition
----------
Given matches (each with the household's languages, its city and whether it wants an
ambassador at all) and ambassadors (languages, cities, current load, maximum load), a
*suggestion* gives each match at most one ambassador such that

1. only a household that wants an ambassador gets one;
2. an ambassador is suggested only where they share a language other than Dutch with the
   household (a household that speaks no language besides Dutch needs no shared language);
3. no ambassador ends above their maximum: ``load + suggested <= maximum``.

Among all such suggestions it is the lexicographic optimum of

1. the most matches with an ambassador;
2. then the most matches whose ambassador works in the household's city;
3. then the most even spread of load: the k-th new match of an ambassador costs their load
   share after taking it, ``floor(1000 * (load + k) / maximum)``, and the total is minimal (a
   convex cost, so the work goes to the lightest-loaded first);

exact ties are broken deterministically: the same input gives the same suggestion.

It is solved exactly as a rectangular assignment problem (``scipy.optimize.
linear_sum_assignment``) over the matches and one column for each free place of each
ambassador, with integer weights chosen so that each level dominates all the levels below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from welcomematch.core.errors import InvalidInput

__all__ = [
    "AmbassadorSlot",
    "MatchNeed",
    "NoSuggestion",
    "Suggestion",
    "suggest_ambassadors",
]

#: Languages that need no bridging: the programme's own.
LOCAL_LANGUAGES: frozenset[str] = frozenset({"nl"})
#: Resolution of the load-share cost (level 3).
_LOAD_UNIT = 1000


@dataclass(frozen=True, slots=True)
class MatchNeed:
    """A match without an ambassador: the household's side of the question."""

    id: str
    languages: tuple[str, ...]
    city: str
    wants_ambassador: bool = True


@dataclass(frozen=True, slots=True)
class AmbassadorSlot:
    """An active ambassador with their languages, cities, open matches and maximum."""

    id: str
    languages: tuple[str, ...]
    cities: tuple[str, ...]
    load: int
    maximum: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ambassador for one match, with why."""

    match: str
    ambassador: str
    shared_languages: tuple[str, ...]
    same_city: bool
    load_after: int
    maximum: int


@dataclass(frozen=True, slots=True)
class NoSuggestion:
    """A match that gets no ambassador, and why: ``declined`` (the household said no),
    ``no_language`` (no ambassador shares a language) or ``all_full`` (those who do are full,
    or taken by matches that could have no one else)."""

    match: str
    reason: str


def _shared(need: MatchNeed, slot: AmbassadorSlot) -> tuple[str, ...] | None:
    """The languages they share; ``()`` when none is needed; ``None`` when they cannot talk."""
    wanted = set(need.languages) - LOCAL_LANGUAGES
    if not wanted:
        return ()
    shared = tuple(sorted(wanted & set(slot.languages)))
    return shared or None


def _check(needs: Sequence[MatchNeed], slots: Sequence[AmbassadorSlot]) -> None:
    seen: set[str] = set()
    for need in needs:
        if need.id in seen:
            raise InvalidInput("appears twice", record=f"match {need.id}", field="id")
        seen.add(need.id)
    seen = set()
    for slot in slots:
        if slot.id in seen:
            raise InvalidInput("appears twice", record=f"ambassador {slot.id}", field="id")
        seen.add(slot.id)
        if slot.maximum < 1:
            raise InvalidInput(
                f"must be at least 1, not {slot.maximum}",
                record=f"ambassador {slot.id}",
                field="maximum",
            )
        if slot.load < 0:
            raise InvalidInput(
                f"cannot be negative ({slot.load})", record=f"ambassador {slot.id}", field="load"
            )


def suggest_ambassadors(
    needs: Sequence[MatchNeed], slots: Sequence[AmbassadorSlot]
) -> tuple[tuple[Suggestion, ...], tuple[NoSuggestion, ...]]:
    """The optimal suggestion (see the module docstring) and a reason for every match left out.

    Suggestions come in the order of ``needs``; so do the matches left out.
    """
    _check(needs, slots)
    columns: list[tuple[int, int]] = []  # (slot index, k-th new match of that ambassador)
    for j, slot in enumerate(slots):
        for k in range(1, max(0, slot.maximum - slot.load) + 1):
            columns.append((j, k))
    shared: dict[tuple[int, int], tuple[str, ...]] = {}
    for i, need in enumerate(needs):
        if not need.wants_ambassador:
            continue
        for j, slot in enumerate(slots):
            languages = _shared(need, slot)
            if languages is not None:
                shared[i, j] = languages

    chosen: dict[int, int] = {}
    rows = sorted({i for i, _ in shared})
    if rows and columns:
        n = len(rows)
        # Each level outweighs everything the levels below it can add up to.
        w_city = n * _LOAD_UNIT + 1
        w_count = (n + 1) * w_city
        # One column per free place, then one "no ambassador" column per match (cost 0).
        cost = np.full((n, len(columns) + n), np.inf)
        cost[:, len(columns) :] = 0.0
        for r, i in enumerate(rows):
            need = needs[i]
            for c, (j, k) in enumerate(columns):
                if (i, j) not in shared:
                    continue
                slot = slots[j]
                share = (slot.load + k) * _LOAD_UNIT // slot.maximum
                same_city = need.city in slot.cities
                cost[r, c] = float(-w_count - (w_city if same_city else 0) + share)
        picked_rows, picked_cols = linear_sum_assignment(cost)
        for r, c in zip(picked_rows.tolist(), picked_cols.tolist(), strict=True):
            if c < len(columns):
                chosen[rows[r]] = columns[c][0]

    suggestions: list[Suggestion] = []
    left_out: list[NoSuggestion] = []
    # The load after a suggestion counts the suggestions before it in this batch (in the
    # order of ``needs``), so two suggestions for one ambassador read 4 of 5, then 5 of 5.
    taken = [0] * len(slots)
    for i, need in enumerate(needs):
        if i in chosen:
            j = chosen[i]
            slot = slots[j]
            taken[j] += 1
            suggestions.append(
                Suggestion(
                    match=need.id,
                    ambassador=slot.id,
                    shared_languages=shared[i, j],
                    same_city=need.city in slot.cities,
                    load_after=slot.load + taken[j],
                    maximum=slot.maximum,
                )
            )
        elif not need.wants_ambassador:
            left_out.append(NoSuggestion(match=need.id, reason="declined"))
        elif not any((i, j) in shared for j in range(len(slots))):
            left_out.append(NoSuggestion(match=need.id, reason="no_language"))
        else:
            left_out.append(NoSuggestion(match=need.id, reason="all_full"))
    return tuple(suggestions), tuple(left_out)
