"""The browser's language picks Dutch or English on a first visit; a user's switch is
remembered on the user and applied at their next login, on any browser."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_programme, make_user
from welcomematch.accounts.models import AuditEvent, Role, User
from welcomematch.accounts.services import ERR_LANGUAGE, user_set_language

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("en", "en"),
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("de-DE,fr;q=0.8", "nl"),
        ("", "nl"),
    ],
)
def test_first_visit_follows_the_browsers_language_with_dutch_otherwise(accept, expected):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = Client().get(reverse("login"), **headers)
    assert page_language(response) == expected


def test_the_switch_is_remembered_on_the_logged_in_user_and_audited():
    user = make_user(Role.COORDINATOR, programme=make_programme())
    client = Client()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    event = AuditEvent.objects.get(action="user.language")
    assert event.data == {"from": "", "to": "en"}


def test_a_login_applies_the_users_own_language_over_the_browsers():
    user = make_user(Role.COORDINATOR, programme=make_programme())
    user_set_language(user=user, language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert page_language(response) == "en"


def test_a_user_who_never_chose_keeps_the_browsers_language_at_login():
    user = make_user(Role.COORDINATOR, programme=make_programme())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert page_language(response) == "en"


def test_switching_without_a_login_only_sets_the_cookie():
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert page_language(client.get(reverse("login"))) == "en"
    assert not AuditEvent.objects.filter(action="user.language").exists()


def test_an_unknown_language_is_ignored_by_the_switch_and_refused_by_the_service():
    user = make_user(Role.COORDINATOR, programme=make_programme())
    client = Client()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert User.objects.get(pk=user.pk).language == ""
    with pytest.raises(ValidationError) as error:
        user_set_language(user=user, language="xx")
    assert str(ERR_LANGUAGE % {"code": "xx"}) in str(error.value)
