"""A mid-term wave clicked through in Chromium: the coordinator opens it for one city, a
newcomer answers through a personal link on a 360 px phone screen in English, and the
coordinator sees the completion."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_city, make_programme
from tests.surveys.conftest import trial_pair
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.programmes.models import City
from welcomematch.surveys.models import Response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer_page(phone) -> None:
    """Answer every question on the current survey page."""
    for fieldset in phone.query_selector_all("fieldset.choices"):
        fieldset.query_selector("input").check()
    for number in phone.query_selector_all("input[type=number]"):
        number.fill("3")


def test_coordinator_opens_a_city_wave_and_a_newcomer_answers_on_a_phone(page, browser):
    now = timezone.now()
    programme = make_programme()
    almere = make_city(programme, "Almere")
    utrecht = City.objects.create(
        programme=programme, name="Utrecht", latitude=52.09, longitude=5.12
    )
    user_create(username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme)
    trial_pair(programme, almere, prefix="A", months=6, now=now)
    match, _control = trial_pair(programme, utrecht, prefix="U", months=6, now=now)

    # The coordinator opens a mid-term wave for Utrecht only.
    log_in(page, "carla", PASSWORD)
    page.goto("/surveys/")
    page.select_option("#id_moment", "midterm")
    page.select_option("#id_city", label="Utrecht")
    page.get_by_role("button", name="Ronde openen").click()
    page.wait_for_load_state("networkidle")
    assert "/surveys/waves/" in page.url, page.inner_text("main")
    page.wait_for_selector("#completion-total")
    assert "0 van 5 ingevuld" in page.inner_text("#completion-total")
    assert "Almere" not in page.inner_text("#per-city")
    wave_url = page.url

    # A text for WhatsApp with the newcomer's personal link.
    row = page.locator("#missing tr", has_text=match.household.contact_name).first
    row.get_by_role("button", name="Tekst voor WhatsApp").click()
    link = page.inner_text("#personal-link").strip()
    assert link in page.input_value("#reminder-text")
    assert "Your personal link" in page.input_value("#reminder-text")  # the newcomer's language

    # The newcomer answers on a phone-sized screen, without logging in, in English.
    phone_context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-GB", is_mobile=True, has_touch=True
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(15_000)
    phone.goto(link)
    assert phone.get_attribute("html", "lang") == "en"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("link", name="Start").click()
    pages = 0
    while True:
        pages += 1
        assert pages < 15
        phone.wait_for_selector("form.survey-page")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        progress = phone.inner_text("p.progress")
        _answer_page(phone)
        current, total = map(int, re.findall(r"\d+", progress))
        if current == total:
            phone.get_by_role("button", name="Send my answers").click()
            break
        phone.get_by_role("button", name="Save and continue").click()
    phone.wait_for_selector("text=Your answers have been sent")
    phone_context.close()
    response = Response.objects.get(submitted_at__isnull=False)
    assert (response.side, response.city, response.source) == ("newcomer", utrecht, "web")

    # The coordinator sees the completion.
    page.goto(wave_url)
    assert "1 van 5 ingevuld" in page.inner_text("#completion-total")
    per_side = page.inner_text("#per-side")
    assert re.search(r"Nieuwkomer\s+2\s+1\s+1\s+50%", per_side)
    assert page.locator("#missing tr", has_text="Partner").count() == 1
