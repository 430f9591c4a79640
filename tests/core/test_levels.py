"""Vulnerability from self-sufficiency domains and flags; capacity from willingness and experience."""

import pytest

from welcomematch.core.levels import SSM_DOMAINS, CapacityRule, VulnerabilityRule

ALL_FINE = dict.fromkeys(SSM_DOMAINS, 5)
NO_FLAGS: dict[str, bool] = {}


def test_there_are_thirteen_self_sufficiency_domains():
    assert len(SSM_DOMAINS) == 13
    assert len(set(SSM_DOMAINS)) == 13


def test_fully_self_sufficient_household_has_level_zero():
    assert VulnerabilityRule().level(ALL_FINE, NO_FLAGS, "couple") == 0


def test_points_add_domain_scores_flags_and_type():
    rule = VulnerabilityRule(
        score_points={1: 4, 2: 2, 3: 1, 4: 0, 5: 0},
        flag_points={"trauma": 3},
        type_points={"single_parent": 2},
        thresholds=(4, 9, 15),
    )
    scores = {**ALL_FINE, "finances": 2, "mental_health": 1, "housing": 3}
    # 2 + 4 + 1 = 7 from domains, + 3 trauma, + 2 single parent = 12 -> reaches 4 and 9
    assert rule.points(scores, {"trauma": True}, "single_parent") == 12
    assert rule.level(scores, {"trauma": True}, "single_parent") == 2
    assert rule.level(scores, {"trauma": False}, "couple") == 1


def test_missing_domain_counts_as_self_sufficient():
    assert VulnerabilityRule().points({}, NO_FLAGS, "couple") == 0


def test_score_outside_the_scale_is_refused():
    with pytest.raises(ValueError, match="finances"):
        VulnerabilityRule().level({"finances": 7}, NO_FLAGS, "couple")


def test_vulnerability_rule_round_trips_through_json_and_rejects_unordered_thresholds():
    rule = VulnerabilityRule(thresholds=(2, 5, 11), flag_points={"disability": 5})
    assert VulnerabilityRule.from_dict(rule.to_dict()) == rule
    with pytest.raises(ValueError, match="increasing"):
        VulnerabilityRule.from_dict({"thresholds": [9, 4]})


@pytest.mark.parametrize(
    ("willingness", "experience", "expected"),
    [(0, 0, 0), (0, 2, 0), (1, 0, 1), (1, 2, 2), (2, 1, 2), (2, 2, 3)],
)
def test_default_capacity_table(willingness, experience, expected):
    assert CapacityRule().level(willingness, experience) == expected


def test_capacity_rule_validates_its_table_and_inputs():
    custom = CapacityRule.from_dict({"table": [[0, 1, 1], [1, 2, 2], [2, 3, 4]]})
    assert custom.level(2, 2) == 4
    with pytest.raises(ValueError, match="3 rows"):
        CapacityRule.from_dict({"table": [[0, 1]]})
    with pytest.raises(ValueError, match="willingness"):
        CapacityRule().level(3, 0)
