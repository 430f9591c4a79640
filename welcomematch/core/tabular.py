"""Survey exports as tables: decoding, CSV reading, header resolution, value conversion.

No Django here. The conventions are those of the survey tools' own export writers for XLSForm
questionnaires:

- **KoboToolbox** (``formpack``): headers are question names or labels in one of the form's
  languages, with or without their groups, joined by a group separator the user chooses
  (``/`` by default, ``.`` or any other string); a ``select_multiple`` has a summary column
  (codes or labels, space-separated) and one 0/1 column per choice (``languages/ar``);
  metadata columns start with ``_`` (``_uuid``, ``_index``, ``_parent_index``,
  ``_validation_status``); repeats are extra sheets joined by ``_parent_index``.
- **ODK Central and Briefcase**: groups joined by ``-`` (``group-postcode``,
  ``meta-instanceID``), 0/1 columns as ``group-languages/ar``, ``SubmissionDate``,
  ``KEY``/``PARENT_KEY``, ``ReviewState``; repeats as ``<form>-<repeat>.csv`` files; dates
  ``Apr 1, 2024`` (Briefcase).
- **SurveyCTO**: like Briefcase (``KEY``, ``PARENT_KEY``, ``review_status``).

A header is resolved by trying the whole header, then every suffix that starts after a
separator (longest first), as a question's name or label, or as a question followed by one of
its choices (a 0/1 column). So group prefixes of any depth and any separator are understood
without being told which separator the export used.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "ACKNOWLEDGE",
    "BOOLEAN",
    "DATE",
    "DECIMAL",
    "INDEX_HEADERS",
    "INTEGER",
    "NOTE",
    "PARENT_HEADERS",
    "RANK",
    "SELECT_MULTIPLE",
    "SELECT_ONE",
    "UUID_HEADERS",
    "ChoiceSpec",
    "Column",
    "FieldSpec",
    "Table",
    "UnreadableText",
    "ValueProblem",
    "cell_text",
    "closest_names",
    "convert",
    "decode_text",
    "detect_delimiter",
    "is_metadata",
    "is_rejected",
    "metadata_role",
    "normalise_label",
    "parse_date",
    "read_csv",
    "read_csv_bytes",
    "resolve_columns",
    "submission_id",
    "truthy",
]

SELECT_ONE, SELECT_MULTIPLE, RANK = "select_one", "select_multiple", "rank"
INTEGER, DECIMAL, DATE = "integer", "decimal", "date"
BOOLEAN, ACKNOWLEDGE = "boolean", "acknowledge"
#: A note (or any other column that carries no answer): recognised, then left out.
NOTE = "note"

UUID_HEADERS = (
    "_uuid",
    "meta/instanceid",
    "meta-instanceid",
    "meta.instanceid",
    "instanceid",
    "key",
    "_id",
)
INDEX_HEADERS = ("_index", "key")
PARENT_HEADERS = ("_parent_index", "parent_key")

_TRUE = {"1", "1.0", "true", "yes", "ja", "y", "j", "x", "ok", "waar"}
_FALSE = {"0", "0.0", "false", "no", "nee", "n", "onwaar"}

#: Characters that may separate groups, questions and choices in a header.
SEPARATOR_CHARS = "/-.:|\\>"

#: Metadata columns of the tools, by their last path segment (lower case) → role.
_METADATA: dict[str, str] = {
    "_uuid": "uuid",
    "instanceid": "uuid",
    "key": "key",
    "_id": "id",
    "_index": "index",
    "_parent_index": "parent",
    "parent_key": "parent",
    "_parent_table_name": "parent_table",
    "_validation_status": "review",
    "reviewstate": "review",
    "review_status": "review",
    "_submission_time": "submitted",
    "submissiondate": "submitted",
    "completiondate": "submitted",
}
_METADATA_NAMES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "simid",
        "phonenumber",
        "devicephonenum",
        "username",
        "audit",
        "text_audit",
        "starttime",
        "endtime",
        "duration",
        "caseid",
        "formdef_version",
        "instancename",
        "instance_name",
        "review_quality",
        "review_comments",
        "review_corrections",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "status",
        "edits",
        "formversion",
        "__version__",
        "version",
        "uuid",
        "formhub/uuid",
    }
)
_REJECTED = {"rejected", "validation_status_not_approved", "not approved", "niet goedgekeurd"}


class ValueProblem(ValueError):
    """A cell that cannot be read as its question's answer."""


