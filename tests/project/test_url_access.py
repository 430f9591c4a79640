"""Every URL pattern of the application, opened as every role: allowed, forbidden or not found.

The expected answers are the role × page table of ``docs/security.md``; a URL pattern without
a row there fails :func:`test_every_url_pattern_has_a_row_in_the_security_table`. Each page with
a record id is also opened with the id of *another programme's* record (tampering), which
must answer 404 to everyone who may open the page at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from tests.web.helpers import make_ambassador, make_match
from welcomematch.accounts.models import Role, User
from welcomematch.accounts.services import user_create
from welcomematch.intake import questions
from welcomematch.intake.importing import import_preview
from welcomematch.intake.services import group_invite
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import ContactPerson, CulturalAmbassador
from welcomematch.matching import services as matching
from welcomematch.participants import services as participants
from welcomematch.programmes.models import Category, CategoryKind
from welcomematch.surveys import services as surveys
from welcomematch.trial import services as trial

pytestmark = pytest.mark.django_db

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
#: Column headings of the table → the account that opens the pages (None: anonymous).
COLUMNS = (
    "anonymous",
    "no access yet",
    "administrator",
    "coordinator",
    "contact person",
    "ambassador",
    "researcher",
)
CELLS = {"yes", "no", "own", "login", "public", "admin"}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    cells: dict[str, str]


def security_table() -> dict[str, Row]:
    """The role × page table of docs/security.md, by URL name."""
    rows: dict[str, Row] = {}
    header: list[str] | None = None
    for line in SECURITY_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "page (URL name)":
            header = cells
            continue
        if header is None or not line.startswith("| `"):
            continue
        name = cells[0].strip("`")
        values = dict(zip(header[2:], cells[2:], strict=True))
        assert set(values) == set(COLUMNS), f"{name}: columns {sorted(values)}"
        assert set(values.values()) <= CELLS, f"{name}: unknown cell in {values}"
        rows[name] = Row(name=name, method=cells[1], cells=values)
    return rows


def url_patterns() -> dict[str, str]:
    """Every named URL pattern → its route; the admin site's many pages are one entry."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    found["admin:*"] = prefix + str(pattern.pattern)
                    continue
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"URL pattern {prefix}{pattern.pattern} has no name"
                found[namespace + pattern.name] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_url_pattern_has_a_row_in_the_security_table() -> None:
    patterns, table = set(url_patterns()), set(security_table())
    assert not patterns - table, f"pages without a row in docs/security.md: {patterns - table}"
    assert not table - patterns, f"rows of docs/security.md without a page: {table - patterns}"


# --- the world the pages are opened in ---------------------------------------------------


def _programme_records(slug: str, *, users: bool) -> dict[str, Any]:
    programme = make_programme(f"Programme {slug}", slug)
    city = make_city(programme, f"Stad {slug}")
    records: dict[str, Any] = {"programme": programme}
    records["group"], invitation, records["token"] = group_invite(
        programme=programme, city=city, name=f"Groep {slug}", actor=None
    )
    records["invitation"] = invitation
    completed = make_group(city, name=f"Klaar {slug}")
    household = make_household(city, contact_name=f"Gezin {slug}")
    other_group, other_household = make_group(city, name="Ander"), make_household(city)
    # A round that ran, over participants of its own.
    round_ = matching.round_create(
        programme=programme,
        name="Ronde",
        actor=None,
        groups=[make_group(city, name="R")],
        households=[make_household(city)],
        seed=1,
    )
    records["round"] = matching.round_run(round=round_, actor=None)
    records["variant"] = matching.round_variant_create(
        round=records["round"],
        actor=None,
        max_distance_km=7.0,
        mechanism="optimal",
        control_arm=False,
    )
    goal = Category.objects.filter(kind=CategoryKind.GOAL).first()
    assert goal is not None
    if users:
        made = {
            "no access yet": User.objects.create_user(username="new", password=PASSWORD),
            "administrator": user_create(
                username="admin", password=PASSWORD, role=Role.ADMINISTRATOR, programme=programme
            ),
        }
        for column, role in (
            ("coordinator", Role.COORDINATOR),
            ("contact person", Role.CONTACT_PERSON),
            ("ambassador", Role.AMBASSADOR),
            ("researcher", Role.RESEARCHER),
        ):
            made[column] = user_create(
                username=role.value, password=PASSWORD, role=role, programme=programme
            )
        records["users"] = made
        contact = ContactPerson.objects.create(
            programme=programme, user=made["contact person"], name="Els"
        )
        completed.contact_person = contact
        completed.save()
        ambassador = make_ambassador(made["ambassador"], programme)
    else:
        ambassador = None
    match = make_match(completed, household, ambassador=ambassador)
    other_match = make_match(other_group, other_household)
    other_ambassador = CulturalAmbassador.objects.create(
        programme=programme, name=f"Ander {slug}", languages=["ti"]
    )
    if ambassador is None:
        ambassador = other_ambassador
    contacts = list(ContactPerson.objects.filter(programme=programme))
    other_contact = ContactPerson.objects.create(programme=programme, name=f"Piet {slug}")
    records |= {
        "own": {
            "ambassador": ambassador,
            "contact_person": contacts[0] if contacts else other_contact,
            "group": completed,
            "household": household,
            "match": match,
            "goal": lifecycle.goal_add(match=match, goal=goal.code, actor=None),
        },
        "other": {
            "ambassador": other_ambassador,
            "contact_person": other_contact,
            "group": other_group,
            "household": other_household,
            "match": other_match,
            "goal": lifecycle.goal_add(match=other_match, goal=goal.code, actor=None),
        },
    }
    for which in ("own", "other"):
        opened = surveys.wave_open(
            programme=programme,
            moment="midterm",
            actor=None,
            base_url="http://testserver",
            matches=[records[which]["match"]],
            controls=[],
            send_invitations=False,
        )
        records[which]["wave"] = opened.wave
        records[which]["respondent"], token = opened.links[0]
        records.setdefault("survey_token", token)
    records["participant_token"] = participants.participant_link_renew(
        actor=None, base_url="http://testserver", household=household
    ).token
    records["study"] = trial.study_create(
        programme=programme,
        title=f"Study {slug}",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        analysis_seed=1,
        outcomes=[],
        actor=None,
    )
    records["import_run"] = import_preview(
        programme=programme,
        city=city,
        kind="households",
        files=[("x.csv", b"a,b\n1,2\n")],
        actor=None,
    )
    return records


