"""Refusals and missing pages are pages of the site, in words and in the user's language."""

from __future__ import annotations

import logging
from typing import Any

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from welcomematch.accounts.models import Role


def test_a_refused_page_is_the_sites_403_page_in_dutch(client_for: Any) -> None:
    response = client_for(Role.AMBASSADOR).get(reverse("accounts:audit_list"))
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="nl">' in html and 'class="site-header"' in html
    assert "Geen toegang tot deze pagina" in html
    assert "vraag dan een beheerder" in html


def test_the_403_page_is_english_for_an_english_user(client_for: Any) -> None:
    client = client_for(Role.AMBASSADOR)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("accounts:audit_list")).content.decode()
    assert "No access to this page" in html and "Back to the dashboard" in html


def test_a_refusal_is_logged_as_one_line_without_a_traceback(client_for: Any, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client_for(Role.AMBASSADOR).get(reverse("accounts:audit_list"))
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in refused] == ["Forbidden (Permission denied): /audit/"]
    assert refused[0].exc_info is None and "Traceback" not in caplog.text


def test_a_missing_page_is_the_sites_404_page(client_for: Any) -> None:
    response = client_for(Role.COORDINATOR).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Pagina niet gevonden" in html and 'class="site-header"' in html


def test_the_500_page_renders_without_a_request_context() -> None:
    with translation.override("nl"):
        html = render_to_string("500.html")
    assert "Er ging iets mis" in html and "Terug naar het overzicht" in html
    request = RequestFactory().get("/")
    with translation.override("en"):
        assert "Something went wrong" in render_to_string("500.html", request=request)


def test_a_failed_login_gets_the_error_summary(world: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    response = Client().post(reverse("login"), {"username": "nobody", "password": "wrong"})
    html = response.content.decode()
    assert 'id="error-summary"' in html and 'role="alert"' in html