class UnreadableText(ValueError):
    """Bytes that are not text in an encoding the tools write (the message names the line)."""


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
    """One sheet or CSV file: headers, rows, and each row's number in the file.

    ``numbers[i]`` is the row number of ``rows[i]`` as a spreadsheet shows it (the header is
    row 1); empty when rows are numbered 2, 3, … without gaps. ``problems`` lists rows the
    reader could not take as they are (row number, message), such as more cells than headers.
    """

    name: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = ""

    def column(self, *names: str) -> int | None:
        """The index of the first header equal (case-insensitive) to one of ``names``."""
        lowered = [h.strip().lower() for h in self.headers]
        for name in names:
            if name in lowered:
                return lowered.index(name)
        return None

    def row_number(self, position: int) -> int:
        """The file's row number of ``rows[position]``."""
        return self.numbers[position] if self.numbers else position + 2

    def role_column(self, role: str) -> int | None:
        """The first metadata column with this role (``uuid``, ``key``, ``parent``, …)."""
        for index, header in enumerate(self.headers):
            if metadata_role(header) == role:
                return index
        return None


# --- decoding ---------------------------------------------------------------------------

_VALID_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
ERR_BROKEN_UTF8 = (
    "line {line}: byte {byte} is not valid UTF-8, while the rest of the file is UTF-8; "
    "the file is damaged. Export it again (or save it as 'CSV UTF-8')."
)
ERR_NOT_TEXT = (
    "line {line}: byte {byte} is neither UTF-8 nor Windows-1252 text. Save the file as "
    "'CSV UTF-8' and upload it again."
)
ERR_BINARY = "this is not a text file (it contains NUL bytes); upload CSV (UTF-8) or XLSX."


def _line_of(content: bytes, position: int, *, width: int = 1) -> int:
    return content.count(b"\n", 0, position) // width + 1


