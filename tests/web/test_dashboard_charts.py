"""The dashboard's charts: the pipeline per city, the waiting-time distribution and the
matches needing attention, as server-side SVG with the same numbers as a table."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role
from welcomematch.lifecycle.models import MatchStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    """Almere: households in every stage (intake, ready, matched, first meeting planned,
    active); Haarlem: one ready group and one ready household. Groups pair as needed."""
    programme = make_programme()
    almere = make_city(programme, "Almere")
    haarlem = make_city(programme, "Haarlem")
    users = {role: make_user(role, programme=programme) for role in Role}
    make_household(almere, contact_name="incomplete", completed=False)
    make_household(almere, contact_name="ready")
    for status in (MatchStatus.PROPOSED, MatchStatus.INTRODUCED, MatchStatus.ACTIVE):
        group = make_group(almere, name=f"G {status}", willingness=2, experience=2)
        household = make_household(almere, contact_name=str(status))
        make_match(group, household, status=status)
    make_group(haarlem, name="Haarlem ready")
    make_household(haarlem, contact_name="Haarlem ready")
    return {"programme": programme, "users": users}


def get(world: dict[str, Any], role: Role) -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["users"][role])
    return client.get(reverse("web:dashboard"))


def test_the_pipeline_counts_each_city_and_side_with_first_meetings_apart(world):
    rows = dict(get(world, Role.COORDINATOR).context["pipeline_rows"])
    # intake, ready, matched, first meeting planned, active, ended, control
    assert rows["Almere: households"] == [1, 1, 1, 1, 1, 0, 0]
    assert rows["Almere: groups"] == [0, 0, 1, 1, 1, 0, 0]
    assert rows["Haarlem: groups"] == [0, 1, 0, 0, 0, 0, 0]
    assert rows["Haarlem: households"] == [0, 1, 0, 0, 0, 0, 0]


def test_each_chart_is_an_accessible_svg_with_its_numbers_as_a_table(world):
    html = get(world, Role.COORDINATOR).content.decode()
    for chart in ("pipeline", "waiting", "attention"):
        section = html.split(f'id="{chart}-chart"', 1)[1].split("</section>", 1)[0]
        assert re.search(r'<svg [^>]*xmlns="http://www\.w3\.org/2000/svg"', section)
        assert 'role="img"' in section and "<title" in section and "<desc" in section
        assert "<details>" in section and "<table" in section


def test_the_dashboard_makes_no_outside_requests(world):
    html = get(world, Role.COORDINATOR).content.decode()
    outside = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert outside == []
    # The only script is the site's own static file (the folded menu, the table scroll boxes).
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/welcomematch/site.js" defer>']


def test_waiting_distribution_counts_those_who_met_and_those_still_waiting(world):
    context = get(world, Role.COORDINATOR).context
    bins = [(met, waiting) for _label, met, waiting in context["wait_bins"]]
    # Everybody completed their intake today. Met (0 days): the active match's group and
    # household, and the introduced match's pair, whose first meeting was planned for the
    # moment it was made and has passed. Still waiting (0 days so far): the proposed match's
    # pair and the three who are ready.
    assert bins == [(4, 5), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]


def test_matches_needing_attention_come_first_on_the_dashboard(world):
    # A coordinator lowers the first-meeting target to 0 days: the proposed match needs one.
    # A household completed its intake ten days ago and waits beyond a 5-day target.
    programme = world["programme"]
    programme.first_meeting_days = 0
    programme.target_days = 5
    programme.save()
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=10)):
        make_household(programme.cities.get(name="Haarlem"), contact_name="long wait")
    context = get(world, Role.COORDINATOR).context
    rules = [a["rule"] for a in context["alerts"]]
    # The introduced match's first meeting (planned for the moment it was made) took place.
    assert rules == ["no_first_meeting", "waiting_beyond_target"]
    counts = dict(context["alert_counts"])
    assert counts["No first meeting yet"] == rules.count("no_first_meeting")


@pytest.mark.parametrize(
    ("role", "waiting", "attention"),
    [
        (Role.COORDINATOR, True, True),
        (Role.ADMINISTRATOR, True, True),
        (Role.RESEARCHER, True, False),
        (Role.AMBASSADOR, False, False),
    ],
)
def test_who_sees_which_chart(world, role, waiting, attention):
    context = get(world, role).context
    assert "pipeline_chart" in context
    assert ("wait_chart" in context) is waiting
    assert ("alert_chart" in context) is attention


def test_the_dashboard_says_how_many_warnings_it_leaves_out_and_links_to_all(world, monkeypatch):
    from welcomematch.web import views

    programme = world["programme"]
    programme.first_meeting_days = 0
    programme.target_days = 5
    programme.save()
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=10)):
        make_household(programme.cities.get(name="Haarlem"), contact_name="long wait")
    monkeypatch.setattr(views, "DASHBOARD_ALERTS", 1)
    response = get(world, Role.COORDINATOR)
    assert len(response.context["alerts"]) == 1 and response.context["alert_total"] == 2
    total = re.search(r'<p id="alert-total">(.*?)</p>', response.content.decode(), re.S)
    assert total is not None and "The first 1 of 2 warnings." in total.group(1)
    assert reverse("lifecycle:waiting_times") in total.group(1)
