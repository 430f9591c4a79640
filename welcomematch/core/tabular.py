"""Survey exports as tables: CSV sniffing, header resolution, value conversion (no Django).

The conventions are those of KoboToolbox, ODK Central and SurveyCTO exports of XLSForm
questionnaires: headers are question names, optionally prefixed by their groups
(``group_members/member/first_name``), or question labels in any of the form's languages;
``select_multiple`` answers are space-separated choice codes or one 0/1 column per choice
(``languages/ar``); metadata columns start with ``_`` (``_uuid``, ``_submission_time``,
``_index``, ``_parent_index``) or are ODK's ``KEY``/``PARENT_KEY``/``meta/instanceID``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

SELECT_ONE, SELECT_MULTIPLE, RANK = "select_one", "select_multiple", "rank"
INTEGER, DECIMAL, DATE = "integer", "decimal", "date"
BOOLEAN, ACKNOWLEDGE = "boolean", "acknowledge"

UUID_HEADERS = ("_uuid", "meta/instanceid", "instanceid", "key", "_id")
INDEX_HEADERS = ("_index", "key")
PARENT_HEADERS = ("_parent_index", "parent_key")

_TRUE = {"1", "1.0", "true", "yes", "ja", "y", "j", "x", "ok", "waar"}
_FALSE = {"", "0", "0.0", "false", "no", "nee", "n", "onwaar"}


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    code: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A question as the importer needs it: name, labels in every language, type, choices."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    choices: tuple[ChoiceSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class Column:
    """A column of an export resolved to a question (and, for a 0/1 column, one choice)."""

    index: int
    header: str
    field: str
    choice: str = ""


@dataclass(slots=True)
class Table:
    name: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)

    def column(self, *names: str) -> int | None:
        """The index of the first header equal (case-insensitive) to one of ``names``."""
        lowered = [h.strip().lower() for h in self.headers]
        for name in names:
            if name in lowered:
                return lowered.index(name)
        return None


def read_csv(text: str, *, name: str = "csv") -> Table:
    """A CSV export, separated by ``;`` or ``,`` (or a tab), as a table."""
    text = text.lstrip("\ufeff")
    sample = "\n".join(text.splitlines()[:20])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [row for row in reader]
    if not rows:
        return Table(name=name, headers=[])
    headers = [h.strip() for h in rows[0]]
    body: list[list[object]] = [list(row) for row in rows[1:] if any(c.strip() for c in row)]
    return Table(name=name, headers=headers, rows=body)


def normalise_label(text: str) -> str:
    """Labels compare without case, spacing, trailing punctuation or markdown emphasis."""
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(":?. ").lower()


def is_metadata(header: str) -> bool:
    lowered = header.strip().lower()
    last = lowered.rsplit("/", 1)[-1]
    return (
        last.startswith("_")
        or lowered.startswith("meta/")
        or lowered in {"key", "parent_key", "submissiondate", "instanceid", "start", "end"}
        or last in {"instanceid", "deviceid", "today", "formhub/uuid"}
    )


def _matches(spec_name: str, labels: Sequence[str], text: str) -> bool:
    if text.strip().lower() == spec_name.lower():
        return True
    wanted = normalise_label(text)
    return bool(wanted) and any(normalise_label(label) == wanted for label in labels)


def _choice_code(spec: FieldSpec, text: str) -> str | None:
    raw = text.strip()
    for choice in spec.choices:
        if raw == choice.code:
            return choice.code
    for choice in spec.choices:
        if raw.lower() == choice.code.lower() or (
            normalise_label(raw) in {normalise_label(label) for label in choice.labels}
        ):
            return choice.code
    return None


def resolve_columns(
    headers: Sequence[str],
    specs: Sequence[FieldSpec],
    saved: Mapping[str, str] | None = None,
) -> tuple[list[Column], list[str]]:
    """Which column answers which question; returns the columns and the ignored headers.

    A saved mapping (``header → "field"`` or ``"field/choice"``, or ``""`` to ignore) wins;
    then a 0/1 choice column of a ``select_multiple`` (``…/languages/ar``); then the last
    path segment as a question name or label; then the whole header as a label.
    """
    saved = saved or {}
    by_name = {spec.name: spec for spec in specs}
    columns: list[Column] = []
    ignored: list[str] = []
    for index, header in enumerate(headers):
        if header in saved:
            target = saved[header]
            if target:
                name, _sep, choice = target.partition("/")
                if name in by_name:
                    columns.append(Column(index, header, name, choice))
                    continue
            ignored.append(header)
            continue
        if not header.strip() or is_metadata(header):
            continue
        parts = [p for p in header.split("/") if p.strip()]
        found: Column | None = None
        if len(parts) >= 2:
            parent, child = "/".join(parts[:-1]), parts[-1]
            parent_last = parts[-2]
            for spec in specs:
                if spec.kind != SELECT_MULTIPLE:
                    continue
                if _matches(spec.name, spec.labels, parent_last) or _matches(
                    spec.name, spec.labels, parent
                ):
                    code = _choice_code(spec, child)
                    if code is not None:
                        found = Column(index, header, spec.name, code)
                        break
        if found is None and parts:
            for candidate in (parts[-1], header):
                for spec in specs:
                    if _matches(spec.name, spec.labels, candidate):
                        found = Column(index, header, spec.name)
                        break
                if found is not None:
                    break
        if found is None:
            ignored.append(header)
        else:
            columns.append(found)
    return columns, ignored


class ValueProblem(ValueError):
    """A cell that cannot be read as its question's answer."""


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def truthy(value: object) -> bool:
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(f"expected 1/0 or yes/no, got {cell_text(value)!r}")


