"""Issue 23, item 9 and the register's XLSX guards: a failed register import keeps its upload
until it succeeds or is discarded, and malformed content ends with a message naming the line
and column (or the notice and field), never "unexpected error"; the register's workbooks are
read read-only behind the spend reader's zip, row and column guards."""

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from contracts import services
from contracts.layout import COLUMNS, LayoutError
from contracts.models import Contract, RegisterColumnMapping, RegisterUpload
from portal.models import Job
from portal.services import job_run
from spend.services import header_signature
from tests.conftest import wait_for
from tests.contracts.conftest import register_row, write_csv


def _upload(client: Client, path: Path) -> RegisterUpload:
    with path.open("rb") as handle:
        response = client.post(reverse("contracts:import"), {"file": handle})
    assert response.status_code == 302
    upload = RegisterUpload.objects.order_by("-pk").first()
    assert upload is not None
    return upload


def _finished(upload: RegisterUpload) -> Job:
    def done() -> Job | None:
        upload.refresh_from_db()
        assert upload.job_id is not None
        job = Job.objects.get(pk=upload.job_id)
        return job if job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED) else None

    job = wait_for(done, timeout=90)
    assert job is not None
    return job


@pytest.mark.worker
def test_a_failed_import_keeps_its_upload_runs_again_and_can_be_discarded(
    celery_worker: Any, officer: Any, client: Client, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(officer)
    headings = ["Agreement code", "Agreement", "Team", "Firm", "Begins", "Finishes", "Worth"]
    odd = tmp_path / "odd.csv"
    odd.write_text(
        ",".join(headings) + "\nA-1,Waste,Environment,Biffa,01/04/2024,31/03/2027,3000000\n"
    )
    upload = _upload(client, odd)
    job = _finished(upload)
    assert job.status == Job.Status.FAILED
    assert "unexpected error" not in job.error
    assert "The file is kept" in job.error
    assert upload.status == RegisterUpload.Status.FAILED
    assert upload.path.is_file()
    assert "odd.csv" in client.get(reverse("contracts:import")).content.decode()

    # The officer saves a mapping for these headings, then runs the same job again.
    RegisterColumnMapping.objects.create(
        name="Environment",
        header_signature=header_signature(headings),
        mapping={
            "Reference": "Agreement code",
            "Title": "Agreement",
            "Department": "Team",
            "Supplier name": "Firm",
            "Start date": "Begins",
            "End date": "Finishes",
            "Awarded value": "Worth",
        },
    )
    client.post(reverse("portal:job-retry", args=[job.pk]))
    job = _finished(upload)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Contract.objects.filter(reference="A-1").exists()
    assert upload.status == RegisterUpload.Status.IMPORTED
    assert not upload.path.exists()

    # A file that will never import: discarded, it is let go and cannot be run again.
    bad = write_csv(tmp_path / "bad.csv", [register_row("B-1", "Acme", **{"Awarded value": "abc"})])
    second = _upload(client, bad)
    assert _finished(second).status == Job.Status.FAILED
    assert second.path.is_file()
    client.post(reverse("contracts:import-action", args=[second.pk, "discard"]))
    second.refresh_from_db()
    assert second.status == RegisterUpload.Status.DISCARDED
    assert not second.path.exists()
    response = client.post(
        reverse("contracts:import-action", args=[second.pk, "retry"]), follow=True
    )
    assert "discarded" in response.content.decode()


def _csv_with(tmp_path: Path, **values: str) -> Path:
    return write_csv(
        tmp_path / "register.csv",
        [register_row("R1", "Acme"), register_row("R2", "Beta", **values)],
    )


def _ocds_with(tmp_path: Path, data_dir: Path, change: Any) -> Path:
    folder = data_dir / "contracts_finder_ocds"
    package = json.loads((folder / "contracts_finder_search_2025-01-23_one_award.json").read_text())
    change(package["releases"][0])
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package))
    return path


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(release: dict[str, Any]) -> None:
        target: Any = release
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BIG = "x" * (1024 * 1024 + 10)
LONG_ID = "R" * 120


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("field_1mb", ["line 3", "field larger than field limit"]),
        ("contracts_x", ["notice 1: is not an object"]),
        ("csv_abc", ["line 3, column 'Awarded value'", "'abc' is not an amount"]),
        ("csv_1e30", ["line 3, column 'Awarded value'", "more than the register can hold"]),
        ("csv_long_id", ["line 3, column 'Reference'", "120 characters"]),
        ("ocds_abc", ["field 'awards/0/value/amount'", "'abc' is not an amount"]),
        ("ocds_1e30", ["field 'awards/0/value/amount'", "more than the register can hold"]),
        ("ocds_long_id", ["release 1", "field 'ocid'", "120 characters"]),
        ("notices_1e30", ["notice 1", "field 'awarded_value'", "more than the register can hold"]),
        ("notices_long_id", ["notice 1, field 'id'", "120 characters"]),
        ("json_broken", ["line 1, column", "not readable JSON"]),
        ("csv_long_title", ["line 3, column 'Title'", "at most 500"]),
        ("ocds_long_title", ["field 'tender/title'", "keeps 500"]),
    ],
)
def test_malformed_content_is_refused_naming_where(
    case: str, expected: list[str], tmp_path: Path, data_dir: Path, officer: Any, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    notice = {
        "id": "n1",
        "title": "Thing",
        "status": "awarded",
        "awarded_date": "2024-01-01",
        "awarded_value": 10,
        "awarded_supplier": "Acme Ltd",
    }
    files = {
        "field_1mb": lambda: _csv_with(tmp_path, Description=BIG),
        "contracts_x": lambda: _json(tmp_path, {"contracts": ["x"]}),
        "csv_abc": lambda: _csv_with(tmp_path, **{"Awarded value": "abc"}),
        "csv_1e30": lambda: _csv_with(tmp_path, **{"Awarded value": "1e30"}),
        "csv_long_id": lambda: _csv_with(tmp_path, Reference=LONG_ID),
        "ocds_abc": lambda: _ocds_with(
            tmp_path, data_dir, _set(("awards", 0, "value", "amount"), "abc")
        ),
        "ocds_1e30": lambda: _ocds_with(
            tmp_path, data_dir, _set(("awards", 0, "value", "amount"), 1e30)
        ),
        "ocds_long_id": lambda: _ocds_with(tmp_path, data_dir, _set(("ocid",), LONG_ID)),
        "notices_1e30": lambda: _json(tmp_path, {"contracts": [notice | {"awarded_value": 1e30}]}),
        "notices_long_id": lambda: _json(tmp_path, {"contracts": [notice | {"id": LONG_ID}]}),
        "json_broken": lambda: _raw(tmp_path, b'{"releases": [,]}'),
        "csv_long_title": lambda: _csv_with(tmp_path, Title="T" * 600),
        "ocds_long_title": lambda: _ocds_with(
            tmp_path, data_dir, _set(("tender", "title"), "T" * 600)
        ),
    }
    path = files[case]()
    with path.open("rb") as handle:
        upload = services.register_upload_start(
            upload=SimpleUploadedFile(path.name, handle.read()), user=officer
        )
    assert upload.job is not None
    job = job_run(job_id=upload.job.pk)
    assert job.status == Job.Status.FAILED
    assert "unexpected error" not in job.error
    for words in expected:
        assert words in job.error, job.error
    assert not Contract.objects.exists()
    upload.refresh_from_db()
    assert upload.status == RegisterUpload.Status.FAILED
    assert upload.path.is_file()


def _json(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "notices.json"
    path.write_text(json.dumps(data))
    return path


def _raw(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    return path


def _workbook(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    row = register_row("X1", "Acme Ltd")
    sheet.append([row[c] for c in COLUMNS])
    path = tmp_path / "register.xlsx"
    book.save(path)
    return path


def _rewrite_sheet(path: Path, change: Any) -> Path:
    """The workbook with its sheet XML changed, everything else as it was."""
    out = path.with_name("changed.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return out


@pytest.mark.django_db
def test_register_workbooks_are_refused_past_the_spend_readers_guards(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    services.register_import(path=path)  # the workbook itself is fine
    Contract.objects.all().delete()

    def dimension(ref: str) -> Any:
        def change(xml: bytes) -> bytes:
            start = xml.index(b'<dimension ref="')
            end = xml.index(b'"', start + 16)
            return xml[: start + 16] + ref.encode() + xml[end:]

        return change

    # A sheet that says it has 3 million rows, or 18,278 columns, is refused before reading
    # (read-only mode: the declared size is all openpyxl knows until it reads).
    for ref, words in (("A1:V3000000", "3,000,000 rows"), ("A1:ZZZ2", "18,278 columns")):
        with pytest.raises(LayoutError, match=words):
            services.register_import(path=_rewrite_sheet(path, dimension(ref)))

    # A sheet part that would unpack to 40 MB from a few kilobytes: a zip bomb.
    def pad(xml: bytes) -> bytes:
        return xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (40 * 1024 * 1024))

    with pytest.raises(LayoutError, match="zip bomb"):
        services.register_import(path=_rewrite_sheet(path, pad))
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_only_staff_see_or_act_on_kept_uploads(
    councillor: Any, officer: Any, client: Client, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_csv(tmp_path / "r.csv", [register_row("R1", "Acme")])
    upload = services.register_upload_start(
        upload=SimpleUploadedFile(path.name, path.read_bytes()), user=officer
    )
    client.force_login(councillor)
    for url in (
        reverse("contracts:import"),
        reverse("contracts:import-detail", args=[upload.pk]),
        reverse("contracts:import-mapping", args=[upload.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("contracts:import-action", args=[upload.pk, "discard"]))
    assert response.status_code == 403
    upload.refresh_from_db()
    assert upload.status == RegisterUpload.Status.WAITING
    assert upload.path.is_file()
    client.force_login(officer)
    assert (
        client.post(reverse("contracts:import-action", args=[upload.pk, "delete"])).status_code
        == 404
    )
