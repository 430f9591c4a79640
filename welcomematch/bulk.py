"""Inserting many rows of one table at once, without a model object per row.

A round's confirmation writes some 75 000 rows at national size (matches, control
assignments, their audit events). ``bulk_create`` builds a model object per row and prepares
every value of every row through Django's field machinery, which is most of the time such a
write takes. :func:`insert_rows` takes the rows as plain tuples of the values that vary, fills
every other column once (its default, or *now* for ``auto_now``/``auto_now_add``), and writes:

- on PostgreSQL with ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy()``): one statement,
  the rows streamed;
- on SQLite with one prepared ``INSERT`` run for every row (``executemany``, in C).

Constraints, foreign keys and triggers apply as to any insert; a violation raises Django's
``IntegrityError``. Call it inside the service's transaction. It returns nothing: read back
the new rows' ids with a query where they are needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` into ``model``'s table: each row gives the values of ``fields`` (field
    names; a foreign key by its id) as the database takes them (ints, floats, text; JSON
    fields as Python data). Every other column gets its default; the primary key its next id."""
    connection = connections[router.db_for_write(model)]
    by_name = {f.name: f for f in model._meta.concrete_fields}
    given = [by_name[name] for name in fields]
    json_at = [(i, f.encoder) for i, f in enumerate(given) if isinstance(f, models.JSONField)]
    now = timezone.now()
    constant: list[tuple[str, Any]] = []
    for field in model._meta.concrete_fields:
        if field.name in fields or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
        else:  # its default: the declared one, else "" for text, else NULL
            value = field.get_default()
        constant.append((field.column, field.get_db_prep_save(value, connection)))
    columns = [f.column for f in given] + [column for column, _value in constant]
    tail = tuple(value for _column, value in constant)

    def prepared() -> Iterable[tuple[Any, ...]]:
        for row in rows:
            if json_at:
                row = list(row)
                for i, encoder in json_at:
                    row[i] = json.dumps(row[i], cls=encoder)
            yield (*row, *tail)

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in prepared():
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(prepared()))
