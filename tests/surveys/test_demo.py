"""The demo programme has survey responses resembling the pilot's, and both trial arms."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from welcomematch.demo import build_demo
from welcomematch.surveys.demo import spread
from welcomematch.surveys.models import Answer, Response, SurveyWave


def test_spread_gives_counts_by_largest_remainder() -> None:
    answers = spread(("a", "b", "c"), (41, 10, 49), 51, random.Random(1))
    # 51 * (0.41, 0.10, 0.49) = 20.91, 5.1, 24.99 → 21, 5, 25
    assert Counter(answers) == {"a": 21, "b": 5, "c": 25}


def _shares(moment: str, side: str, code: str) -> Counter:
    responses = Response.objects.filter(moment=moment, side=side, submitted_at__isnull=False)
    return Counter(
        Answer.objects.filter(response__in=responses, item_code=code).values_list(
            "value", flat=True
        )
    )


@pytest.mark.slow
def test_demo_has_pilot_like_midterm_responses_and_final_responses_of_both_arms(db) -> None:
    build_demo(seed=2020, password="demo-test-password")
    assert SurveyWave.objects.count() == 3
    submitted = Response.objects.filter(submitted_at__isnull=False)
    assert submitted.filter(moment="midterm", side="group_member").count() == 51
    assert submitted.filter(moment="midterm", side="newcomer").count() == 23
    # the report's percentages, approximately
    trust = _shares("midterm", "group_member", "trust_match")
    assert round((trust["strongly_agree"] + trust["somewhat_agree"]) / 51, 2) == 0.98
    friends = _shares("midterm", "newcomer", "became_friends")
    assert round((friends["strongly_agree"] + friends["somewhat_agree"]) / 23, 1) == 0.8
    recommend = _shares("midterm", "newcomer", "would_recommend")
    assert recommend == {"yes": 23}
    dutch = _shares("midterm", "newcomer", "dutch_cefr")
    assert dutch["none"] == 1  # 4.3 %
    work = Counter(
        code
        for value in Answer.objects.filter(
            response__moment="midterm", response__side="newcomer", item_code="work_status"
        ).values_list("value", flat=True)
        for code in value
    )
    assert (work["full_time"], work["part_time"], work["volunteer"], work["internship"]) == (
        2,
        3,
        3,
        3,
    )
    assert work["student"] == 1
    # intake answers for the comparison, and the final survey of both arms with attrition
    assert submitted.filter(moment="intake", side="newcomer").exists()
    final = submitted.filter(moment="final", side="newcomer")
    arms = Counter(final.values_list("trial_arm", flat=True))
    assert arms["treatment"] > 0 and arms["control"] > 0
    invited_controls = (
        SurveyWave.objects.get(moment="final").respondents.filter(trial_arm="control").count()
    )
    assert arms["control"] < invited_controls  # some control households did not answer
    control_items = set(
        Answer.objects.filter(response__in=final.filter(trial_arm="control")).values_list(
            "item_code", flat=True
        )
    )
    assert "dutch_contacts_help" in control_items and "trust_match" not in control_items
