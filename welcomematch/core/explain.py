"""Why (not) this pair? The answer a coordinator, group or household can be given.

:func:`why_not` looks at one group and one household of a round and its result and returns the
first of these that applies, in the contract's order of rules:

1. ``matched`` — the pair will meet (treatment);
2. ``control`` — the pair was assigned and the fair coin made the household the group's control;
3. ``out_of_range`` — ``distance(g, h) > max_distance_km`` (and by how much);
4. ``vulnerability`` — ``h.vulnerability > g.capacity`` (both numbers);
5. ``excluded`` — one or both listed the other in ``exclude`` (who);
6. ``not_chosen`` — the pair was eligible, but the group and/or the household were given to
   others: their assigned pairs are returned with ranks and distances so they can be compared.

The structured fields let the web application phrase the answer in any language;
:attr:`PairExplanation.message` is a plain English sentence for the command line and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from welcomematch.core.errors import InvalidInput
from welcomematch.core.geo import haversine_km
from welcomematch.core.model import Group, Household, Mechanism, Pair, Result, Round


class PairVerdict(StrEnum):
    MATCHED = "matched"
    CONTROL = "control"
    OUT_OF_RANGE = "out_of_range"
    VULNERABILITY = "vulnerability"
    EXCLUDED = "excluded"
    NOT_CHOSEN = "not_chosen"


class Role(StrEnum):
    MATCH = "match"
    CONTROL = "control"


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """The answer for one (group, household) pair; ``message`` is plain English.

    ``group_rank``/``household_rank`` are the contract's ``rank_g(h)``/``rank_h(g)`` (0 is a
    first choice; ``group_ranking_length``/``household_ranking_length`` mean "not ranked").
    ``over_limit_km`` is how far beyond ``max_distance_km`` the pair lives (0 when in range).
    ``excluded_by`` holds ``"group"`` and/or ``"household"``. ``group_match``,
    ``group_control`` and ``household_pair`` (with ``household_role``) are what each was given.
    """

    group: str
    household: str
    verdict: PairVerdict
    distance_km: float
    max_distance_km: float
    over_limit_km: float
    vulnerability: int
    capacity: int
    excluded_by: tuple[str, ...]
    group_rank: int
    household_rank: int
    group_ranking_length: int
    household_ranking_length: int
    group_match: Pair | None
    group_control: Pair | None
    household_pair: Pair | None
    household_role: Role | None
    mechanism: Mechanism
    message: str


def _rank(ranking: tuple[str, ...], category: str) -> int:
    return ranking.index(category) if category in ranking else len(ranking)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _choice(rank: int, length: int) -> str:
    return f"as its {_ordinal(rank + 1)} choice" if rank < length else "not at all"


def _km(value: float) -> str:
    return f"{value:.2f} km"


def _describe(round_: Round, pair: Pair) -> str:
    """Distance and both preferences of an assigned pair, in words."""
    g = next((x for x in round_.groups if x.id == pair.group), None)
    h = next((x for x in round_.households if x.id == pair.household), None)
    if g is None or h is None:
        raise InvalidInput(
            f"pair {pair.group}/{pair.household} is not in the round", record="result"
        )
    return (
        f"{_km(pair.distance_km)}; {g.id} ranks {h.type} {_choice(pair.group_rank, len(g.ranking))}"
        f", {h.id} ranks {g.type} {_choice(pair.household_rank, len(h.ranking))}"
    )


def _find(round_: Round, group_id: str, household_id: str) -> tuple[Group, Household]:
    group = next((g for g in round_.groups if g.id == group_id), None)
    if group is None:
        raise InvalidInput("not in the round", record=f"group {group_id}", field="id")
    household = next((h for h in round_.households if h.id == household_id), None)
    if household is None:
        raise InvalidInput("not in the round", record=f"household {household_id}", field="id")
    return group, household


def why_not(round: Round, result: Result, group_id: str, household_id: str) -> PairExplanation:
    """Explain whether and why group ``group_id`` and household ``household_id`` were paired.

    Raises
    ------
    InvalidInput
        If either id is not in ``round``.
    """
    g, h = _find(round, group_id, household_id)
    p = round.parameters
    distance = haversine_km(g.lat, g.lon, h.lat, h.lon)
    over = max(0.0, distance - p.max_distance_km)
    excluded_by = tuple(
        side
        for side, flag in (("group", h.id in g.exclude), ("household", g.id in h.exclude))
        if flag
    )
    g_rank = _rank(g.ranking, h.type)
    h_rank = _rank(h.ranking, g.type)
    group_match = next((m for m in result.matches if m.group == g.id), None)
    group_control = next((c for c in result.controls if c.group == g.id), None)
    household_pair = next((m for m in result.matches if m.household == h.id), None)
    role: Role | None = Role.MATCH if household_pair else None
    if household_pair is None:
        household_pair = next((c for c in result.controls if c.household == h.id), None)
        role = Role.CONTROL if household_pair else None

    pair_words = (
        f"{_km(distance)} apart; {g.id} ranks {h.type} {_choice(g_rank, len(g.ranking))}, "
        f"{h.id} ranks {g.type} {_choice(h_rank, len(h.ranking))}"
    )
    if group_match is not None and group_match.household == h.id:
        verdict = PairVerdict.MATCHED
        message = f"{g.id} and {h.id} are matched ({pair_words})."
    elif group_control is not None and group_control.household == h.id:
        verdict = PairVerdict.CONTROL
        partner = group_match.household if group_match else "another household"
        message = (
            f"{h.id} is the control household of {g.id}: both {h.id} and {partner} were "
            f"assigned to {g.id} and the lottery's fair coin made {partner} the match "
            f"({pair_words})."
        )
    elif distance > p.max_distance_km:
        verdict = PairVerdict.OUT_OF_RANGE
        message = (
            f"{g.id} and {h.id} live {_km(distance)} apart, {_km(over)} more than the "
            f"limit of {p.max_distance_km:g} km, so they cannot be paired."
        )
    elif h.vulnerability > g.capacity:
        verdict = PairVerdict.VULNERABILITY
        message = (
            f"{h.id}'s vulnerability ({h.vulnerability}) is above what {g.id} can take on "
            f"(capacity {g.capacity}), so they cannot be paired."
        )
    elif excluded_by:
        verdict = PairVerdict.EXCLUDED
        who = {
            ("group",): f"{g.id} excluded {h.id}",
            ("household",): f"{h.id} excluded {g.id}",
            ("group", "household"): f"{g.id} and {h.id} excluded each other",
        }[excluded_by]
        message = f"{who}, so they cannot be paired."
    else:
        verdict = PairVerdict.NOT_CHOSEN
        if group_match is None:
            g_words = f"{g.id} was not matched"
        else:
            g_words = (
                f"{g.id} was matched with {group_match.household} ({_describe(round, group_match)})"
            )
        if household_pair is None:
            h_words = f"{h.id} was not assigned"
        elif role is Role.CONTROL:
            h_words = (
                f"{h.id} was assigned to {household_pair.group} and became its control "
                f"household ({_describe(round, household_pair)})"
            )
        else:
            h_words = f"{h.id} was matched with {household_pair.group} ({_describe(round, household_pair)})"
        why = (
            "the chosen pairs serve the whole round better: first more matches, then better "
            "fitting preferences, then shorter distances; ties are drawn by lottery"
            if p.mechanism is Mechanism.OPTIMAL
            else "the matching is stable, so at least one of them has a partner it ranks at "
            "least as high"
        )
        message = (
            f"{g.id} and {h.id} could have been paired ({pair_words}), but {g_words} and "
            f"{h_words}: {why}."
        )
    return PairExplanation(
        group=g.id,
        household=h.id,
        verdict=verdict,
        distance_km=distance,
        max_distance_km=p.max_distance_km,
        over_limit_km=over,
        vulnerability=h.vulnerability,
        capacity=g.capacity,
        excluded_by=excluded_by,
        group_rank=g_rank,
        household_rank=h_rank,
        group_ranking_length=len(g.ranking),
        household_ranking_length=len(h.ranking),
        group_match=group_match,
        group_control=group_control,
        household_pair=household_pair,
        household_role=role,
        mechanism=p.mechanism,
        message=message,
    )
