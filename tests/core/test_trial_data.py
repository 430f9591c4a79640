"""The trial data file (welcomematch.trial/1): every bad input names its line and column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from welcomematch.core.errors import InvalidInput
from welcomematch.core.trial import (
    TrialData,
    analyse,
    dumps_trial_csv,
    parse_trial_bytes,
    parse_trial_csv,
    read_trial_file,
    trial_data_from_rows,
)
from welcomematch.core.trial import data as trialdata

GOOD = (
    "pair,arm,unit,age,gain\n"  # line 1
    "G1,treatment,u1,30,2\n"  # line 2
    "G1,control,u2,40,1\n"  # line 3
    "G2,control,u3,35,\n"  # line 4
    "G2,treatment,u4,20,3.5\n"  # line 5
)


def _error(text: str, outcomes: tuple[str, ...] = ()) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        analyse(parse_trial_csv(text), outcomes)
    return caught.value


def test_a_good_file_keeps_its_columns_rows_and_line_numbers() -> None:
    data = parse_trial_csv(GOOD)
    assert data.columns == ("pair", "arm", "unit", "age", "gain")
    assert data.rows[2] == ("G2", "control", "u3", "35", "")
    assert [data.line(i) for i in range(4)] == [2, 3, 4, 5]


def test_a_byte_order_mark_crlf_line_ends_blank_lines_and_spaces_are_accepted() -> None:
    text = "\ufeffpair, arm ,gain\r\nG1,treatment, 2 \r\n\r\nG1, control,1\r\n"
    data = parse_trial_bytes(text.encode("utf-8"))
    assert data.columns == ("pair", "arm", "gain")
    assert data.rows == (("G1", "treatment", "2"), ("G1", "control", "1"))
    assert data.lines == (2, 4)  # the blank line 3 is skipped, the numbering is the file's


def test_quoted_cells_spanning_lines_keep_the_file_line_numbers() -> None:
    text = 'pair,arm,note\nG1,treatment,"two\nlines"\nG1,control,x\nG2,treated,y\n'
    error = _error(text)
    assert str(error).startswith("line 5: column 'arm':")


def test_trailing_empty_cells_of_a_spreadsheet_export_are_ignored() -> None:
    data = parse_trial_csv("pair,arm,gain,,\nG1,treatment,1,,\nG1,control,2,,\n")
    assert data.columns == ("pair", "arm", "gain")
    assert data.rows == (("G1", "treatment", "1"), ("G1", "control", "2"))


@pytest.mark.parametrize(
    ("text", "outcomes", "where", "message"),
    [
        pytest.param(
            "arm,gain\ntreatment,1\ncontrol,2\n",
            (),
            "line 1: column 'pair'",
            trialdata.MISSING_COLUMN,
            id="missing-pair-column",
        ),
        pytest.param(
            "pair,gain\nG1,1\nG1,2\n",
            (),
            "line 1: column 'arm'",
            trialdata.MISSING_COLUMN,
            id="missing-arm-column",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\nG1,treated,2\n",
            (),
            "line 3: column 'arm'",
            trialdata.BAD_ARM.format(value="treated"),
            id="arm-other-than-the-two-words",
        ),
        pytest.param(
            "pair,arm,gain\nG1,Treatment,1\nG1,control,2\n",
            (),
            "line 2: column 'arm'",
            trialdata.BAD_ARM.format(value="Treatment"),
            id="arm-in-capitals",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\nG2,treatment,1\nG2,control,2\n",
            (),
            "line 2: column 'pair'",
            trialdata.LONE_ROW.format(pair="G1", missing="control"),
            id="pair-with-one-row",
        ),
        pytest.param(
            "pair,arm,gain\nG1,control,1\nG1,control,2\n",
            (),
            "line 3: column 'arm'",
            trialdata.SECOND_ROW_OF_ARM.format(pair="G1", arm="control", first=2),
            id="pair-with-two-controls",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\nG1,control,2\nG1,treatment,3\n",
            (),
            "line 4: column 'arm'",
            trialdata.SECOND_ROW_OF_ARM.format(pair="G1", arm="treatment", first=2),
            id="pair-with-three-rows",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\n,control,2\n",
            (),
            "line 3: column 'pair'",
            trialdata.EMPTY_PAIR,
            id="empty-pair",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\nG1,control,2\nG2,treatment,3,5\n",
            (),
            "line 4: column '#4 (no header)'",
            trialdata.TOO_MANY_FIELDS.format(fields=4, columns=3),
            id="row-with-an-extra-cell",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\nG1,control\n",
            (),
            "line 3: column 'gain'",
            trialdata.TOO_FEW_FIELDS.format(fields=2, columns=3),
            id="row-with-a-missing-cell",
        ),
        pytest.param(
            "pair,arm,gain\nG1,treatment,1\nG1,control,2\nG2,treatment,3,5\n",
            (),
            "line 4",
            "",
            id="first-error-in-file-order",
        ),
        pytest.param(
            "pair,arm,gain\n", (), "line 1: column 'pair'", trialdata.NO_PAIRS, id="no-pairs"
        ),
        pytest.param("", (), "line 1: column 'pair'", trialdata.EMPTY_FILE, id="empty-file"),
        pytest.param(
            "\n \n,,\n", (), "line 1: column 'pair'", trialdata.EMPTY_FILE, id="blank-file"
        ),
        pytest.param(
            "\npair,arm\nG1,treatment\nG1,control\n",
            (),
            "line 1: column 'pair'",
            trialdata.BLANK_FIRST_LINE,
            id="blank-first-line",
        ),
        pytest.param(
            "pair,arm,gain,pair\nG1,treatment,1,G1\n",
            (),
            "line 1: column 'pair'",
            trialdata.DUPLICATE_HEADER.format(first=1),
            id="duplicate-header",
        ),
        pytest.param(
            "pair,arm,,gain\nG1,treatment,,1\n",
            (),
            "line 1: column '#3'",
            trialdata.EMPTY_HEADER,
            id="unnamed-column",
        ),
        pytest.param(
            GOOD, ("gains",), "line 1: column 'gains'", trialdata.NOT_A_COLUMN, id="no-such-outcome"
        ),
        pytest.param(
            GOOD,
            ("arm",),
            "line 1: column 'arm'",
            trialdata.DESIGN_COLUMN_AS_OUTCOME,
            id="design-column-as-outcome",
        ),
        pytest.param(
            GOOD.replace("3.5", "3,5").replace("pair,arm,unit,age,gain", "pair;arm;unit;age;gain"),
            (),
            "line 1: column 'pair'",
            trialdata.MISSING_COLUMN,
            id="semicolon-separated",
        ),
        pytest.param(
            GOOD.replace("G2,treatment,u4,20,3.5", 'G2,treatment,u4,20,"3,5"'),
            ("gain",),
            "line 5: column 'gain'",
            trialdata.NOT_A_NUMBER.format(value="3,5"),
            id="decimal-comma-outcome",
        ),
        pytest.param(
            GOOD.replace("G2,treatment,u4,20,3.5", "G2,treatment,u4,20,NA"),
            ("gain",),
            "line 5: column 'gain'",
            trialdata.NOT_A_NUMBER.format(value="NA"),
            id="NA-outcome",
        ),
        pytest.param(
            GOOD.replace("G2,treatment,u4,20,3.5", "G2,treatment,u4,20,nan"),
            ("gain",),
            "line 5: column 'gain'",
            trialdata.NOT_A_NUMBER.format(value="nan"),
            id="nan-outcome",
        ),
        pytest.param(
            GOOD.replace("G2,treatment,u4,20,3.5", "G2,treatment,u4,20,1e999"),
            ("gain",),
            "line 5: column 'gain'",
            trialdata.NOT_FINITE.format(value="1e999"),
            id="overflowing-outcome",
        ),
        pytest.param(
            "pair,arm,a,b\nG1,treatment,1,2\nG1,control,x,3\n",
            ("b", "a"),
            "line 3: column 'a'",
            trialdata.NOT_A_NUMBER.format(value="x"),
            id="every-outcome-checked",
        ),
    ],
)
def test_bad_input_names_the_line_and_the_column(
    text: str, outcomes: tuple[str, ...], where: str, message: str
) -> None:
    error = _error(text, outcomes)
    assert str(error).startswith(where + (": " if message else ""))
    assert str(error).endswith(message)
    assert "\n" not in str(error)


def test_bytes_that_are_not_utf8_name_their_line_and_column() -> None:
    raw = b"pair,arm,origin\nG1,treatment,SY\nG1,control,Eritr" + b"\xe9a\n"
    with pytest.raises(InvalidInput) as caught:
        parse_trial_bytes(raw)
    assert str(caught.value) == "line 3: column 'origin': " + trialdata.NOT_UTF8.format(byte=0xE9)


def test_a_latin1_header_names_line_1_and_the_header_cell() -> None:
    with pytest.raises(InvalidInput, match=r"^line 1: column '#3': not UTF-8"):
        parse_trial_bytes(b"pair,arm,h\xe9\nG1,treatment,1\n")


def test_an_unreadable_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"^line 1: cannot read the file: "):
        read_trial_file(tmp_path / "absent.csv")
    with pytest.raises(InvalidInput, match=r"^line 1: cannot read the file: "):
        read_trial_file(tmp_path)


def test_a_trial_file_is_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "trial.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert read_trial_file(path) == parse_trial_csv(GOOD)


def test_numbers_use_a_decimal_point() -> None:
    for text in ("1", "-2", "+3.", ".5", "1.25e-3", "7E2"):
        assert trialdata.is_number(text), text
    for text in ("1,5", "NA", "nan", "inf", "1_000", "0x10", "", "1 2", "e5"):
        assert not trialdata.is_number(text), text


def test_rows_from_the_application_become_the_same_data_as_the_file() -> None:
    rows = [
        {"pair": "G1", "arm": "treatment", "unit": "u1", "age": 30, "gain": 2},
        {"pair": "G1", "arm": "control", "unit": "u2", "age": 40, "gain": Decimal("1")},
        {"pair": "G2", "arm": "control", "unit": "u3", "age": 35.0, "gain": None},
        {"pair": "G2", "arm": "treatment", "unit": "u4", "age": 20, "gain": 3.5},
    ]
    data = trial_data_from_rows(rows, ["pair", "arm", "unit", "age", "gain"])
    assert data.rows[2] == ("G2", "control", "u3", "35.0", "")
    file = parse_trial_csv(GOOD)
    assert analyse(data, ["gain"]) == analyse(file, ["gain"])


def test_rows_from_the_application_report_the_line_of_the_export() -> None:
    rows = [{"pair": "G1", "arm": "treatment"}, {"pair": "G1", "arm": "control group"}]
    with pytest.raises(InvalidInput, match=r"^line 3: column 'arm': "):
        trial_data_from_rows(rows, ["pair", "arm"])
    with pytest.raises(InvalidInput, match=r"^line 1: column 'arm': "):
        trial_data_from_rows(rows, ["pair"])


def test_analyse_checks_data_built_by_hand_too() -> None:
    data = TrialData(columns=("pair", "arm"), rows=(("G1", "treatment"),))
    with pytest.raises(InvalidInput, match=r"^line 2: column 'pair': "):
        analyse(data, [])


def test_the_writer_gives_a_file_the_reader_reads_back() -> None:
    rows = [
        {"pair": "G 1", "arm": "treatment", "note": 'says "hi", twice', "y": 0.1 + 0.2},
        {"pair": "G 1", "arm": "control", "note": "two\nlines", "y": 1e-05},
    ]
    data = trial_data_from_rows(rows, ["pair", "arm", "note", "y"])
    text = dumps_trial_csv(data)
    assert text.splitlines()[0] == "pair,arm,note,y"
    again = parse_trial_csv(text)
    assert (again.columns, again.rows) == (data.columns, data.rows)
    assert float(again.rows[0][3]) == 0.1 + 0.2  # full precision survives


def test_data_built_by_hand_with_ragged_rows_is_bad_input() -> None:
    short = TrialData(columns=("pair", "arm", "y"), rows=(("G1", "treatment", "1"), ("G1",)))
    with pytest.raises(InvalidInput, match=r"^line 3: column 'arm': missing: the row has 1 "):
        analyse(short, [])
    long = TrialData(columns=("pair", "arm"), rows=(("G1", "treatment", "1"),))
    with pytest.raises(InvalidInput, match=r"^line 2: column '#3 \(no header\)': the row has 3"):
        analyse(long, [])
