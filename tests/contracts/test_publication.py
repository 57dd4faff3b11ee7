"""Quarterly publication: a frozen snapshot and its four files, read back; the public register."""

import csv
import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from jsonschema import Draft4Validator
from openpyxl import load_workbook
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from contracts import services
from contracts.layout import COLUMNS
from contracts.models import Contract, Publication
from portal.models import Job
from portal.periods import Quarter
from tests.conftest import downloaded, wait_for
from tests.contracts.conftest import register_row, write_csv

pytestmark = pytest.mark.django_db
Q = Quarter.parse("2024Q1")


@pytest.fixture
def published(year_file: Path, tmp_path: Path) -> Publication:
    services.register_import(path=year_file)
    extra = [
        register_row(
            "INJECT-1",
            '=HYPERLINK("http://evil")',
            Title="+cmd|' /C calc'!A0",
            **{"Award date": "2024-01-05", "Start date": "2024-02-01"},
        ),
        register_row(
            "OLD-1",
            "Gone Ltd",
            **{"Award date": "2019-01-01", "Start date": "2019-02-01", "End date": "2023-12-31"},
        ),
        register_row("DRAFT-1", "Secret Ltd", Title="Unpublished draft contract"),
    ]
    services.register_import(path=write_csv(tmp_path / "extra.csv", extra))
    Contract.objects.filter(reference="DRAFT-1").update(status=Contract.Status.DRAFT)
    return services.publication_build(quarter=Q, user=None)


def _expected_references() -> set[str]:
    return set(
        Contract.objects.filter(status="registered")
        .exclude(reference="OLD-1")
        .values_list("reference", flat=True)
    )


def test_publication_freezes_the_register(published: Publication) -> None:
    references = _expected_references()
    assert published.status == Publication.Status.PUBLISHED
    assert set(published.contracts.values_list("reference", flat=True)) == references
    assert "DRAFT-1" not in references
    assert published.supplier_count == sum(
        published.contracts.values_list("supplier_count", flat=True)
    )
    contract = Contract.objects.get(reference="LCC-PDPS-LWAH")
    services.contract_update(contract=contract, data={"title": "Renamed later"}, user=None)
    frozen = published.contracts.get(reference="LCC-PDPS-LWAH")
    assert frozen.title == "Living Well at Home PDPS"
    assert frozen.suppliers.count() == 129
    again = services.publication_build(quarter=Q, user=None)
    assert again.version == 2
    assert again.contracts.get(reference="LCC-PDPS-LWAH").title == "Renamed later"


def test_pdf_holds_every_published_contract(published: Publication) -> None:
    path = Path(published.pdf.path)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for reference in _expected_references():
        assert reference in text, reference
    assert "Unpublished draft contract" not in text
    assert "Contract register" in text
    assert "Page 2 of" in text
    # The column headings repeat at the top of every page of the table.
    pages = text.split("\f")
    table_pages = [page for page in pages[1:] if page.strip()]
    assert len(table_pages) >= 2
    for page in table_pages:
        assert re.search(r"Reference\s+Title\s+Department\s+Suppliers", page), page[:300]
    from pypdf import PdfReader

    reader = PdfReader(path)
    assert reader.metadata is not None
    assert reader.metadata.title is not None
    assert "contract register" in reader.metadata.title
    root: Any = reader.root_object
    assert "/StructTreeRoot" in root  # tagged
    assert root.get("/Lang") in ("en-GB", "en-gb")
    first = reader.pages[1]
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    assert width > height  # landscape


def test_xlsx_and_csv_hold_every_row_in_the_layout(published: Publication) -> None:
    book = load_workbook(published.xlsx.path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) - 1 == published.supplier_count
    assert {r[0] for r in rows[1:]} == _expected_references()
    injected = next(r for r in rows[1:] if r[0] == "INJECT-1")
    assert injected[COLUMNS.index("Supplier name")] == '\'=HYPERLINK("http://evil")'
    assert injected[COLUMNS.index("Title")] == "'+cmd|' /C calc'!A0"

    text = Path(published.csv.path).read_text(encoding="utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == published.supplier_count
    inject = next(r for r in records if r["Reference"] == "INJECT-1")
    assert inject["Supplier name"].startswith("'=")
    assert inject["Title"].startswith("'+")
    # The published CSV is an import file: it round-trips, neutralised cells restored.
    Contract.objects.all().delete()
    services.register_import(path=Path(published.csv.path))
    assert Contract.objects.count() == published.contract_count
    assert Contract.objects.get(reference="INJECT-1").title == "+cmd|' /C calc'!A0"


def _ocds_validator(data_dir: Path) -> Draft4Validator:
    folder = data_dir / "ocds_schema_1_1_5"
    schemas = {
        name: json.loads((folder / name).read_text())
        for name in ("release-package-schema.json", "release-schema.json")
    }
    base = "https://standard.open-contracting.org/schema/1__1__5/"
    registry: Registry = Registry().with_resources(
        (base + name, Resource.from_contents(schema, default_specification=DRAFT4))
        for name, schema in schemas.items()
    )
    return Draft4Validator(
        schemas["release-package-schema.json"],
        registry=registry,
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )


def test_ocds_package_validates_against_the_official_schema(
    published: Publication, data_dir: Path
) -> None:
    validator = _ocds_validator(data_dir)
    official = json.loads(
        (data_dir / "ocds_sample_data" / "ocds-213czf-000-00001.json").read_text()
    )
    assert not list(validator.iter_errors(official))  # the validator itself works offline
    package = json.loads(Path(published.ocds.path).read_text())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)]
    assert errors == []
    broken = {**package, "releases": [{**package["releases"][0], "tag": []}]}
    assert list(validator.iter_errors(broken))
    assert package["version"] == "1.1"
    assert len(package["releases"]) == published.contract_count
    framework = next(r for r in package["releases"] if r["ocid"].endswith("LCC-PDPS-LWAH"))
    assert len(framework["awards"][0]["suppliers"]) == 129
    assert framework["awards"][0]["value"] == {"amount": 3525950000, "currency": "GBP"}
    assert all("#" not in r["id"] for r in package["releases"])


