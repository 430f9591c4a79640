"""The one transition checker for records that move through a status table (rounds, matches)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise

from welcomematch.i18n import message


def check_transition(
    *,
    record: Any,
    table: Mapping[str, Set[str]],
    target: models.TextChoices,
    error: str | Promise,
) -> None:
    """Refuse a move of ``record`` to ``target`` that ``table`` does not list.

    The refusal is a ``ValidationError`` (code ``invalid_transition``) with ``error``
    formatted with the current and target status labels, in lower case.
    """
    if target not in table[record.status]:
        raise ValidationError(
            message(
                error,
                current=record.get_status_display().lower(),
                target=str(target.label).lower(),
            ),
            code="invalid_transition",
        )


def transition(
    *,
    record: Any,
    table: Mapping[str, Set[str]],
    target: models.TextChoices,
    error: str | Promise,
) -> str:
    """Set ``record.status`` to ``target`` if ``table`` allows the move (see
    :func:`check_transition`); return the old status."""
    check_transition(record=record, table=table, target=target, error=error)
    current: str = record.status
    record.status = target
    return current
