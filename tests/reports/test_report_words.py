"""The report page in words: item codes only for researchers, Dutch numbers and dates."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/reports/"


def _html(world, **query) -> str:
    client = Client()
    assert client.login(username=world["users"]["coordinator"].username, password=PASSWORD)
    return client.get(PAGE, {"moment": "midterm", **query}).content.decode()


def test_item_codes_are_only_in_the_researchers_details(world):
    html = _html(world)
    items = re.findall(r'<section class="report-item".*?</section>', html, re.S)
    assert items
    for item in items:
        code = re.search(r'aria-labelledby="item-([^"]+)"', item).group(1)
        details = re.search(r"<details class=\"researchers\">.*?</details>", item, re.S)
        assert details and f"<code>{code}</code>" in details.group(0)
        assert "Voor onderzoekers" in details.group(0)
        visible = re.sub(r"<[^>]+>", "", item.replace(details.group(0), ""))
        assert code not in visible
        title = re.search(r"<h3[^>]*>(.*?)</h3>", item).group(1)
        assert title and title != code


def test_shares_have_a_decimal_comma_and_dates_dutch_month_names(world):
    html = _html(world, date_from="2026-03-01", date_to="2026-05-31")
    main = html.split("<main", 1)[1]
    shares = re.findall(r"\((\d+[.,]\d)%\)", main)
    assert shares and all("," in share for share in shares)
    assert "1 mrt 2026" in main and "31 mei 2026" in main
    visible = re.sub(r"<[^>]+>", "", main.split("</form>")[-1])
    assert str(date(2026, 3, 1)) not in visible
