"""Concurrent requests get one success and clean refusals, never a 500 or a duplicate.

The thread tests need PostgreSQL (row and advisory locks; SQLite runs one write transaction at
a time and its test database is not shared between threads): they skip on SQLite. The
double-submitted check-in is also tested one request after the other, on both databases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    make_city,
    make_group,
    make_household,
    make_programme,
    make_user,
)
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role, User
from welcomematch.intake.models import WelcomeGroup
from welcomematch.lifecycle.models import CheckIn, Match
from welcomematch.matching import services as matching
from welcomematch.matching.models import RoundStatus

REPO = Path(__file__).resolve().parents[2]

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:")),
    reason="races need PostgreSQL's row locks: run with DATABASE_URL=postgres://...",
)


def _simultaneously(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same moment; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # reported by the test, not lost in the thread
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setting(transactional_db: Any) -> dict[str, Any]:
    programme = make_programme()
    city = make_city(programme)
    return {
        "programme": programme,
        "city": city,
        "coordinator": make_user(Role.COORDINATOR, programme=programme),
    }


@needs_postgresql
def test_two_rounds_sharing_a_group_confirmed_at_once_make_one_match(
    setting: dict[str, Any],
) -> None:
    programme, city = setting["programme"], setting["city"]
    group = make_group(city)
    rounds = []
    for household in (make_household(city), make_household(city, contact_name="Hiba")):
        round_ = matching.round_create(
            programme=programme,
            name="R",
            actor=None,
            groups=[group],
            households=[household],
            seed=1,
        )
        rounds.append(matching.round_run(round=round_, actor=None))
    clients = [_client(setting["coordinator"]) for _ in rounds]
    responses = _simultaneously(
        [
            (lambda c=c, r=r: c.post(reverse("matching:round_confirm", args=[r.pk])))
            for c, r in zip(clients, rounds, strict=True)
        ]
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302, 302]
    statuses = sorted(type(r).objects.get(pk=r.pk).status for r in rounds)
    assert statuses == [RoundStatus.CONFIRMED, RoundStatus.PROPOSED]
    assert Match.objects.filter(group=group).count() == 1


@needs_postgresql
def test_four_new_groups_posted_at_once_get_four_references(setting: dict[str, Any]) -> None:
    clients = [_client(setting["coordinator"]) for _ in range(4)]
    data = {"city": setting["city"].pk, "days": 14}
    responses = _simultaneously(
        [
            (lambda c=c, i=i: c.post(reverse("intake:group_new"), {**data, "name": f"Groep {i}"}))
            for i, c in enumerate(clients)
        ]
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302] * 4
    references = list(WelcomeGroup.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 4


def _checkin_post(match: Match) -> dict[str, Any]:
    page = _client(User.objects.get(username="coordinator-user")).get(
        reverse("lifecycle:match_detail", args=[match.pk])
    )
    key = page.context["checkin_form"]["submission_key"].value()
    return {"held_on": timezone.localdate().isoformat(), "mode": "call", "submission_key": key}


@needs_postgresql
def test_a_check_in_sent_twice_at_once_is_recorded_once(setting: dict[str, Any]) -> None:
    match = make_match(make_group(setting["city"]), make_household(setting["city"]))
    data = _checkin_post(match)
    url = reverse("lifecycle:checkin_add", args=[match.pk])
    clients = [_client(setting["coordinator"]) for _ in range(2)]
    responses = _simultaneously([(lambda c=c: c.post(url, data)) for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert CheckIn.objects.filter(match=match).count() == 1


@pytest.mark.django_db
def test_a_check_in_form_sent_twice_is_recorded_once() -> None:
    programme = make_programme()
    city = make_city(programme)
    make_user(Role.COORDINATOR, programme=programme)
    match = make_match(make_group(city), make_household(city))
    data = _checkin_post(match)
    client = _client(User.objects.get(username="coordinator-user"))
    url = reverse("lifecycle:checkin_add", args=[match.pk])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert CheckIn.objects.filter(match=match).count() == 1
    # A fresh form is a new check-in.
    assert client.post(url, _checkin_post(match)).status_code == 302
    assert CheckIn.objects.filter(match=match).count() == 2


@needs_postgresql
@pytest.mark.slow
@pytest.mark.django_db
def test_demo_yes_on_postgresql_builds_twice_with_its_category_lists(tmp_path: Path) -> None:
    """Measured defect: on PostgreSQL the demo flushed the seeded category lists and failed."""
    import psycopg

    settings_db = connection.settings_dict
    name = f"{settings_db['NAME']}_demo"
    admin = psycopg.connect(
        host=settings_db["HOST"] or "127.0.0.1",
        port=settings_db["PORT"] or 5432,
        user=settings_db["USER"],
        password=settings_db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = (
        f"postgres://{settings_db['USER']}@{settings_db['HOST'] or '127.0.0.1'}:"
        f"{settings_db['PORT'] or 5432}/{name}"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env |= {"WELCOMEMATCH_HOME": str(tmp_path), "PYTHONPATH": str(REPO), "DATABASE_URL": url}
    command = [sys.executable, "-m", "welcomematch", "demo", "--yes", "--no-serve"]
    command += ["--password", PASSWORD, "--seed", "7"]
    for _ in range(2):
        run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr
    with psycopg.connect(url) as check:
        categories = check.execute("SELECT count(*) FROM programmes_category").fetchone()
        groups = check.execute("SELECT count(*) FROM intake_welcomegroup").fetchone()
    assert categories is not None and categories[0] > 20
    assert groups is not None and groups[0] == 44
