"""Hardening: login throttling, a strict CSP without inline code, no-store on personal pages,
idle and browser-close session expiry, and one HTTPS switch that satisfies ``check --deploy``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, make_city, make_household, make_programme, make_user
from welcomematch.accounts.models import Role
from welcomematch.intake.services import group_invite

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "welcomematch"


# --- login throttling ------------------------------------------------------------------------


@pytest.mark.django_db
def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in() -> None:
    """Measured defect: 50 wrong passwords in 18 s, then the right one logged in."""
    user = make_user(Role.COORDINATOR, programme=make_programme())
    client = Client()
    for _ in range(50):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("web:dashboard")).status_code == 302


@pytest.mark.django_db
def test_a_few_wrong_passwords_do_not_lock_the_account() -> None:
    user = make_user(Role.COORDINATOR, programme=make_programme())
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": user.username, "password": "x"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


# --- content security policy ------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_has_a_strict_content_security_policy() -> None:
    response = Client().get(reverse("login"))
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "http" not in policy  # no outside origins


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.IGNORECASE)


#: Templates that are no page of the site: e-mail bodies (mail clients load no style sheets,
#: and no Content-Security-Policy applies to a message) and self-contained downloaded files.
NOT_PAGES = {"mail", "files"}


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    templates = [
        path
        for path in PACKAGE.glob("*/templates/**/*.html")
        if not NOT_PAGES & set(path.relative_to(PACKAGE).parts)
    ]
    assert templates
    offenders = [
        str(path.relative_to(REPO))
        for path in templates
        if INLINE_SCRIPT.search(path.read_text(encoding="utf-8"))
        or INLINE_STYLE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- no-store -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_with_personal_data_are_not_stored_by_caches() -> None:
    programme = make_programme()
    city = make_city(programme)
    household = make_household(city, contact_phone="0612345678")
    client = Client()
    client.force_login(make_user(Role.COORDINATOR, programme=programme))
    response = client.get(reverse("web:household_detail", args=[household.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_personal_link_pages_open_without_login_and_are_not_stored() -> None:
    programme = make_programme()
    _group, _invitation, token = group_invite(
        programme=programme, city=make_city(programme), name="De Buren", actor=None
    )
    response = Client().get(reverse("intake:welcome", args=[token]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


# --- sessions --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_session_ends_after_the_idle_time_and_each_request_extends_it() -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert int(settings.SESSION_IDLE_HOURS * 3600) == settings.SESSION_COOKIE_AGE
    client = Client()
    user = make_user(Role.COORDINATOR, programme=make_programme())
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes
    key = client.session.session_key
    # Someone was here a while ago: the request pushes the expiry to a full idle period again.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("web:dashboard")).status_code == 200
    renewed = Session.objects.get(pk=key).expire_date - timezone.now()
    assert renewed > timedelta(hours=settings.SESSION_IDLE_HOURS) - timedelta(minutes=1)
    # Idle for longer than the limit: logged out.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- settings from the environment --------------------------------------------------------------


def _run(tmp_path: Path, code: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "HTTPS",
            "SECURE_COOKIES",
            "SESSION_IDLE_HOURS",
            "WELCOMEMATCH_LOCAL_KEY",
            # The browser tests' conftest sets it for this test process only (Playwright's
            # event loop); a production process never has it, and check --deploy rejects it.
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean |= {
        "WELCOMEMATCH_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "welcomematch.settings",
        "PYTHONPATH": str(REPO),
        **env,
    }
    return subprocess.run(
        [sys.executable, *code],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "n7Qe-0pV3sZ_" * 5,
    "ALLOWED_HOSTS": "match.example.org",
}
CHECK = ["-m", "welcomematch", "manage", "check", "--deploy", "--fail-level", "WARNING"]


def test_check_deploy_reports_no_issues_with_https_true(tmp_path: Path) -> None:
    run = _run(tmp_path, CHECK, **PRODUCTION, HTTPS="true")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_check_deploy_warns_without_https(tmp_path: Path) -> None:
    run = _run(tmp_path, CHECK, **PRODUCTION)
    assert run.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in run.stderr + run.stdout


PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
    "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE]))"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, [False, False, False, 0, 8 * 3600]),
        ({"HTTPS": "true"}, [True, True, True, 31_536_000, 8 * 3600]),
        ({"SECURE_COOKIES": "true"}, [True, True, False, 0, 8 * 3600]),
        ({"SESSION_IDLE_HOURS": "0.5"}, [False, False, False, 0, 1800]),
    ],
)
def test_https_and_session_settings(tmp_path: Path, env: dict[str, str], expected: Any) -> None:
    import json

    run = _run(tmp_path, ["-c", PRINT], SECRET_KEY="k", **env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == expected


def test_a_wrong_idle_time_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    run = _run(tmp_path, ["-c", PRINT], SECRET_KEY="k", SESSION_IDLE_HOURS="eight")
    assert run.returncode != 0
    assert "SESSION_IDLE_HOURS must be a number" in run.stderr