def _codes(spec: FieldSpec, text: str) -> list[str]:
    tokens = text.split()
    codes = [_choice_code(spec, token) for token in tokens]
    if all(code is not None for code in codes):
        return [c for c in codes if c is not None]
    whole = _choice_code(spec, text)
    if whole is not None:
        return [whole]
    parts = [p for p in re.split(r"\s*[,;]\s*", text) if p]
    codes = [_choice_code(spec, part) for part in parts]
    if all(code is not None for code in codes):
        return [c for c in codes if c is not None]
    unknown = [
        t for t, c in zip(tokens, [_choice_code(spec, t) for t in tokens], strict=True) if c is None
    ]
    raise ValueProblem(f"not among the choices: {' '.join(unknown) or text!r}")


def convert(spec: FieldSpec, value: object) -> object:
    """One cell as the answer of ``spec`` (codes for choices, int/float/ISO date, bool)."""
    text = cell_text(value)
    kind = spec.kind
    if kind in (BOOLEAN, ACKNOWLEDGE):
        return truthy(value)
    if text == "":
        return [] if kind in (SELECT_MULTIPLE, RANK) else None
    if kind == INTEGER:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueProblem(f"expected a whole number, got {text!r}") from None
        if not number.is_integer():
            raise ValueProblem(f"expected a whole number, got {text!r}")
        return int(number)
    if kind == DECIMAL:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ValueProblem(f"expected a number, got {text!r}") from None
    if kind == DATE:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise ValueProblem(f"expected a date (YYYY-MM-DD), got {text!r}") from None
    if kind == SELECT_ONE:
        code = _choice_code(spec, text)
        if code is None:
            raise ValueProblem(f"not among the choices: {text!r}")
        return code
    if kind in (SELECT_MULTIPLE, RANK):
        return _codes(spec, text)
    return text


def submission_id(value: object) -> str:
    """``uuid:abc`` (ODK) and ``abc`` (Kobo ``_uuid``) are the same submission."""
    text = cell_text(value)
    return text[5:] if text.lower().startswith("uuid:") else text
