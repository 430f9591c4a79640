"""The audit trail: append-only in the database, kept for its own retention period, written
for reads, downloads, logins and admin edits, and viewable, filterable and exportable by
administrators."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import PASSWORD, make_city, make_household, make_programme, make_user
from welcomematch.accounts.models import AuditEvent, AuditRetentionGuard, Role
from welcomematch.accounts.services import audit_events_purge, audit_record, user_create
from welcomematch.intake.services import ERR_OVERRIDE_REASON

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> dict[str, Any]:
    programme = make_programme()
    city = make_city(programme)
    return {
        "programme": programme,
        "household": make_household(city, contact_name="Amal"),
        "coordinator": make_user(Role.COORDINATOR, programme=programme),
        "administrator": make_user(Role.ADMINISTRATOR, programme=programme),
    }


def _event(**kw: Any) -> AuditEvent:
    programme = kw.pop("programme", None) or make_programme("P", f"p{AuditEvent.objects.count()}")
    return audit_record(actor=None, action=kw.pop("action", "test.event"), obj=programme, **kw)


# --- append-only in the database -----------------------------------------------------------


def _refused(statement: Any) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        statement()


def test_queryset_update_and_delete_are_refused_by_the_database() -> None:
    event = _event()
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="forged"))
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    event.refresh_from_db()
    assert event.action == "test.event"


def test_raw_sql_update_and_delete_are_refused_by_the_database() -> None:
    event = _event()

    def raw(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])

    _refused(lambda: raw("UPDATE accounts_auditevent SET action = 'forged' WHERE id = %s"))
    _refused(lambda: raw("DELETE FROM accounts_auditevent WHERE id = %s"))
    assert AuditEvent.objects.filter(pk=event.pk, action="test.event").exists()


def test_a_guard_row_does_not_open_younger_events() -> None:
    event = _event()
    with transaction.atomic():
        AuditRetentionGuard.objects.create(cutoff=timezone.now() - timedelta(days=1))
        _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
        transaction.set_rollback(True)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- retention -------------------------------------------------------------------------------


def test_retention_deletes_only_expired_events_and_records_that_it_did() -> None:
    days = settings.AUDIT_RETENTION_DAYS
    long_ago = timezone.now() - timedelta(days=days + 3)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        old = _event(action="old.event")
    recent = _event(action="recent.event")
    assert audit_events_purge(dry_run=True) == 1
    assert AuditEvent.objects.filter(pk=old.pk).exists()
    assert audit_events_purge() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert not AuditRetentionGuard.objects.exists()
    purge = AuditEvent.objects.get(action="audit.purged")
    assert purge.data["deleted"] == 1
    # The guard is gone: the recent event is protected again.
    _refused(lambda: AuditEvent.objects.filter(pk=recent.pk).delete())


# --- what is recorded -------------------------------------------------------------------------


def test_logins_and_failed_logins_are_recorded_with_the_address(setting: dict[str, Any]) -> None:
    user = setting["coordinator"]
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody-here", "password": "wrong"})
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    failed = AuditEvent.objects.filter(action="login.failed").order_by("id")
    assert [(e.object_id, e.data["username"], e.ip_address) for e in failed] == [
        (str(user.pk), user.username, "203.0.113.7"),
        ("", "nobody-here", "203.0.113.7"),
    ]
    ok = AuditEvent.objects.get(action="login.succeeded")
    assert (ok.actor, ok.ip_address, ok.programme) == (user, "203.0.113.7", setting["programme"])


def test_reading_a_household_page_is_recorded(setting: dict[str, Any]) -> None:
    household = setting["household"]
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.force_login(setting["coordinator"])
    for name in ("web:household_detail", "intake:household_detail"):
        assert client.get(reverse(name, args=[household.pk])).status_code == 200
    reads = AuditEvent.objects.filter(action="record.read", object_id=str(household.pk))
    assert {e.data["what"] for e in reads} == {"web:household_detail", "intake:household_detail"}
    assert {(e.actor, e.ip_address, e.data["sensitive"]) for e in reads} == {
        (setting["coordinator"], "198.51.100.4", True)
    }


def test_an_admin_override_without_a_reason_is_refused_and_edits_are_recorded(
    setting: dict[str, Any],
) -> None:
    root = user_create(username="root", password=PASSWORD, role=Role.NONE, is_superuser=True)
    client = Client()
    client.force_login(root)
    household = setting["household"]
    url = reverse("admin:intake_household_change", args=[household.pk])
    form = client.get(url).context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | dict)
    }
    data |= {
        "programme": household.programme_id,
        "city": household.city_id,
        "languages": "[]",
        "goals": "[]",
        "ranking": "[]",
        "ssm_scores": "{}",
        "support_flags": "{}",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
        "vulnerability_override": "3",
        "vulnerability_override_reason": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        assert str(ERR_OVERRIDE_REASON) in response.content.decode()
    household.refresh_from_db()
    assert household.vulnerability_override is None

    data["vulnerability_override_reason"] = "Follows the social worker's advice"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    household.refresh_from_db()
    assert household.vulnerability_override == 3
    change = AuditEvent.objects.get(action="admin.changed", object_id=str(household.pk))
    assert change.actor == root and change.object_type == "intake.household"
    from django.contrib.admin.models import LogEntry

    entry = LogEntry.objects.get(object_id=str(household.pk))
    assert change.data["change"] == entry.get_change_message() != ""
    assert change.programme == household.programme


# --- the page ---------------------------------------------------------------------------------


def test_administrators_view_filter_and_export_their_programme_s_trail(
    setting: dict[str, Any],
) -> None:
    mine = _event(programme=setting["programme"], action="match.ended")
    _event(programme=setting["programme"], action="=HYPERLINK(evil)")
    elsewhere = _event(action="match.ended")  # another programme
    client = Client()
    client.force_login(setting["administrator"])
    page = client.get(reverse("accounts:audit_list"), {"action": "match.ended"})
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == [mine]
    assert elsewhere not in page.context["page"].object_list

    export = client.get(reverse("accounts:audit_export"))
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0] == [
        "when",
        "who",
        "what",
        "record_type",
        "record_id",
        "from_where",
        "details",
        "what_in_words",
    ]
    actions = [row[2] for row in rows[1:]]
    assert "match.ended" in actions and "'=HYPERLINK(evil)" in actions
    exported = {(row[2], row[4]) for row in rows[1:]}
    assert ("match.ended", mine.object_id) in exported
    assert ("match.ended", elsewhere.object_id) not in exported
    assert AuditEvent.objects.filter(
        action="audit.exported", actor=setting["administrator"]
    ).exists()


def test_coordinators_may_not_open_the_trail(setting: dict[str, Any]) -> None:
    client = Client()
    client.force_login(setting["coordinator"])
    assert client.get(reverse("accounts:audit_list")).status_code == 403
    assert client.get(reverse("accounts:audit_export")).status_code == 403
