"""Read-only queries for programmes and their category lists: the one way from a code to a label."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from welcomematch.programmes.models import Category


class CategoryLabels:
    """Category codes to labels in the active language; unknown codes are shown as they are."""

    def __init__(self, entries: Iterable[Category]) -> None:
        self._entries: dict[tuple[str, str], Category] = {(c.kind, c.code): c for c in entries}

    def __call__(self, kind: str, code: Any) -> str:
        if code in (None, ""):
            return ""
        entry = self._entries.get((kind, str(code)))
        return entry.label if entry is not None else str(code)

    def many(self, kind: str, codes: Iterable[Any]) -> list[str]:
        return [self(kind, code) for code in codes or ()]


def category_labels(*kinds: str) -> CategoryLabels:
    """The labels of every entry (active or not, so old records keep theirs) of the lists."""
    return CategoryLabels(Category.objects.filter(kind__in=kinds))


def category_entries(kind: str) -> list[Category]:
    """The active entries of one list, in the list's order: what a form offers."""
    return list(Category.objects.filter(kind=kind, active=True).order_by("order", "code"))


def category_choices(kind: str) -> list[tuple[str, str]]:
    """``(code, label)`` of the active entries of one list, for a form's choices."""
    return [(c.code, c.label) for c in category_entries(kind)]
