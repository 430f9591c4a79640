"""Hostile and broken uploads are refused before parsing; uploads are not kept; commits are
idempotent; spreadsheets the product writes hold no live formulas."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from tests.intake.exports import xlsx
from tests.intake.test_importing import two_groups
from welcomematch.accounts.models import AuditEvent
from welcomematch.intake import importing
from welcomematch.intake.importing import (
    import_commit,
    import_preview,
    import_uploads_purge,
    read_tables,
    run_import,
    uploads_dir,
)
from welcomematch.intake.models import ImportRun, WelcomeGroup

pytestmark = pytest.mark.django_db


def dimension_bomb() -> bytes:
    """A tiny workbook whose sheet declares A1:XFD1048576 (the reader would pad every row)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx({"groups": [["name"], ["A"]]})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
            target.writestr(info.filename, data)
    return out.getvalue()


def deflate_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


def test_a_declared_dimension_bomb_is_refused_before_reading() -> None:
    content = dimension_bomb()
    assert len(content) < 10_000
    with pytest.raises(ValidationError, match=r"declares 17179869184 cells \(A1:XFD1048576\)"):
        read_tables([("bomb.xlsx", content)])


def test_a_deflate_bomb_is_refused_from_the_zip_directory() -> None:
    with pytest.raises(ValidationError, match=r"unpacks to .*× its packed size"):
        read_tables([("bomb.xlsx", deflate_bomb())])


def test_a_file_above_the_size_limit_is_refused_from_its_size_alone() -> None:
    with pytest.raises(ValidationError, match="the file is 200 MB"):
        importing.check_upload_sizes([("big.csv", 200 * 1024 * 1024)])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n...", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n....", "a PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel (.xls)"),
    ],
)
def test_a_wrong_file_type_is_named(content: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        read_tables([("export.csv", content)])


def test_a_csv_with_one_invalid_utf8_byte_is_refused_naming_the_line(
    programme: Any, city: Any, postcodes: int
) -> None:
    content = "name;x\nZoë;1\n".encode() + b"B\xe9;2\n"
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("g.csv", content)],
        actor=None,
        dry_run=False,
    )
    (message,) = report["file_errors"]
    assert "g.csv" in message and "line 3" in message and "not valid UTF-8" in message
    assert not WelcomeGroup.objects.exists()


def test_a_row_with_more_cells_than_headers_is_an_error_naming_the_row(
    programme: Any, city: Any, postcodes: int
) -> None:
    content = b"name;contact_email\nA;a@example.org\nB;b@example.org;extra\n"
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("g.csv", content)],
        actor=None,
        dry_run=True,
    )
    assert any("g row 3: this row has 3 cells" in m for m in report["file_errors"])


