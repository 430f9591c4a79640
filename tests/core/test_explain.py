"""Why (not) this pair: the first applicable reason, with the numbers behind it."""

from __future__ import annotations

import pytest

from welcomematch.core.engine import run_round
from welcomematch.core.errors import InvalidInput
from welcomematch.core.explain import PairVerdict, Role, why_not
from welcomematch.core.generate import generate_round
from welcomematch.core.geo import EARTH_RADIUS_KM
from welcomematch.core.model import (
    Group,
    Household,
    Mechanism,
    Pair,
    Parameters,
    Result,
    Round,
    Summary,
    Unmatched,
    UnmatchedReason,
)

KM_LAT = 180.0 / (3.141592653589793 * EARTH_RADIUS_KM)  # degrees of latitude per km


def household(hid: str, km_north: float, **kw: object) -> Household:
    fields: dict[str, object] = {"vulnerability": 0, "type": "couple", "ranking": ("mixed_ages",)}
    fields.update(kw)
    return Household(hid, 52.0 + km_north * KM_LAT, 5.0, **fields)  # type: ignore[arg-type]


ROUND = Round(
    parameters=Parameters(max_distance_km=5.0),
    groups=(
        Group("G1", 52.0, 5.0, 1, "mixed_ages", ("couple", "single_man"), frozenset({"H4"})),
        Group("G2", 52.0, 5.0, 1, "seniors", ("single_man",)),
    ),
    households=(
        household("H1", 1.0),
        household("H2", 7.0),
        household("H3", 1.0, vulnerability=3),
        household("H4", 1.0),
        household("H5", 2.0, exclude=frozenset({"G1"})),
        household("H6", 0.5, type="single_man"),
        household("H7", 3.0),
    ),
)

RESULT = Result(
    parameters=ROUND.parameters,
    matches=(Pair("G1", "H1", 1.0, 0, 0), Pair("G2", "H6", 0.5, 0, 1)),
    controls=(Pair("G1", "H7", 3.0, 0, 0),),
    unmatched_groups=(),
    unmatched_households=(
        Unmatched("H2", UnmatchedReason.NO_PARTNER_IN_RANGE, 0),
        Unmatched("H3", UnmatchedReason.VULNERABILITY, 0),
        Unmatched("H4", UnmatchedReason.PARTNERS_TAKEN, 1),
        Unmatched("H5", UnmatchedReason.PARTNERS_TAKEN, 1),
    ),
    summary=Summary(2, 7, 6, 2, 1, 1, 4.5, "hand", "test"),
)


def test_a_matched_pair_says_so_with_ranks_and_distance() -> None:
    e = why_not(ROUND, RESULT, "G1", "H1")
    assert e.verdict is PairVerdict.MATCHED
    assert e.household_role is Role.MATCH
    assert (e.group_rank, e.household_rank) == (0, 0)
    assert e.distance_km == pytest.approx(1.0, abs=1e-6)
    assert e.message.startswith("G1 and H1 are matched (1.00 km apart")


def test_the_control_household_is_told_the_coin_decided() -> None:
    e = why_not(ROUND, RESULT, "G1", "H7")
    assert e.verdict is PairVerdict.CONTROL
    assert e.household_role is Role.CONTROL
    assert e.group_match == RESULT.matches[0]
    assert "control household of G1" in e.message and "fair coin made H1 the match" in e.message


def test_out_of_range_gives_the_distance_and_how_far_over_the_limit() -> None:
    e = why_not(ROUND, RESULT, "G1", "H2")
    assert e.verdict is PairVerdict.OUT_OF_RANGE
    assert e.distance_km == pytest.approx(7.0, abs=1e-6)
    assert e.over_limit_km == pytest.approx(2.0, abs=1e-6)
    assert "7.00 km apart, 2.00 km more than the limit of 5 km" in e.message


def test_vulnerability_above_capacity_gives_both_numbers() -> None:
    e = why_not(ROUND, RESULT, "G1", "H3")
    assert e.verdict is PairVerdict.VULNERABILITY
    assert (e.vulnerability, e.capacity) == (3, 1)
    assert "vulnerability (3)" in e.message and "capacity 1" in e.message


def test_exclusion_names_who_excluded_whom() -> None:
    by_group = why_not(ROUND, RESULT, "G1", "H4")
    assert by_group.verdict is PairVerdict.EXCLUDED
    assert by_group.excluded_by == ("group",)
    assert by_group.message.startswith("G1 excluded H4")
    by_household = why_not(ROUND, RESULT, "G1", "H5")
    assert by_household.excluded_by == ("household",)
    assert by_household.message.startswith("H5 excluded G1")


def test_distance_is_the_first_reason_even_when_others_also_apply() -> None:
    far_and_vulnerable = Round(
        ROUND.parameters, ROUND.groups, (household("H9", 9.0, vulnerability=5),)
    )
    e = why_not(far_and_vulnerable, RESULT, "G1", "H9")
    assert e.verdict is PairVerdict.OUT_OF_RANGE
    assert e.vulnerability == 5  # still reported, for the web page


def test_eligible_but_not_chosen_shows_who_took_the_partners() -> None:
    e = why_not(ROUND, RESULT, "G2", "H1")
    assert e.verdict is PairVerdict.NOT_CHOSEN
    assert e.group_match == Pair("G2", "H6", 0.5, 0, 1)
    assert e.household_pair == Pair("G1", "H1", 1.0, 0, 0)
    assert e.household_role is Role.MATCH
    assert (e.group_rank, e.household_rank) == (1, 1)  # neither ranks the other's type
    assert "G2 was matched with H6" in e.message and "H1 was matched with G1" in e.message
    assert "ranks couple not at all" in e.message


def test_unknown_ids_are_input_errors_naming_the_id() -> None:
    with pytest.raises(InvalidInput, match=r"^group G9: id: not in the round"):
        why_not(ROUND, RESULT, "G9", "H1")
    with pytest.raises(InvalidInput, match=r"^household H9: id: not in the round"):
        why_not(ROUND, RESULT, "G1", "H9")


def test_explanations_agree_with_the_engine_on_a_generated_round() -> None:
    round_ = generate_round(groups=15, households=45, cities=2, seed=3, control_arm=True)
    result = run_round(round_)
    for m in result.matches:
        assert why_not(round_, result, m.group, m.household).verdict is PairVerdict.MATCHED
    for c in result.controls:
        assert why_not(round_, result, c.group, c.household).verdict is PairVerdict.CONTROL
    for u in result.unmatched_households:
        verdicts = {why_not(round_, result, g.id, u.id).verdict for g in round_.groups}
        if u.reason is UnmatchedReason.NO_PARTNER_IN_RANGE:
            assert verdicts == {PairVerdict.OUT_OF_RANGE}
        if u.reason is UnmatchedReason.PARTNERS_TAKEN:
            assert PairVerdict.NOT_CHOSEN in verdicts
        assert PairVerdict.MATCHED not in verdicts


def test_stable_mechanism_explains_not_chosen_by_stability() -> None:
    stable_round = Round(Parameters(mechanism=Mechanism.STABLE), ROUND.groups, ROUND.households)
    stable_result = Result(
        stable_round.parameters,
        RESULT.matches,
        (),
        RESULT.unmatched_groups,
        RESULT.unmatched_households,
        RESULT.summary,
    )
    e = why_not(stable_round, stable_result, "G2", "H1")
    assert e.verdict is PairVerdict.NOT_CHOSEN and e.mechanism is Mechanism.STABLE
    assert "stable, so at least one of them has a partner it ranks at least as high" in e.message
