"""Typed errors raised by the core. Messages name the offending record and field."""

from __future__ import annotations


class CoreError(Exception):
    """Base class of every error the core raises on purpose."""


class InvalidInput(CoreError):
    """The input breaks the contract; ``record`` and ``field`` say where."""

    def __init__(self, message: str, *, record: str | None = None, field: str | None = None):
        self.record = record
        self.field = field
        where = ""
        if record is not None and field is not None:
            where = f"{record}: {field}: "
        elif record is not None:
            where = f"{record}: "
        elif field is not None:
            where = f"{field}: "
        super().__init__(f"{where}{message}")


class Infeasible(CoreError):
    """A solver could not produce a result for a well-formed input."""