def test_hostile_uploads_on_the_web_page_give_a_clear_message_not_a_500(
    users: dict[str, Any], city: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD

    client = Client()
    client.login(username=users["coordinator"].username, password=PASSWORD)
    for name, content in (("bomb.xlsx", dimension_bomb()), ("bomb2.xlsx", deflate_bomb())):
        response = client.post(
            reverse("intake:import"),
            {"kind": "groups", "city": city.pk, "exports": [SimpleUploadedFile(name, content)]},
        )
        assert response.status_code == 302
        run = ImportRun.objects.get(
            report__file_errors__isnull=False, files=[], pk=run_pk(response)
        )
        assert run.status == ImportRun.Status.FAILED and run.files == []
        page = client.get(response["Location"])
        assert name.encode() in page.content


def run_pk(response: Any) -> int:
    return int(response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_an_oversized_upload_is_refused_before_the_body_is_read(
    users: dict[str, Any], city: Any
) -> None:
    from django.test import RequestFactory

    from welcomematch.intake.views import import_upload

    request = RequestFactory().post(
        "/intake/import/", data=b"x", content_type="multipart/form-data; boundary=x"
    )
    request.META["CONTENT_LENGTH"] = str(200 * 1024 * 1024)
    request.user = users["coordinator"]
    response = import_upload(request)
    assert response.status_code == 413
    assert b"200 MB" in response.content
    assert not ImportRun.objects.exists()


def test_the_upload_waits_on_disk_not_in_the_database_and_goes_once_committed(
    programme: Any, city: Any, postcodes: int
) -> None:
    export = two_groups()
    run = import_preview(
        programme=programme, city=city, kind="groups", files=[("g.xlsx", export)], actor=None
    )
    assert run.status == ImportRun.Status.PREVIEWED
    (stored,) = run.files
    assert set(stored) == {"name", "path", "size"}  # no content in the database
    path = uploads_dir() / stored["path"]
    assert path.read_bytes() == export
    import_commit(run=run, actor=None)
    run.refresh_from_db()
    assert run.files == [] and not path.exists() and not path.parent.exists()


def test_a_failed_preview_keeps_no_upload(programme: Any, city: Any, postcodes: int) -> None:
    bad = b"name;x\n" + b"\xff\xfe\x00"
    run = import_preview(
        programme=programme, city=city, kind="groups", files=[("g.csv", bad)], actor=None
    )
    assert run.status == ImportRun.Status.FAILED and run.files == []


def test_uploads_older_than_a_day_are_purged_whatever_the_outcome(
    programme: Any, city: Any, postcodes: int
) -> None:
    run = import_preview(
        programme=programme, city=city, kind="groups", files=[("g.xlsx", two_groups())], actor=None
    )
    path = uploads_dir() / run.files[0]["path"]
    assert import_uploads_purge() == 0 and path.exists()
    ImportRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(hours=25))
    assert import_uploads_purge() == 1
    run.refresh_from_db()
    assert run.files == [] and not path.exists()
    committed = import_commit(run=run, actor=None)
    assert committed.status == ImportRun.Status.FAILED
    assert importing.ERR_UPLOAD_GONE in committed.report["file_errors"]
    assert not WelcomeGroup.objects.exists()


def test_committing_twice_writes_once_and_stays_committed(
    programme: Any, city: Any, postcodes: int
) -> None:
    run = import_preview(
        programme=programme, city=city, kind="groups", files=[("g.xlsx", two_groups())], actor=None
    )
    first = import_commit(run=run, actor=None)
    second = import_commit(run=run, actor=None)  # the stale object, as a double submit has
    assert first.status == second.status == ImportRun.Status.COMMITTED
    assert WelcomeGroup.objects.count() == 2
    assert AuditEvent.objects.filter(action="intake.imported").count() == 1
    assert second.report == first.report


def test_a_second_commit_on_the_web_page_says_so(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD

    client = Client()
    client.login(username=users["coordinator"].username, password=PASSWORD)
    response = client.post(
        reverse("intake:import"),
        {
            "kind": "groups",
            "city": city.pk,
            "exports": [SimpleUploadedFile("g.xlsx", two_groups())],
        },
    )
    client.post(response["Location"], {"action": "commit"})
    page = client.post(response["Location"], {"action": "commit"}, follow=True)
    assert page.status_code == 200
    assert b"Deze import was al uitgevoerd" in page.content  # the page is Dutch
    assert ImportRun.objects.get().status == ImportRun.Status.COMMITTED
    assert WelcomeGroup.objects.count() == 2


def test_an_xlsform_label_starting_with_equals_is_written_as_text(tmp_path: Path, db: Any) -> None:
    from welcomematch.intake.questions import QUESTIONNAIRES
    from welcomematch.intake.xlsform import xlsform_bytes
    from welcomematch.programmes.models import Category

    label = '=HYPERLINK("http://evil.example","klik")'
    Category.objects.filter(kind="goal", code="work").update(label_nl=label)
    workbook = load_workbook(io.BytesIO(xlsform_bytes(QUESTIONNAIRES["households"])))
    cells = [c for row in workbook["choices"].iter_rows() for c in row if c.value == label]
    assert cells and all(c.data_type == "s" for c in cells)
    formulas = [c for ws in workbook for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_the_web_page_edits_the_mapping_then_commits_and_saves_it(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD
    from welcomematch.intake.models import ImportMapping

    source = zipfile.ZipFile(Path(__file__).parent / "fixtures/odk-central/groups.csv.zip")
    export = io.BytesIO()
    with zipfile.ZipFile(export, "w") as target:
        main = source.read("welcomematch_group_intake.csv").decode()
        target.writestr(
            "welcomematch_group_intake.csv", main.replace("group-name,", "Groepsnaam eigen,", 1)
        )
        target.writestr(
            "welcomematch_group_intake-members.csv",
            source.read("welcomematch_group_intake-members.csv"),
        )
    client = Client()
    client.login(username=users["coordinator"].username, password=PASSWORD)
    response = client.post(
        reverse("intake:import"),
        {
            "kind": "groups",
            "city": city.pk,
            "exports": [SimpleUploadedFile("g.csv.zip", export.getvalue())],
        },
    )
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.PREVIEWED and run.report["errors"] and run.files
    page = client.get(response["Location"]).content.decode()
    assert 'value="commit"' not in page  # no commit while a required question has no column
    field = re.search(r'<label for="id_map-(column_\d+)">Groepsnaam eigen\W', page)
    assert field is not None
    data = {"action": "remap"}
    for name, value in re.findall(
        r'<select name="map-(column_\d+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected', page, re.S
    ):
        data[f"map-{name}"] = value
    data[f"map-{field.group(1)}"] = "name"
    client.post(response["Location"], data)
    run.refresh_from_db()
    assert run.report["errors"] == 0, run.report.get("file_errors")
    client.post(response["Location"], {"action": "commit"})
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert WelcomeGroup.objects.count() == 2
    mapping = ImportMapping.objects.get(programme=city.programme, kind="groups")
    assert mapping.columns["Groepsnaam eigen"] == "name"


def test_the_earlier_imports_are_paged_with_their_total(
    users: dict[str, Any], programme: Any, city: Any, postcodes: int, monkeypatch: Any
) -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD
    from welcomematch.intake import views

    monkeypatch.setattr(views, "RUN_PAGE_SIZE", 1)
    for _ in range(2):
        import_preview(
            programme=programme, city=city, kind="groups", files=[("g.csv", b"\xff")], actor=None
        )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.login(username=users["coordinator"].username, password=PASSWORD)
    html = client.get(reverse("intake:import")).content.decode()
    assert "2 earlier imports" in html and "Page 1 of 2" in html


def test_an_upload_without_a_file_gets_the_error_summary(users: dict[str, Any], city: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.login(username=users["coordinator"].username, password=PASSWORD)
    response = client.post(reverse("intake:import"), {"kind": "groups", "city": city.pk})
    summary = response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_exports"' in summary
