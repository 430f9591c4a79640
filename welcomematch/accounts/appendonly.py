"""The audit trail is append-only in the database itself, not only by convention.

Triggers refuse every ``UPDATE`` and ``DELETE`` of an audit event, whoever sends it (the ORM,
a queryset's ``update()``/``delete()``, raw SQL). The one exception is the retention job
(:func:`welcomematch.accounts.services.audit_events_purge`): inside its own transaction it
writes a row into the guard table naming a cutoff, deletes the events older than that cutoff,
and removes the guard row before committing — so no other transaction ever sees it, and even
then only events older than the cutoff can go.

The triggers stop mistakes and tampering through the application. A database superuser can
still drop them; protect the database account accordingly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

AUDIT_TABLE = "accounts_auditevent"
GUARD_TABLE = "accounts_auditretentionguard"

POSTGRESQL_INSTALL = (
    f"""
CREATE OR REPLACE FUNCTION welcomematch_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM {GUARD_TABLE} g WHERE OLD.created_at < g.cutoff
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
""",
    f"DROP TRIGGER IF EXISTS welcomematch_audit_append_only ON {AUDIT_TABLE}",
    f"""
CREATE TRIGGER welcomematch_audit_append_only
BEFORE UPDATE OR DELETE ON {AUDIT_TABLE}
FOR EACH ROW EXECUTE FUNCTION welcomematch_audit_append_only()
""",
)
POSTGRESQL_REMOVE = (
    f"DROP TRIGGER IF EXISTS welcomematch_audit_append_only ON {AUDIT_TABLE}",
    "DROP FUNCTION IF EXISTS welcomematch_audit_append_only()",
)
SQLITE_INSTALL = (
    f"""
CREATE TRIGGER IF NOT EXISTS welcomematch_audit_no_update
BEFORE UPDATE ON {AUDIT_TABLE}
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END
""",
    f"""
CREATE TRIGGER IF NOT EXISTS welcomematch_audit_no_delete
BEFORE DELETE ON {AUDIT_TABLE}
WHEN NOT EXISTS (SELECT 1 FROM {GUARD_TABLE} g WHERE OLD.created_at < g.cutoff)
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END
""",
)
SQLITE_REMOVE = (
    "DROP TRIGGER IF EXISTS welcomematch_audit_no_update",
    "DROP TRIGGER IF EXISTS welcomematch_audit_no_delete",
)


def _statements(vendor: str, *, install: bool) -> tuple[str, ...]:
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"no append-only triggers for the {vendor} database")


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=True):
            cursor.execute(statement)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=False):
            cursor.execute(statement)


@contextmanager
def suspended_for_flush(connection: Any) -> Iterator[None]:
    """Around ``manage.py flush`` (which empties every table on purpose): SQLite empties tables
    with ``DELETE``, which the triggers refuse, so they are lifted and put back. PostgreSQL
    empties them with ``TRUNCATE``, which row triggers do not see."""
    if connection.vendor != "sqlite":
        yield
        return
    remove(connection)
    try:
        yield
    finally:
        install(connection)