def decode_text(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was found in.

    UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or without BOM
    (told by its NUL bytes), and Windows-1252 (Excel's "CSV" on Windows). A file that is
    UTF-8 except for some bytes is damaged, never read as Windows-1252: that would turn its
    non-ASCII text into mojibake. Raises :class:`UnreadableText` naming the line.
    """
    if content.startswith(codecs.BOM_UTF8):
        return _strict(content[3:], "utf-8", offset=3, whole=content), "utf-8-sig"
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if content.startswith(bom):
            return _strict(content[2:], encoding, offset=2, whole=content), "utf-16"
    sample = content[:4096]
    if b"\x00" in sample:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return _strict(content, "utf-16-le", offset=0, whole=content), "utf-16-le"
        if even > len(sample) // 4 and odd == 0:
            return _strict(content, "utf-16-be", offset=0, whole=content), "utf-16-be"
        raise UnreadableText(ERR_BINARY)
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if _VALID_UTF8_MULTIBYTE.search(content):
            raise UnreadableText(
                ERR_BROKEN_UTF8.format(
                    line=_line_of(content, error.start), byte=f"0x{content[error.start]:02X}"
                )
            ) from None
    try:
        return content.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise UnreadableText(
            ERR_NOT_TEXT.format(
                line=_line_of(content, error.start), byte=f"0x{content[error.start]:02X}"
            )
        ) from None


def _strict(data: bytes, encoding: str, *, offset: int, whole: bytes) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        width = 2 if encoding.startswith("utf-16") else 1
        newline = "\n".encode(encoding)
        line = data.count(newline, 0, error.start - error.start % width) + 1
        raise UnreadableText(
            f"line {line}: the bytes are not valid {encoding.upper()}; the file is damaged."
        ) from None
    if "\x00" in text:
        raise UnreadableText(ERR_BINARY)
    return text


# --- CSV ----------------------------------------------------------------------------------

ERR_EXTRA_CELLS = "this row has {cells} cells but the header has {headers}: a separator or quote in a value is not written as CSV requires"
ERR_CSV = "row {row}: {problem}"
_DELIMITERS = (",", ";", "\t", "|")


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file, from its header line only (outside quotes).

    The data rows are not looked at: free text with commas or semicolons must not sway it.
    A header line without any candidate is one column (``,``).
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_line(text: str) -> str:
    """The first record's text, which may span lines inside quotes."""
    quoted = False
    for position, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            return text[:position]
    return text


def read_csv(
    text: str, *, name: str = "csv", max_rows: int | None = None, max_cells: int | None = None
) -> Table:
    """An RFC 4180 CSV export as a table.

    The delimiter (``,``, ``;``, tab or ``|``) comes from the header line; quoted fields may
    hold the delimiter, doubled quotes and line breaks. A row with more cells than the header
    is kept as a problem naming the row (never shifted or cut silently); a shorter row is
    padded with blanks; blank rows are skipped (row numbers stay those of the file).
    """
    text = text.lstrip("\ufeff")
    delimiter = detect_delimiter(_header_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = Table(name=name, headers=[])
    record = 0
    cells = 0
    try:
        for record, row in enumerate(reader, start=1):
            if record == 1:
                table.headers = [h.strip() for h in row]
                continue
            if not any(c.strip() for c in row):
                continue
            if max_rows is not None and len(table.rows) >= max_rows:
                raise UnreadableText(f"more than {max_rows} rows")
            cells += len(row)
            if max_cells is not None and cells > max_cells:
                raise UnreadableText(f"more than {max_cells} cells")
            if len(row) > len(table.headers):
                extra = row[len(table.headers) :]
                if any(c.strip() for c in extra):
                    table.problems.append(
                        (
                            record,
                            ERR_EXTRA_CELLS.format(cells=len(row), headers=len(table.headers)),
                        )
                    )
                row = row[: len(table.headers)]
            elif len(row) < len(table.headers):
                row = [*row, *([""] * (len(table.headers) - len(row)))]
            table.rows.append(list(row))
            table.numbers.append(record)
    except csv.Error as error:
        raise UnreadableText(ERR_CSV.format(row=record + 1, problem=error)) from None
    return table


def read_csv_bytes(
    content: bytes,
    *,
    name: str = "csv",
    max_rows: int | None = None,
    max_cells: int | None = None,
) -> Table:
    """A CSV file's bytes as a table (see :func:`decode_text` and :func:`read_csv`)."""
    text, encoding = decode_text(content)
    table = read_csv(text, name=name, max_rows=max_rows, max_cells=max_cells)
    table.encoding = encoding
    return table


# --- header resolution --------------------------------------------------------------------


def normalise_label(text: str) -> str:
    """Labels compare without case, spacing, trailing punctuation or markdown emphasis."""
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(":?. ").lower()


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def metadata_role(header: str) -> str | None:
    """The role of a tools' metadata column (``uuid``, ``key``, ``parent``, ``review``, …).

    ``meta``-group columns in any separator (``meta/instanceID``, ``meta-instanceID``),
    Kobo's ``_``-columns, Central's and SurveyCTO's fixed names. ``None`` for a data column.
    """
    lowered = header.strip().lower()
    if not lowered:
        return None
    last = re.split(r"[/\-.:|]", lowered)[-1] if not lowered.startswith("_") else lowered
    if lowered in _METADATA:
        return _METADATA[lowered]
    if last in _METADATA and (last != "key" or lowered == "key"):
        return _METADATA[last]
    if re.match(r"^meta[/\-.:|]", lowered) or lowered.startswith("formhub"):
        return "uuid" if last == "instanceid" else "meta"
    if lowered.startswith("_") or lowered.startswith("set-of-"):
        return "meta"
    if lowered in _METADATA_NAMES:
        return "meta"
    return None


def is_metadata(header: str) -> bool:
    return metadata_role(header) is not None


def is_rejected(value: object) -> bool:
    """A review state that marks a submission rejected (Central, Kobo, SurveyCTO)."""
    return cell_text(value).strip().lower() in _REJECTED


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    spec: FieldSpec


class _Resolver:
    """Question and choice tokens (names and every label, folded), longest first."""

    def __init__(self, specs: Sequence[FieldSpec]) -> None:
        self.by_name = {spec.name: spec for spec in specs}
        tokens: dict[str, FieldSpec] = {}
        labels: dict[str, FieldSpec] = {}
        for spec in specs:
            tokens.setdefault(_fold(spec.name), spec)
            for label in spec.labels:
                if label.strip():
                    tokens.setdefault(_fold(label), spec)
                    labels.setdefault(normalise_label(label), spec)
        self.tokens = tokens
        self.labels = labels
        self.multiple = sorted(
            (
                _Token(text, spec)
                for text, spec in tokens.items()
                if spec.kind in (SELECT_MULTIPLE, RANK)
            ),
            key=lambda t: -len(t.text),
        )

    def question(self, text: str) -> FieldSpec | None:
        folded = _fold(text)
        found = self.tokens.get(folded)
        if found is None:
            found = self.labels.get(normalise_label(text))
        return found

    def choice_column(self, text: str) -> tuple[FieldSpec, str] | None:
        folded = _fold(text)
        for token in self.multiple:
            if not folded.startswith(token.text) or len(folded) == len(token.text):
                continue
            rest = folded[len(token.text) :]
            stripped = rest.lstrip(SEPARATOR_CHARS + " ")
            if stripped == rest.lstrip(" ") or not stripped:
                continue
            code = choice_code(token.spec, stripped)
            if code is not None:
                return token.spec, code
        return None


def _suffixes(header: str) -> Iterable[tuple[str, str]]:
    """(prefix, rest): the whole header, then every split after a separator, longest first."""
    text = header.strip()
    yield "", text
    for position in range(1, len(text)):
        if text[position - 1] in SEPARATOR_CHARS and text[position] not in SEPARATOR_CHARS:
            yield text[:position], text[position:]


def _is_group_path(prefix: str, groups: frozenset[str]) -> bool:
    """Whether ``prefix`` is made of group names or labels, each followed by separators."""
    folded = _fold(prefix)
    memo: dict[int, bool] = {}

    def walk(position: int) -> bool:
        if position == len(folded):
            return True
        if position in memo:
            return memo[position]
        result = False
        for group in groups:
            end = position + len(group)
            if folded.startswith(group, position) and end < len(folded):
                after = end
                while after < len(folded) and folded[after] in SEPARATOR_CHARS + " ":
                    after += 1
                if after > end and walk(after):
                    result = True
                    break
        memo[position] = result
        return result

    return walk(0)


def resolve_columns(
    headers: Sequence[str],
    specs: Sequence[FieldSpec],
    saved: Mapping[str, str] | None = None,
    *,
    groups: Iterable[str] = (),
) -> tuple[list[Column], list[str]]:
    """Which column answers which question; returns the columns and the unknown headers.

    A saved mapping (``header → "field"`` or ``"field/choice"``, or ``""`` to ignore) wins.
    Metadata columns are neither. Otherwise the whole header, then each suffix after a
    separator (longest first), is tried as a question (name or label in any language) and as
    a question followed by one of its choices (a 0/1 column of a ``select_multiple``).
    Columns of :data:`NOTE` specs are recognised and left out of both lists. When the form's
    ``groups`` (names and labels of its groups and repeats) are given, a prefix must be made
    of them, so that an unknown ``extra-postcode`` is not taken for ``postcode``.
    """
    saved = saved or {}
    resolver = _Resolver(specs)
    group_tokens = frozenset(_fold(g) for g in (*groups, "meta") if g.strip())
    strict = len(group_tokens) > 1
    columns: list[Column] = []
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if header in saved:
            target = saved[header]
            name, _sep, choice = target.partition("/")
            if target and name in resolver.by_name:
                columns.append(Column(index, header, name, choice))
            continue
        if not header.strip() or is_metadata(header):
            continue
        found: Column | None = None
        for prefix, suffix in _suffixes(header):
            if prefix and strict and not _is_group_path(prefix, group_tokens):
                continue
            spec = resolver.question(suffix)
            if spec is not None:
                found = Column(index, header, spec.name)
                break
            pair = resolver.choice_column(suffix)
            if pair is not None:
                found = Column(index, header, pair[0].name, pair[1])
                break
        if found is None:
            unknown.append(header)
        elif resolver.by_name[found.field].kind != NOTE:
            columns.append(found)
    return columns, unknown


def closest_names(header: str, specs: Sequence[FieldSpec], *, count: int = 3) -> list[str]:
    """The question names most like an unknown header (by name and by label)."""
    candidates: dict[str, str] = {}
    for spec in specs:
        if spec.kind == NOTE:
            continue
        candidates.setdefault(_fold(spec.name), spec.name)
        for label in spec.labels:
            candidates.setdefault(_fold(label), spec.name)
    last = re.split(r"[/\-.:|]", header.strip())[-1] or header
    found: list[str] = []
    for probe in (_fold(header), _fold(last)):
        for match in difflib.get_close_matches(probe, list(candidates), n=count, cutoff=0.5):
            if candidates[match] not in found:
                found.append(candidates[match])
    return found[:count]


# --- values -------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    if type(value) is str:  # nearly every cell (a CSV has no other kind)
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def truthy(value: object) -> bool:
    """A 0/1 or yes/no cell; a blank cell is ``False`` (a 0/1 column left empty)."""
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE or text == "":
        return False
    raise ValueProblem(f"expected 1/0 or yes/no, got {cell_text(value)!r}")


def choice_code(spec: FieldSpec, text: str) -> str | None:
    """The choice code of a cell given as code or as label (any language)."""
    raw = text.strip()
    for choice in spec.choices:
        if raw == choice.code:
            return choice.code
    folded = raw.casefold()
    wanted = normalise_label(raw)
    for choice in spec.choices:
        if folded == choice.code.casefold() or (
            wanted and wanted in {normalise_label(label) for label in choice.labels}
        ):
            return choice.code
    return None


# Older name, kept for callers.
_choice_code = choice_code


def _label_sequence(spec: FieldSpec, text: str) -> list[str] | None:
    """Split a summary cell into whole choice labels or codes, longest first.

    Kobo writes a ``select_multiple`` in a label export as the labels joined by spaces
    (``Taal oefenen Praktische zaken``): the words are grouped back into labels by trying
    the longest label that fits at each place (backtracking when a later word is left over).
    """
    words = text.split()
    options: list[tuple[list[str], str]] = []
    for choice in spec.choices:
        for token in {choice.code, *choice.labels}:
            token_words = _fold(token).split()
            if token_words:
                options.append((token_words, choice.code))
    options.sort(key=lambda o: -len(o[0]))
    folded = [_fold(w) for w in words]
    memo: dict[int, list[str] | None] = {}

    def walk(position: int) -> list[str] | None:
        if position == len(folded):
            return []
        if position in memo:
            return memo[position]
        result: list[str] | None = None
        for token_words, code in options:
            end = position + len(token_words)
            if folded[position:end] == token_words:
                rest = walk(end)
                if rest is not None:
                    result = [code, *rest]
                    break
        memo[position] = result
        return result

    return walk(0)


def _codes(spec: FieldSpec, text: str) -> list[str]:
    tokens = text.split()
    codes = [choice_code(spec, token) for token in tokens]
    if all(code is not None for code in codes):
        return list(dict.fromkeys(c for c in codes if c is not None))
    whole = choice_code(spec, text)
    if whole is not None:
        return [whole]
    parts = [p for p in re.split(r"\s*[,;\n]\s*", text) if p]
    codes = [choice_code(spec, part) for part in parts]
    if all(code is not None for code in codes):
        return list(dict.fromkeys(c for c in codes if c is not None))
    sequence = _label_sequence(spec, text)
    if sequence is not None:
        return list(dict.fromkeys(sequence))
    unknown = [t for t in tokens if choice_code(spec, t) is None]
    raise ValueProblem(f"not among the choices: {' '.join(unknown) or text!r}")


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%b %d, %Y",  # Briefcase, SurveyCTO: Apr 1, 2024
    "%B %d, %Y",
    "%d %b %Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
)
_DATETIME_FORMATS = (
    "%b %d, %Y %I:%M:%S %p",  # Apr 1, 2024 10:03:42 AM
    "%b %d, %Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)


def parse_date(value: object) -> date:
    """A date as the tools write it: ISO (with or without a time and offset), ``Apr 1, 2024``,
    ``Apr 1, 2024 10:03:42 AM``, ``01-04-2024`` (day first), or a spreadsheet date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = re.sub(r"\s+", " ", cell_text(value))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for pattern in (*_DATE_FORMATS, *_DATETIME_FORMATS):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (only the date is kept)
        except ValueError:
            continue
    raise ValueProblem(f"expected a date (YYYY-MM-DD or 'Apr 1, 2024'), got {text!r}")


def convert(spec: FieldSpec, value: object) -> object:
    """One cell as the answer of ``spec`` (codes for choices, int/float/ISO date, bool).

    A blank cell is no answer: ``None`` (``[]`` for a multiple choice) — a blank yes/no is
    not "no", and a blank acknowledgement is not given.
    """
    text = cell_text(value)
    kind = spec.kind
    if text == "":
        return [] if kind in (SELECT_MULTIPLE, RANK) else None
    if kind in (BOOLEAN, ACKNOWLEDGE):
        if spec.choices:
            code = choice_code(spec, text)
            if code in ("yes", "no"):
                return code == "yes"
        return truthy(value)
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
        return parse_date(value).isoformat()
    if kind == SELECT_ONE:
        code = choice_code(spec, text)
        if code is None:
            raise ValueProblem(f"not among the choices: {text!r}")
        return code
    if kind in (SELECT_MULTIPLE, RANK):
        return _codes(spec, text)
    return value if isinstance(value, str) else text


def submission_id(value: object) -> str:
    """``uuid:abc`` (ODK) and ``abc`` (Kobo ``_uuid``) are the same submission."""
    text = cell_text(value)
    return text[5:] if text.lower().startswith("uuid:") else text
