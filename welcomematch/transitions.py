"""The one transition checker for records that move through a status table (rounds, matches)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise

from welcomematch.i18n import message


def transition(
    *,
    record: Any,
    table: Mapping[str, Set[str]],
    target: models.TextChoices,
    error: str | Promise,
) -> str:
    """Set ``record.status`` to ``target`` if ``table`` allows the move; return the old status.

    A move the table does not list raises a ``ValidationError`` (code ``invalid_transition``)
    with ``error`` formatted with the current and target status labels, in lower case.
    """
    current: str = record.status
    if target not in table[current]:
        raise ValidationError(
            message(
                error,
                current=record.get_status_display().lower(),
                target=str(target.label).lower(),
            ),
            code="invalid_transition",
        )
    record.status = target
    return current
