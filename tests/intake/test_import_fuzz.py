"""The importer, fed hostile files: never a traceback, and never a partial write.

Hypothesis starts from a real export (ODK Central's CSV of the group questionnaire, see
``fixtures/odk-central/SOURCE.md``) and damages it — cells replaced by hostile values, rows cut
short or made too long, random bytes, broken zips — or sends bytes of its own. Whatever comes
in, the dry run answers with a report (or a ``ValidationError``), and a commit writes every row
or none. The number of examples is bounded so the test stays fast.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_city, make_programme
from welcomematch.intake.importing import import_commit, import_preview
from welcomematch.intake.models import GroupMember, ImportRun, WelcomeGroup

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "odk-central" / "groups.csv.zip"

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        '=HYPERLINK("http://x")',
        "9" * 400,
        "-1",
        "1e309",
        "NaN",
        "2024-02-30",
        "Apr 31, 2024",
        "\u202e\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
        "\x00\x01\x1b",
        "\ud7ff",
        "x" * 5000,
        '"',
        "a,b;c\td",
        "line\nbreak",
        "yes no maybe",
    ]
)


def _fixture_tables() -> dict[str, list[list[str]]]:
    tables = {}
    with zipfile.ZipFile(FIXTURE) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            tables[name] = [list(row) for row in csv.reader(io.StringIO(text))]
    return tables


TABLES = _fixture_tables() if FIXTURE.exists() else {}


@st.composite
def damaged_exports(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["cells", "shape", "bytes", "zip"]))
    if kind == "bytes":
        name = draw(st.sampled_from(["groups.csv", "groups.xlsx", "groups.csv.zip", "groups"]))
        return name, draw(st.binary(max_size=2000))
    tables = {name: [row[:] for row in rows] for name, rows in TABLES.items()}
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(sorted(tables)))
        rows = tables[name]
        r = draw(st.integers(0, len(rows) - 1))
        if kind == "shape":
            if draw(st.booleans()):
                rows[r] = rows[r][: draw(st.integers(0, len(rows[r])))]
            else:
                rows[r] = [*rows[r], draw(HOSTILE)]
        elif rows[r]:
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(HOSTILE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, rows in tables.items():
            text = io.StringIO()
            csv.writer(text).writerows(rows)
            archive.writestr(name, text.getvalue().encode("utf-8", "surrogatepass"))
    data = buffer.getvalue()
    if kind == "zip":
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=50))
    return "groups.csv.zip", data


@pytest.mark.skipif(not TABLES, reason="the ODK Central fixture is missing")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(export=damaged_exports())
def test_a_damaged_export_gets_a_report_and_a_commit_writes_all_or_nothing(export):
    with transaction.atomic():
        _one_example(export)
        transaction.set_rollback(True)


def _one_example(export: tuple[str, bytes]) -> None:
    programme = make_programme(name="Fuzz", slug="fuzz")
    city = make_city(programme, name="Almere")
    before = (WelcomeGroup.objects.count(), GroupMember.objects.count())
    try:
        run = import_preview(
            programme=programme, city=city, kind="groups", files=[export], actor=None
        )
    except ValidationError:
        assert (WelcomeGroup.objects.count(), GroupMember.objects.count()) == before
        return
    assert (WelcomeGroup.objects.count(), GroupMember.objects.count()) == before
    try:
        run = import_commit(run=run, actor=None)
    except ValidationError:
        run.refresh_from_db()
    after = (WelcomeGroup.objects.count(), GroupMember.objects.count())
    if run.status == ImportRun.Status.COMMITTED:
        assert not run.report.get("errors"), "a run with errors was committed"
    else:
        assert after == before, "a refused commit wrote rows"