@pytest.fixture
def world() -> dict[str, Any]:
    return {
        "mine": _programme_records("mine", users=True),
        "foreign": _programme_records("elders", users=False),
    }


def _kwargs(name: str, route: str, records: dict[str, Any], which: str) -> dict[str, Any]:
    """URL arguments pointing at ``records``' own (``which="own"``) or other record."""
    rec = records["own"] if which == "own" else records["other"]
    kwargs: dict[str, Any] = {}
    if "<int:pk>" in route:
        app, view = name.split(":")
        if app == "matching":
            obj = records["round"]
        elif app == "surveys":
            obj = rec["respondent"] if view in {"respondent_text", "interview"} else rec["wave"]
        elif view.startswith("ambassador_"):
            obj = rec["ambassador"]
        elif view.startswith("contact_person_"):
            obj = rec["contact_person"]
        elif app == "lifecycle":
            obj = rec["match"]
        elif "invitation_revoke" in view:
            obj = records["invitation"]
        elif view == "import_run":
            obj = records["import_run"]
        elif "household" in view:
            obj = rec["household"]
        else:
            obj = rec["group"]
        kwargs["pk"] = obj.pk
    if "<int:variant>" in route:
        kwargs["variant"] = records["variant"].pk
    if "<int:goal_pk>" in route:
        kwargs["goal_pk"] = rec["goal"].pk
    if "<str:token>" in route:
        kwargs["token"] = (
            records["survey_token"]
            if name.startswith("surveys:")
            else records["participant_token"]
            if name.startswith("participants:")
            else records["token"]
        )
    if "<int:page>" in route:
        kwargs["page"] = 1
    if "<slug:step>" in route:
        kwargs["step"] = questions.GROUP_QUESTIONNAIRE.sections[0].name
    if "<slug:kind>" in route:
        kwargs["kind"] = questions.GROUP_QUESTIONNAIRE.kind
    return kwargs


def _open(row: Row, column: str, url: str, user: User | None) -> Any:
    """One request, rolled back afterwards, so every request sees the same world."""
    with transaction.atomic():
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.post(url) if row.method == "POST" else client.get(url)
        transaction.set_rollback(True)
    return response


def _allowed(response: Any) -> bool:
    if response.status_code == 302:
        return "/login/" not in response["Location"]
    return response.status_code in (200, 400)


def _check(cell: str, target: str, response: Any, where: str) -> None:
    status = response.status_code
    if cell == "login":
        assert status == 302 and "login/" in response["Location"], where
    elif cell == "no":
        assert status == 403, where
    elif cell == "public":
        assert status < 400, where
    elif cell == "admin":
        assert status == 200, where
    elif target == "foreign":
        assert status == 404, where
    elif cell == "own" and target == "other":
        assert status == 403, where
    else:
        assert _allowed(response), where


TABLE = security_table()


@pytest.mark.parametrize("name", sorted(TABLE))
def test_who_may_open_the_page(world: dict[str, Any], name: str) -> None:
    row = TABLE[name]
    route = url_patterns()[name]
    mine, foreign = world["mine"], world["foreign"]
    users: dict[str, User | None] = {"anonymous": None, **mine["users"]}
    url_name = "admin:index" if name == "admin:*" else name
    has_record = "<int:" in route
    for column in COLUMNS:
        cell = row.cells[column]
        targets = [("own", mine, "own")]
        if has_record:
            targets += [("other", mine, "other"), ("foreign", foreign, "own")]
        for target, records, which in targets:
            url = reverse(url_name, kwargs=_kwargs(name, route, records, which))
            response = _open(row, column, url, users[column])
            where = f"{row.method} {url} as {column} ({target}): {response.status_code}"
            _check(cell, target, response, where)


def test_the_table_is_not_vacuous() -> None:
    """Each answer kind occurs, so a table of only ``yes`` cannot pass unnoticed."""
    cells = {cell for row in TABLE.values() for cell in row.cells.values()}
    assert cells == CELLS
    assert re.search(r"`web:household_detail` \| GET \| login \| no \|", SECURITY_MD.read_text())
