"""Lottery audit: indistinguishable participants get equal chances; eligibility is flagged."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest, chisquare

from welcomematch.core.audit import DecidedBy, audit_lottery, derive_areas
from welcomematch.core.engine import run_round
from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import Group, Household, Mechanism, Parameters, Result, Round

# Significance for the statistical checks: seeds are fixed, so these are deterministic, but a
# biased lottery would fail them by a wide margin.
ALPHA = 0.001


def symmetric_round(
    k: int, *, control_arm: bool = False, mechanism: Mechanism = Mechanism.OPTIMAL
) -> Round:
    """One group and k identical households at one postcode point, plus one far away."""
    same = tuple(Household(f"H{j}", 52.37, 4.89, 1, "couple", ("mixed_ages",)) for j in range(k))
    far = Household("HX", 51.92, 4.48, 0, "couple", ("mixed_ages",))  # Rotterdam, ~57 km
    return Round(
        parameters=Parameters(mechanism=mechanism, control_arm=control_arm, seed=11),
        groups=(Group("G0", 52.371, 4.891, 2, "mixed_ages", ("couple",)),),
        households=(*same, far),
    )


@pytest.mark.parametrize("mechanism", [Mechanism.OPTIMAL, Mechanism.STABLE])
def test_each_of_k_identical_households_is_matched_with_probability_one_in_k(
    mechanism: Mechanism,
) -> None:
    k, draws = 4, 400
    audit = audit_lottery(symmetric_round(k, mechanism=mechanism), draws)
    counts = [c.matched for c in audit.households if c.id != "HX"]
    assert sum(counts) == draws  # the group is matched in every draw
    assert chisquare(counts).pvalue > ALPHA, counts
    for c in audit.households:
        if c.id != "HX":
            assert c.decided_by is DecidedBy.LOTTERY
            assert c.p_matched == pytest.approx(1 / k, abs=0.08)
    group = audit.groups[0]
    assert (group.p_matched, group.decided_by) == (1.0, DecidedBy.RULES)


def test_household_without_partner_in_range_has_chance_zero_decided_by_eligibility() -> None:
    audit = audit_lottery(symmetric_round(3), 50)
    far = next(c for c in audit.households if c.id == "HX")
    assert (far.matched, far.p_matched, far.eligible_partners) == (0, 0.0, 0)
    assert far.decided_by is DecidedBy.ELIGIBILITY


def test_control_coin_is_fair() -> None:
    draws = 400
    audit = audit_lottery(symmetric_round(2, control_arm=True), draws)
    h0, h1 = (c for c in audit.households if c.id in ("H0", "H1"))
    # both are assigned every time; the coin decides which is treatment
    assert h0.matched + h0.control == draws and h1.matched + h1.control == draws
    assert h0.matched + h1.matched == draws
    assert binomtest(h0.matched, draws, 0.5).pvalue > ALPHA
    assert h0.decided_by is DecidedBy.LOTTERY
    g = audit.groups[0]
    assert (g.p_matched, g.p_control, g.decided_by) == (1.0, 1.0, DecidedBy.RULES)


def test_seeds_run_from_the_rounds_seed_unless_given() -> None:
    seen: list[int] = []

    def recording_run(round_: Round) -> Result:
        seen.append(round_.parameters.seed)
        return run_round(round_)

    audit_lottery(symmetric_round(2), 3, run=recording_run)
    audit_lottery(symmetric_round(2), 2, first_seed=100, run=recording_run)
    assert seen == [11, 12, 13, 100, 101]


def test_breakdowns_cover_type_level_and_area_of_both_sides() -> None:
    audit = audit_lottery(symmetric_round(3), 20)
    by = {(b.side, b.by, b.value): b for b in audit.breakdowns}
    couples = by[("household", "type", "couple")]
    assert couples.participants == 4
    assert couples.decided_by_eligibility == 1 and couples.decided_by_lottery == 3
    assert couples.mean_p_matched == pytest.approx(0.25)
    assert by[("household", "level", "1")].participants == 3
    assert by[("household", "level", "0")].max_p_matched == 0.0
    # two areas: Amsterdam (group and three households) and Rotterdam (one household)
    assert [a.participants for a in audit.areas] == [4, 1]
    assert audit.areas[0].name == "A1 Amsterdam" and audit.areas[1].name == "A2 Rotterdam"
    assert by[("household", "area", "A2 Rotterdam")].mean_p_matched == 0.0
    assert ("group", "type", "mixed_ages") in by


def test_areas_link_points_within_the_linkage_distance_through_chains() -> None:
    # points 2 km apart in a chain form one area; a point 10 km further is its own area
    step = 2.0 / 111.195
    lat = [52.0, 52.0 + step, 52.0 + 2 * step, 52.0 + 2 * step + 10 * step / 2]
    labels, areas = derive_areas(lat, [5.0] * 4, link_km=3.0)
    assert labels == [0, 0, 0, 1]
    assert [a.participants for a in areas] == [3, 1]


@pytest.mark.parametrize("draws", [0, -1])
def test_draws_must_be_positive(draws: int) -> None:
    with pytest.raises(InvalidInput, match=r"^draws: must be an integer >= 1"):
        audit_lottery(symmetric_round(1), draws)
