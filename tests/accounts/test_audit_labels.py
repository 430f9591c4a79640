"""Every audit action is shown in words, from one mapping: pages, the filter and the export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

import welcomematch
from tests.factories import make_city, make_household, make_programme, make_user
from welcomematch.accounts.audit_details import audit_details
from welcomematch.accounts.audit_labels import AUDIT_ACTION_LABELS, audit_action_label
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.accounts.signals import ADMIN_ACTIONS
from welcomematch.lifecycle.models import MatchStatus
from welcomematch.matching.models import JobKind
from welcomematch.trial.models import EntryKind

SOURCE = Path(welcomematch.__file__).parent
ACTION = re.compile(r"\"([a-z_]+\.[a-z_]+)\"")


def _written_actions() -> set[str]:
    """Every action name the code writes: the literals after ``action=`` (both arms of a
    conditional), the failed-login names, and the names built from a status or kind."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts or path.name == "audit_labels.py":
            continue
        text = path.read_text(encoding="utf-8")
        for statement in re.findall(r"\baction=([^\n]+)", text):
            found |= set(ACTION.findall(statement))
        found |= set(re.findall(r"_attempt\(\"([a-z_]+\.[a-z_]+)\"", text))
    found |= set(ADMIN_ACTIONS.values())
    found |= {f"match.{status.value}" for status in MatchStatus}
    found |= {f"round.{kind.value}_{what}" for kind in JobKind for what in ("queued", "failed")}
    found |= {f"trial.{kind.value}" for kind in EntryKind}
    found |= {f"{parent}.created" for parent in ("group", "household")}
    return found


def test_the_scan_finds_the_actions_the_code_writes() -> None:
    actions = _written_actions()
    assert {"record.read", "record.downloaded", "round.run", "round.rerun"} <= actions
    assert {"login.failed", "consent.withdrawn", "match.introduced"} <= actions


def test_every_action_the_code_writes_has_a_label_in_words() -> None:
    assert sorted(_written_actions() - set(AUDIT_ACTION_LABELS)) == []


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_label_is_words_in_both_languages(language: str) -> None:
    with translation.override(language):
        labels = {action: audit_action_label(action) for action in AUDIT_ACTION_LABELS}
    for action, label in labels.items():
        assert action not in label and "_" not in label, (action, label)
    with translation.override("nl"):
        assert audit_action_label("record.read") == "Gegevens bekeken"
    with translation.override("en"):
        assert audit_action_label("record.read") == "Record viewed"


def test_an_unknown_action_is_still_named_in_words() -> None:
    with translation.override("nl"):
        assert audit_action_label("old.thing") == "Andere gebeurtenis (old.thing)"


@pytest.fixture
def admin_client(db: Any) -> tuple[Client, Any]:
    programme = make_programme()
    household = make_household(make_city(programme))
    client = Client()
    client.force_login(make_user(Role.ADMINISTRATOR, programme=programme))
    return client, household


def test_the_record_pages_audit_block_shows_words_not_codes(admin_client: Any) -> None:
    client, household = admin_client
    url = reverse("web:household_detail", args=[household.pk])
    client.get(url)  # the first read is recorded; the second page shows it
    html = client.get(url).content.decode()
    assert "Gegevens bekeken" in html and "Huishouden toegevoegd" in html
    assert "record.read" not in html and "household.created" not in html


def test_the_audit_page_its_filter_and_its_export_use_the_labels(admin_client: Any) -> None:
    client, household = admin_client
    client.get(reverse("web:household_detail", args=[household.pk]))
    html = client.get(reverse("accounts:audit_list")).content.decode()
    assert "<td>Gegevens bekeken</td>" in html
    assert '<option value="record.read">Gegevens bekeken</option>' in html
    assert ">record.read<" not in html
    assert "Huishouden " in html and "intake.household" not in html.split("<table")[1]

    export = client.get(reverse("accounts:audit_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    read = next(row for row in rows if row["what"] == "record.read")
    assert read["what_in_words"] == "Gegevens bekeken"
    assert AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_audit_details_are_words_and_the_rest_is_technical(admin_client: Any) -> None:
    client, household = admin_client
    url = reverse("web:household_detail", args=[household.pk])
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    for page in (url, reverse("accounts:audit_list")):
        html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Opened: the household&#x27;s page; with personal data" in html
        assert "what: web:household_detail" not in html and "sensitive: True" not in html
        # the number of persons is not for every reader: it is under "Technical details"
        assert '<summary>Technical details</summary><ul class="plain"><li>persons: ' in html


def test_the_audit_details_name_statuses_languages_reasons_and_fields() -> None:
    with translation.override("en"):
        moved = audit_details("match.ended", {"from": "active", "to": "ended", "reason": "moved"})
        assert (
            moved.words == ["from Active to Ended early", "Reason: moved"] and not moved.technical
        )
        language = audit_details("user.language", {"from": "nl", "to": "en"})
        assert language.words == ["from Nederlands to English"]
        changed = audit_details("programme.targets", {"changed": {"target_days": {}}})
        assert changed.words == ["Changed: target days"]
        assert audit_details("x.y", {"job": 3}).technical == [("job", "3")]
        download = audit_details("record.downloaded", {"what": "download:input"})
        assert download.words == ["Downloaded: the round's input file"] and not download.technical
        page = audit_details("record.read", {"what": "web:new_page"})
        assert page.words == ["Opened: a page"] and page.technical == [("what", "web:new_page")]
    with translation.override("nl"):
        assert audit_details("round.cancelled", {"from": "draft"}).words[0].startswith("van ")
