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
