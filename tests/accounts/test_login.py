"""The login page: labelled fields, a wrong password is said so, a right one opens the dashboard."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_user
from welcomematch.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_login_form_has_labelled_fields() -> None:
    html = Client().get(reverse("login")).content.decode()
    assert '<label for="id_username">' in html and 'id="id_username"' in html
    assert '<label for="id_password">' in html and 'id="id_password"' in html


def test_wrong_password_is_reported_and_right_one_opens_the_dashboard() -> None:
    user = make_user(Role.COORDINATOR)
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("web:dashboard")


def test_logout_is_a_post_and_returns_to_the_login_page() -> None:
    client = Client()
    client.force_login(make_user(Role.COORDINATOR))
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("web:dashboard")).status_code == 302
