"""Reading survey exports (no database): encodings, RFC 4180, headers, values."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime

import pytest

from welcomematch.core import tabular
from welcomematch.core.spreadsheet import csv_cell, xlsx_append
from welcomematch.core.tabular import ChoiceSpec, FieldSpec

GOALS = FieldSpec(
    "goals",
    tabular.SELECT_MULTIPLE,
    ("Doelen", "Goals"),
    (
        ChoiceSpec("language", ("Taal oefenen", "Language practice")),
        ChoiceSpec("work", ("Werk", "Work")),
        ChoiceSpec("practical", ("Praktische zaken", "Practical matters")),
        ChoiceSpec("network", ("Netwerk", "Network")),
    ),
)
SPECS = [
    FieldSpec("name", "text", ("Naam van de groep", "Group name")),
    FieldSpec(
        "postcode", "text", ("Postcode waar de groep woont", "Postcode where the group lives")
    ),
    FieldSpec("contact_email", "email", ("E-mailadres van de contactpersoon", "Contact e-mail")),
    GOALS,
    FieldSpec(
        "wants_ambassador",
        tabular.BOOLEAN,
        ("Wil een ambassadeur", "Wants an ambassador"),
        (ChoiceSpec("yes", ("Ja", "Yes")), ChoiceSpec("no", ("Nee", "No"))),
    ),
]
GROUPS = ["group", "Uw groep", "Your group", "background", "Achtergrond"]


# --- decoding -------------------------------------------------------------------------------


def test_windows_1252_text_is_read_right() -> None:
    text, encoding = tabular.decode_text("naam;x\nZoë’s;1\n".encode("cp1252"))
    assert (text, encoding) == ("naam;x\nZoë’s;1\n", "windows-1252")


@pytest.mark.parametrize("bom", [True, False])
def test_utf8_with_or_without_bom(bom: bool) -> None:
    content = (codecs.BOM_UTF8 if bom else b"") + "a,b\nZoë,’\n".encode()
    assert tabular.decode_text(content)[0] == "a,b\nZoë,’\n"


def test_excel_unicode_text_is_utf16_and_tab_separated() -> None:
    content = codecs.BOM_UTF16_LE + "naam\tleeftijd\r\nZoë\t38\r\n".encode("utf-16-le")
    table = tabular.read_csv_bytes(content, name="x")
    assert table.headers == ["naam", "leeftijd"] and table.rows == [["Zoë", "38"]]
    assert table.encoding == "utf-16"


def test_utf16_without_bom_is_told_by_its_nul_bytes() -> None:
    assert tabular.decode_text("a,b\n1,2\n".encode("utf-16-le"))[0] == "a,b\n1,2\n"


def test_one_invalid_byte_in_a_utf8_file_is_refused_naming_its_line_never_latin1() -> None:
    content = "naam\nZoë\nAnna\n".encode() + b"B\xe9a\n"
    with pytest.raises(tabular.UnreadableText, match=r"line 4: byte 0xE9 is not valid UTF-8"):
        tabular.decode_text(content)


def test_binary_content_is_not_text() -> None:
    with pytest.raises(tabular.UnreadableText, match="not a text file"):
        tabular.decode_text(b"\x00\x01\x02\x03abc\x00\x00\x00\x00\xff")


# --- CSV ------------------------------------------------------------------------------------


def test_doubled_quotes_and_line_breaks_stay_inside_their_field() -> None:
    text = 'name;motivation;_uuid\n"De ""Buren""";"Regel één\nTweede: ""samen"" sterk; echt";u1\nB;kort;u2\n'
    table = tabular.read_csv(text)
    assert table.rows == [
        ['De "Buren"', 'Regel één\nTweede: "samen" sterk; echt', "u1"],
        ["B", "kort", "u2"],
    ]
    assert table.numbers == [2, 3] and not table.problems


def test_the_delimiter_comes_from_the_header_line_only() -> None:
    text = "name,motivation\nA,een; twee; drie; vier; vijf\nB,zes; zeven; acht\n"
    assert tabular.read_csv(text).rows == [
        ["A", "een; twee; drie; vier; vijf"],
        ["B", "zes; zeven; acht"],
    ]


def test_a_row_with_more_cells_than_headers_is_a_problem_naming_the_row() -> None:
    table = tabular.read_csv("a;b\n1;2\n3;4;5\n")
    assert table.problems == [
        (3, tabular.ERR_EXTRA_CELLS.format(cells=3, headers=2)),
    ]


