"""The demo programme resembles the pilot and a coordinator can log in and browse it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.urls import reverse

from welcomematch.demo import build_demo
from welcomematch.intake.models import Household, Person, Postcode, WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.trial.models import ControlAssignment

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "demo-test-password"


@pytest.fixture
def demo(db):
    return build_demo(seed=2020, password=PASSWORD)


def test_demo_resembles_the_pilot_cities_counts_origins_compositions_and_levels(demo):
    assert demo.cities == ["Almere", "Den Haag", "Haarlem", "Rotterdam"]
    assert WelcomeGroup.objects.count() == 44
    assert 95 <= Household.objects.count() <= 105
    sizes = [g.members.count() for g in WelcomeGroup.objects.all()]
    assert min(sizes) >= 4 and max(sizes) <= 9

    origins = Counter(Household.objects.values_list("country_of_origin", flat=True))
    total = sum(origins.values())
    assert 0.40 <= origins["SY"] / total <= 0.65
    assert 0.20 <= origins["ER"] / total <= 0.40
    assert len(origins) >= 4

    types = Counter(Household.objects.values_list("household_type", flat=True))
    assert {"family_with_children", "couple", "single_parent", "single_man", "single_woman"} <= set(
        types
    )
    families = Household.objects.filter(household_type="family_with_children")
    children = [Person.objects.filter(household=h, relation="child").count() for h in families]
    assert 2.3 <= sum(children) / len(children) <= 3.7
    assert len({h.vulnerability_level for h in Household.objects.all()}) >= 3
    assert len({g.capacity_level for g in WelcomeGroup.objects.all()}) >= 3


def test_demo_participants_have_real_postcodes_geocoded_from_the_table(demo):
    for row in list(Household.objects.all()) + list(WelcomeGroup.objects.all()):
        postcode = Postcode.objects.get(country="NL", code=row.postcode)
        assert (row.latitude, row.longitude) == (postcode.latitude, postcode.longitude)
        assert (
            postcode.municipality.replace("Gemeente ", "").replace(" Municipality", "")
            == row.city.name
        )


def test_demo_ran_confirmed_rounds_with_controls_and_a_year_of_lifecycle(demo):
    confirmed = MatchingRound.objects.filter(status=RoundStatus.CONFIRMED)
    assert confirmed.count() == 4
    assert Match.objects.count() >= 35
    assert ControlAssignment.objects.count() >= 15
    statuses = Counter(Match.objects.values_list("status", flat=True))
    assert statuses[MatchStatus.ACTIVE] > 0 and statuses[MatchStatus.ENDED] > 0
    ended = Match.objects.filter(status=MatchStatus.ENDED)
    assert all(m.end_reason for m in ended)
    assert MatchingRound.objects.filter(status=RoundStatus.PROPOSED).exists()


def test_coordinator_can_log_in_and_browse(demo, client):
    assert client.login(username="coordinator", password=PASSWORD)
    dashboard = client.get(reverse("web:dashboard"))
    assert dashboard.status_code == 200
    assert "Rotterdam" in dashboard.content.decode()


@pytest.mark.slow
def test_demo_command_builds_a_database_and_exits(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "SITE_URL"}
    }
    env.update({"WELCOMEMATCH_HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "welcomematch",
            "demo",
            "--no-serve",
            "--password",
            "pw-123456",
            "--seed",
            "7",
            "--address",
            "127.0.0.1:8811",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "coordinator / pw-123456" in run.stdout
    assert (tmp_path / "welcomematch.sqlite3").stat().st_size > 100_000
    # The personal links in the demo's mail point at the address the demo serves.
    mail = [p.read_text("utf-8").replace("=\n", "") for p in (tmp_path / "mail").rglob("*.eml")]
    assert mail and any("http://127.0.0.1:8811/surveys/r/" in text for text in mail)
    assert not any("127.0.0.1:8000" in text for text in mail)
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "welcomematch",
            "demo",
            "--no-serve",
            "--password",
            "pw-123456",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert run.stdout.splitlines()[2:5] == again.stdout.splitlines()[2:5]


def test_demo_dates_tell_one_consistent_story_with_every_match_state(demo):
    """For each match: intake completed ≤ match made ≤ first meeting ≤ start ≤ check-ins ≤ end;
    its audit entries in the order of the events they record (none dated before the round's
    confirmation, the proposal at the moment the round confirmed it); every match state present
    with ambassadors, goals, check-ins; waiting times not all zero; warnings shown."""
    from django.utils import timezone

    from welcomematch.accounts.models import AuditEvent
    from welcomematch.lifecycle.selectors import waiting_overview

    now = timezone.now()
    today = timezone.localdate()
    statuses = Counter(Match.objects.values_list("status", flat=True))
    assert set(statuses) == set(MatchStatus.values), statuses
    matches = Match.objects.select_related("household", "group", "round").prefetch_related(
        "checkins", "goals"
    )
    for match in matches:
        made = match.proposed_at
        assert match.round.confirmed_at == made
        for side in (match.household, match.group):
            assert side.intake_completed_at is not None and side.intake_completed_at <= made
        if match.first_meeting_at is not None:
            assert made <= match.first_meeting_at
        if match.status == MatchStatus.INTRODUCED:
            assert match.first_meeting_at > now  # planned ahead
        if match.started_at is not None:
            assert match.first_meeting_at <= match.started_at <= now
        checkins = sorted(c.held_on for c in match.checkins.all())
        if checkins:
            assert timezone.localdate(match.started_at) <= checkins[0]
            assert checkins[-1] <= today
            if match.ended_at is not None:
                assert checkins[-1] <= timezone.localdate(match.ended_at)
        if match.ended_at is not None:
            assert match.started_at is not None and match.started_at <= match.ended_at <= now
        if match.status == MatchStatus.ENDED:
            assert match.end_reason
        events = list(
            AuditEvent.objects.filter(object_type="lifecycle.match", object_id=str(match.pk))
            .order_by("id")
            .values_list("action", "created_at")
        )
        assert events[0] == ("match.proposed", made)
        moments = [when for _action, when in events]
        assert moments == sorted(moments), (match, events)
        assert moments[-1] <= now
    rounds = AuditEvent.objects.filter(object_type="matching.matchinground").order_by("id")
    for rnd in MatchingRound.objects.filter(status=RoundStatus.CONFIRMED):
        trail = [e.created_at for e in rounds if e.object_id == str(rnd.pk)]
        assert trail and max(trail) == rnd.confirmed_at
    by_status = {s: matches.filter(status=s) for s in MatchStatus.values}
    for status in (MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED):
        rows = by_status[status]
        assert any(m.ambassador_id for m in rows), status
        assert all(m.goals.exists() and m.checkins.exists() for m in rows), status
    assert AuditEvent.objects.filter(action="match.first_meeting_moved").exists()
    overview = waiting_overview(programme=demo.programme)
    overall = next(c for c in overview.per_city if c.city == "")
    assert overall.to_first_meeting.count > 10
    assert overall.to_first_meeting.median and overall.to_first_meeting.median >= 14
    assert overall.to_match.median and overall.to_match.median > 7
    assert overview.alerts
