"""Every page, posted random form data: never a 500, and a refused post writes nothing.

Hypothesis draws a page (every URL pattern of the security table but the admin site), field
names (every field of every form of the application, and some unknown ones) and hostile
values (huge numbers, empty and whitespace strings, dates that do not exist, long text,
control and right-to-left characters). Each request is rolled back, so every example starts
from the same world. The number of examples is bounded so the test stays fast.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.project.test_url_access import TABLE, _kwargs, _programme_records, url_patterns

pytestmark = pytest.mark.django_db

FORM_MODULES = (
    "welcomematch.accounts.forms",
    "welcomematch.intake.forms",
    "welcomematch.lifecycle.forms",
    "welcomematch.matching.forms",
    "welcomematch.privacy.forms",
    "welcomematch.reports.forms",
    "welcomematch.surveys.forms",
    "welcomematch.trial.forms",
    "welcomematch.web.forms",
)
#: Tables a refused request may still write to: the audit trail (reads, failed logins),
#: login throttling and sessions.
LOG_TABLES = {
    "accounts.auditevent",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "sessions.session",
}


def _field_names() -> list[str]:
    names: set[str] = set()
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and hasattr(cls, "base_fields"):
                names |= set(cls.base_fields)
    return sorted(names | {"username", "password", "more", "persons-TOTAL_FORMS", "x"})


HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "9" * 400,
        "1e309",
        "NaN",
        "2026-02-30",
        "2026-13-01T25:61",
        "on",
        "yes",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\u202eevil",
        "a" * 5000,
        "None",
        "[]",
        "{}",
    ]
)
VALUE = st.one_of(
    HOSTILE,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)
PAGES = sorted(name for name in TABLE if name != "admin:*")


@pytest.fixture
def world() -> dict[str, Any]:
    return {"mine": _programme_records("mine", users=True)}


def _counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in LOG_TABLES and model._meta.managed
    }


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    page=st.sampled_from(PAGES),
    role=st.sampled_from(["administrator", "coordinator", "ambassador"]),
    data=st.dictionaries(st.sampled_from(_field_names()), VALUE, max_size=8),
)
def test_random_posts_never_fail_and_refusals_write_nothing(
    world: dict[str, Any], page: str, role: str, data: dict[str, str]
) -> None:
    records = world["mine"]
    url = reverse(page, kwargs=_kwargs(page, url_patterns()[page], records, "own"))
    with transaction.atomic():
        client = Client()  # raises the view's exception, if any, instead of answering 500
        client.force_login(records["users"][role])
        before = _counts()
        response = client.post(url, data)
        after = _counts()
        transaction.set_rollback(True)
    assert response.status_code < 500, (page, data)
    if response.status_code not in (200, 302) or (
        response.status_code == 200 and response.context and _has_errors(response.context)
    ):
        assert before == after, (page, data, response.status_code)


def _has_errors(context: Any) -> bool:
    contexts = context if isinstance(context, list) else [context]
    for ctx in contexts:
        for value in ctx.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                return True
    return False