def test_a_quote_inside_an_unquoted_field_is_an_error_naming_the_row_not_a_shift() -> None:
    with pytest.raises(tabular.UnreadableText, match="row 3"):
        tabular.read_csv('a;b;c\n1;2;3\nx;"Samen" sterk; echt;y\n')


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        ["group/name", "group/postcode", "background/goals", "background/goals/work"],
        ["group-name", "group-postcode", "background-goals", "background-goals/work"],
        ["group.name", "group.postcode", "background.goals", "background.goals.work"],
        [
            "group :: name",
            "group :: postcode",
            "background :: goals",
            "background :: goals :: work",
        ],
        ["name", "postcode", "goals", "goals/work"],
        ["Uw groep/Naam van de groep", "Postcode waar de groep woont", "Doelen", "Doelen/Werk"],
        [
            "Your group.Group name",
            "Your group.Postcode where the group lives",
            "Goals",
            "Goals.Work",
        ],
    ],
)
def test_headers_resolve_with_any_separator_group_prefix_or_language(headers: list[str]) -> None:
    columns, unknown = tabular.resolve_columns(
        [*headers, "_uuid", "meta-instanceID"], SPECS, groups=GROUPS
    )
    assert [(c.field, c.choice) for c in columns] == [
        ("name", ""),
        ("postcode", ""),
        ("goals", ""),
        ("goals", "work"),
    ]
    assert unknown == []


def test_a_label_holding_a_separator_still_resolves_whole() -> None:
    columns, unknown = tabular.resolve_columns(
        ["group-E-mailadres van de contactpersoon"], SPECS, groups=GROUPS
    )
    assert [c.field for c in columns] == ["contact_email"] and not unknown


def test_an_unknown_prefix_is_not_taken_for_a_group() -> None:
    columns, unknown = tabular.resolve_columns(["extra-postcode"], SPECS, groups=GROUPS)
    assert columns == [] and unknown == ["extra-postcode"]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("meta-instanceID", "uuid"),
        ("meta/instanceID", "uuid"),
        ("_uuid", "uuid"),
        ("KEY", "key"),
        ("PARENT_KEY", "parent"),
        ("_parent_index", "parent"),
        ("ReviewState", "review"),
        ("_validation_status", "review"),
        ("review_status", "review"),
        ("SubmissionDate", "submitted"),
        ("SET-OF-members", "meta"),
        ("_submission__uuid", "meta"),
        ("group-name", None),
    ],
)
def test_metadata_columns_are_kept_apart(header: str, role: str | None) -> None:
    assert tabular.metadata_role(header) == role


@pytest.mark.parametrize(
    "value", ["rejected", "validation_status_not_approved", "Not Approved", "REJECTED"]
)
def test_rejected_review_states(value: str) -> None:
    assert tabular.is_rejected(value)
    assert not tabular.is_rejected("approved") and not tabular.is_rejected("")


def test_unknown_header_gets_the_closest_question_names() -> None:
    assert tabular.closest_names("group/postcod", SPECS)[0] == "postcode"


# --- values ---------------------------------------------------------------------------------


def test_a_summary_of_multi_word_labels_is_split_into_whole_labels() -> None:
    assert tabular.convert(GOALS, "Taal oefenen Praktische zaken") == ["language", "practical"]
    assert tabular.convert(GOALS, "Language practice Work") == ["language", "work"]
    assert tabular.convert(GOALS, "language practical") == ["language", "practical"]
    with pytest.raises(tabular.ValueProblem):
        tabular.convert(GOALS, "Taal oefenen Koken")


@pytest.mark.parametrize(
    "value",
    [
        "2024-04-01",
        "Apr 1, 2024",
        "Apr 1, 2024 10:03:42 AM",
        "2024-04-01T10:03:42.120+02:00",
        "2024-04-01T08:03:42Z",
        "01-04-2024",
        datetime(2024, 4, 1, 10, 3, tzinfo=UTC),
        date(2024, 4, 1),
    ],
)
def test_dates_as_the_tools_write_them(value: object) -> None:
    spec = FieldSpec("interviewed_at", tabular.DATE)
    assert tabular.convert(spec, value) == "2024-04-01"


def test_a_blank_yes_no_stays_blank_and_labels_count() -> None:
    spec = SPECS[-1]
    assert tabular.convert(spec, "") is None
    assert tabular.convert(spec, "Nee") is False
    assert tabular.convert(spec, "yes") is True


def test_text_keeps_its_bytes() -> None:
    spec = FieldSpec("motivation", "textarea")
    assert tabular.convert(spec, 'Regel "één"\nTwee’s; «x» —') == 'Regel "één"\nTwee’s; «x» —'


# --- spreadsheet output ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+31 6", "-2", "@SUM(A1)"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell("Anna") == "Anna" and csv_cell(3) == 3


def test_xlsx_cells_starting_with_equals_are_text_not_formulas() -> None:
    import io

    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    xlsx_append(sheet, ["label", '=HYPERLINK("http://x","klik")'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["B1"]  # type: ignore[index]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","klik")'
