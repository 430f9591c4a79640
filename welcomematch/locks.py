"""Serialising writers that must not run side by side (one place for the database's locks).

On PostgreSQL, :func:`serialize` takes a transaction-scoped advisory lock named after the
work (``pg_advisory_xact_lock``): a second transaction asking for the same name waits until
the first commits or rolls back, then reads what the first wrote. On SQLite every write
transaction already runs alone (``BEGIN IMMEDIATE``, see the settings), so there is nothing
to take. Call it inside the service's transaction.
"""

from __future__ import annotations

import hashlib

from django.db import connection, transaction


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def serialize(name: str) -> None:
    """Wait for, then hold until the end of the transaction, the lock called ``name``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("serialize() must be called inside a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])
