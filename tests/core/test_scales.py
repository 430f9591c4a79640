"""The survey scales carry exactly the option codes and levels of the evaluation contract."""

import pytest

from welcomematch.core.scales import CEFR_LEVELS, SCALES, scale


def test_scales_have_the_contract_codes_in_order():
    assert SCALES["likert5"].codes == (
        "strongly_agree",
        "somewhat_agree",
        "neutral",
        "somewhat_disagree",
        "strongly_disagree",
    )
    assert SCALES["satisfaction5"].codes == (
        "very_satisfied",
        "somewhat_satisfied",
        "neutral",
        "somewhat_dissatisfied",
        "very_dissatisfied",
    )
    assert SCALES["cefr"].codes == ("none", "A1", "A2", "B1", "B2", "C1", "C2")
    assert SCALES["yes_no"].codes == ("yes", "no")
    assert SCALES["work_status"].codes == (
        "full_time",
        "part_time",
        "volunteer",
        "internship",
        "student",
        "training",
        "looking",
        "none",
    )
    assert SCALES["group_role"].codes == (
        "friend",
        "volunteer",
        "coach",
        "buddy",
        "family",
        "neighbour",
        "teacher",
        "other",
    )


def test_select_multiple_scales_and_the_three_role_limit():
    assert SCALES["work_status"].multiple and SCALES["work_status"].max_choices is None
    assert SCALES["group_role"].multiple and SCALES["group_role"].max_choices == 3
    assert not SCALES["likert5"].multiple


def test_cefr_levels_count_from_none_zero_to_c2_six():
    assert {o.code: o.level for o in SCALES["cefr"].options} == dict(CEFR_LEVELS)
    assert CEFR_LEVELS["none"] == 0 and CEFR_LEVELS["C2"] == 6


def test_labels_fall_back_to_english_then_code():
    option = SCALES["likert5"].option("neutral")
    assert option.label("nl") == "Niet mee eens, noch oneens"
    assert option.label("ti") == "Neither agree nor disagree"
    with pytest.raises(KeyError, match="unknown scale 'stars'"):
        scale("stars")
