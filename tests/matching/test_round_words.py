"""Round pages in words: technical details only under "For researchers", ranks as choices,
the audit trail in words, the round list with its total."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.matching.test_views import client_for, proposed_round, world  # noqa: F401
from welcomematch.accounts.models import Role
from welcomematch.matching import views

pytestmark = pytest.mark.django_db


def _outside_details(html: str) -> str:
    """The page without its closed sections for researchers and the audit's technical details."""
    html = re.sub(r'<details class="technical">.*?</details>', "", html, flags=re.S)
    return re.sub(r'<details class="card researchers".*?</details>', "", html, flags=re.S)


def test_seed_engine_and_solver_only_in_the_researchers_section(world):  # noqa: F811
    # a seed no date, count or random token on the page can contain by chance (seed 11 was
    # found inside a CSRF token)
    rnd = proposed_round(world, seed=864209753)
    html = (
        client_for(world, Role.COORDINATOR)
        .get(reverse("matching:round_detail", args=[rnd.pk]))
        .content.decode()
    )
    details = re.search(r'<details class="card researchers".*?</details>', html, flags=re.S)
    assert details is not None
    assert "Voor onderzoekers" in details.group(0)
    assert str(rnd.seed) in details.group(0)
    assert rnd.result_file["summary"]["solver"] in details.group(0)
    rest = _outside_details(html)
    assert str(rnd.seed) not in rest
    for technical in ("Motorversie", "Engine version", "Solver", "seed"):
        assert technical not in rest, technical


def test_pairs_and_the_audit_trail_are_in_words(world):  # noqa: F811
    rnd = proposed_round(world)
    html = (
        client_for(world, Role.COORDINATOR)
        .get(reverse("matching:round_detail", args=[rnd.pk]))
        .content.decode()
    )
    pairs = html.split('id="pairs"')[1].split("</table>")[0]
    assert re.search(r"<td>(1e keuze|2e keuze|niet gerangschikt)</td>", pairs)
    assert "Ronde aangemaakt" in html and "Ronde uitgevoerd" in html
    assert "round.created" not in html and "round.run" not in html


def test_the_round_list_shows_its_total_and_pages(world, monkeypatch: Any):  # noqa: F811
    monkeypatch.setattr(views, "ROUND_PAGE_SIZE", 1)
    proposed_round(world)
    proposed_round(world)
    html = client_for(world, Role.COORDINATOR).get(reverse("matching:round_list")).content.decode()
    assert "2 rondes" in html and "Pagina 1 van 2" in html
    assert "Seed" not in html


def test_the_group_page_shows_choices_not_zero_based_ranks(world):  # noqa: F811
    group = world["group"]
    first = world["households"][0]
    group.ranking = [first.household_type]
    group.save(update_fields=["ranking"])
    rnd = proposed_round(world, control_arm=False, households=[first], groups=[group])
    html = (
        client_for(world, Role.COORDINATOR)
        .get(reverse("web:group_detail", args=[group.pk]))
        .content.decode()
    )
    rounds = html.split('id="rounds-h"')[1].split("</section>")[0]
    assert rnd.name in rounds
    assert "<td>1e keuze</td>" in rounds
    assert '<td class="num">0</td>' not in rounds