def test_imported_contracts_finder_notices_publish_valid_ocds(data_dir: Path) -> None:
    services.register_import(
        path=data_dir
        / "contracts_lancashire_cc_contracts_finder"
        / "lancashire_cc_procurement.json"
    )
    publication = services.publication_build(quarter=Quarter.parse("2025Q3"), user=None)
    package = json.loads(Path(publication.ocds.path).read_text())
    assert not list(_ocds_validator(data_dir).iter_errors(package))
    assert any(r["ocid"].startswith("ocds-b5fd17-") for r in package["releases"])


def test_public_register_shows_the_latest_publication_only(
    client: Client, published: Publication
) -> None:
    url = reverse("register:home")
    html = client.get(url, {"q": "living well"}).content.decode()
    assert "LCC-PDPS-LWAH" in html
    assert client.get(url, {"q": "unpublished"}).content.decode().count("DRAFT-1") == 0
    # Edits after publication stay private until the next publication.
    Contract.objects.filter(reference="LCC-PDPS-LWAH").update(title="Edited since publishing")
    assert "Edited since publishing" not in client.get(url, {"q": "LWAH"}).content.decode()
    # A publication still being built is never shown or served.
    building = Publication.objects.create(
        quarter="2024Q2", period_start=Q.next().start, period_end=Q.next().end
    )
    html = client.get(url).content.decode()
    assert "January to March 2024" in html
    assert client.get(reverse("register:file", args=[building.pk, "pdf"])).status_code == 404
    pdf = client.get(reverse("register:file", args=[published.pk, "pdf"]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    export = downloaded(client.get(url, {"_export": "csv", "q": "inject"})).decode()
    assert "'+cmd" in export
    frozen = published.contracts.get(reference="LCC-PDPS-LWAH")
    detail = client.get(reverse("register:contract", args=[frozen.pk])).content.decode()
    assert "Home care provider 128" in detail

    def first_row(**params: str) -> str:
        page = client.get(url, params).content.decode()
        return page.split('<tbody class="govuk-table__body">')[1].split("</tr>")[0]

    assert "LCC-PDPS-LWAH" in first_row(sort="-awarded_value")
    assert "INJECT-1" in first_row(sort="reference")
    assert "LCC-PDPS-LWAH" in first_row(sort="-reference")
    assert "OLD-1" not in client.get(url, {"q": "old-1"}).content.decode()
    second_page = client.get(url, {"page": 2}).content.decode()
    assert 'aria-current="page">2<' in second_page


def test_the_quarterly_schedule_is_registered() -> None:
    from portal.celery import app

    entry: Any = settings.CELERY_BEAT_SCHEDULE["contracts-publish-quarterly"]
    assert entry["task"] == "portal.start_scheduled_job"
    assert entry["args"][0] == "contracts.publish"
    assert "contracts-publish-quarterly" in app.conf.beat_schedule
    assert Quarter.previous(Q.next().start) == Q


@pytest.mark.worker
def test_publish_button_runs_the_job_on_a_worker(
    celery_worker, client: Client, officer, tmp_path: Path
) -> None:
    quarter = Quarter.previous(date.today())
    services.register_import(
        path=write_csv(
            tmp_path / "r.csv",
            [
                register_row(
                    "W1",
                    "Acme",
                    **{
                        "Award date": quarter.start.isoformat(),
                        "Start date": quarter.start.isoformat(),
                        "End date": "2099-12-31",
                    },
                )
            ],
        )
    )
    client.force_login(officer)
    response = client.post(reverse("contracts:publications"), {"quarter": quarter.code})
    assert response.status_code == 302
    job = Job.objects.get(kind="contracts.publish")
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        timeout=120,
    )
    assert done.status == "succeeded", done.error
    assert done.result["contracts"] == 1
    assert "W1" in client.get(reverse("register:home")).content.decode()


def test_a_new_publication_replaces_the_cached_public_page(
    client: Client, published: Publication
) -> None:
    url = reverse("register:home")
    assert "Living Well at Home PDPS" in client.get(url, {"q": "lwah"}).content.decode()
    Contract.objects.filter(reference="LCC-PDPS-LWAH").update(title="Living Well, renamed")
    assert "renamed" not in client.get(url, {"q": "lwah"}).content.decode()  # cached or not
    services.publication_build(quarter=Q, user=None)
    assert "Living Well, renamed" in client.get(url, {"q": "lwah"}).content.decode()
