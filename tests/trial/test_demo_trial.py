"""The demo programme has a study whose trial page shows the whole picture."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from welcomematch.demo import build_demo
from welcomematch.matching.models import MatchingRound
from welcomematch.trial import dataset, selectors
from welcomematch.trial.models import ControlAssignment, Study

pytestmark = pytest.mark.django_db


def test_the_demo_study_covers_every_randomised_pair_and_its_page_opens():
    summary = build_demo(seed=2020, password="demo-pass")
    study = Study.objects.get(programme=summary.programme)
    units = selectors.register_units(study=study)
    assert len(units) == ControlAssignment.objects.count() >= 15
    rows = dataset.study_rows(study=study)
    treated = {r.household.pk for r in rows if r.arm == "treatment"}
    controls = {r.household.pk for r in rows if r.arm == "control"}
    assert len(treated) == len(controls) == len(units) and not treated & controls
    assert MatchingRound.objects.filter(control_arm=True).count() >= 4
    client = Client()
    assert client.login(username="researcher", password="demo-pass")
    page = client.get(reverse("trial:study"))
    assert page.status_code == 200
    assert page.context["balance"]
    outcomes = page.context["outcomes"]
    assert [o["data"]["outcome"] for o in outcomes] == ["dutch_cefr_gain", "in_work_or_education"]
    for outcome in outcomes:
        data = outcome["data"]
        # Final-survey outcomes for both arms, and more attrition in the control arm.
        assert data["observed"]["treatment"] > 0 and data["observed"]["control"] > 0
        assert data["attrition"]["control"] > data["attrition"]["treatment"]
        assert data["paired"] is not None and outcome["chart"].startswith("<svg")
    assert page.context["rates"].moment == "final"
    assert page.context["attrition_chart"].startswith("<svg")
