"""Files into the ledger: totals computed independently from the raw cells, idempotent
re-imports and overlaps, refusals that leave the ledger exactly as it was."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.db.models import Sum

from demo.extracts import GeneratorConfig, generate_extracts
from spend import services
from spend.models import ImportBatch, Payment, SpendSummary, Supplier, SupplierSite
from tests.spend.test_ingest_quirks import R12_HEADER, r12_row

pytestmark = pytest.mark.django_db


def fy_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def pence(text: str) -> int:
    value = text.strip().replace(",", "").replace("£", "")
    sign = -1 if value.endswith("-") else 1
    return sign * int(Decimal(value.rstrip("-")) * 100)


def cell_pence(value: object) -> int:
    return int((Decimal(repr(value)) * 100).quantize(Decimal(1)))


def csv_expected(
    path: Path,
    encoding: str,
    first_heading: str,
    amount: str,
    date: str,
    date_format: str,
    status: str | None = None,
) -> Counter[int]:
    """Spend per financial year, from the raw CSV cells (voided rows and footers left out)."""
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, r in enumerate(rows) if r and r[0].lstrip("\ufeff") == first_heading)
    header = rows[start]
    by_fy: Counter[int] = Counter()
    for row in rows[start + 1 :]:
        if not any(cell.strip() for cell in row) or row[0].startswith("Report Total"):
            continue
        if status and row[header.index(status)].upper() in {"VOIDED", "SPOILED"}:
            continue
        day = dt.datetime.strptime(row[header.index(date)], date_format).date()
        by_fy[fy_of(day)] += pence(row[header.index(amount)])
    return by_fy


def xlsx_expected(path: Path, amount: str, date: str) -> Counter[int]:
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    header = list(rows[0])
    by_fy: Counter[int] = Counter()
    for row in rows[1:]:
        by_fy[fy_of(row[header.index(date)].date())] += cell_pence(row[header.index(amount)])
    return by_fy


def ledger_by_fy(batch: ImportBatch) -> Counter[int]:
    rows = (
        Payment.objects.spend()
        .filter(batch=batch)
        .values("financial_year")
        .annotate(total=Sum("amount_pence"))
    )
    return Counter({r["financial_year"]: r["total"] for r in rows})


def ledger_state() -> tuple[int, int, int, int, int]:
    """Everything a refused file must leave untouched."""
    return (
        Payment.objects.count(),
        Payment.objects.aggregate(t=Sum("amount_pence"))["t"] or 0,
        Supplier.objects.count(),
        SupplierSite.objects.count(),
        SpendSummary.objects.count(),
    )


FILES = {
    "r12 sample": (
        "samples/r12_paid_invoices_sample.csv",
        lambda p: csv_expected(
            p, "cp1252", "ORG_ID", "AMOUNT", "CHECK_DATE", "%d-%b-%y", "STATUS_LOOKUP_CODE"
        ),
    ),
    "fusion csv sample": (
        "samples/fusion_paid_invoices_sample.csv",
        lambda p: csv_expected(
            p,
            "utf-8-sig",
            "Business Unit",
            "Paid Amount",
            "Payment Date",
            "%Y-%m-%d",
            "Payment Status",
        ),
    ),
    "fusion xlsx sample": (
        "samples/fusion_paid_invoices_sample.xlsx",
        lambda p: xlsx_expected(p, "Paid Amount", "Payment Date"),
    ),
    "hyndburn": (
        "spend_hyndburn_borough_council/hyndburn-spend-over-250-November-25.csv",
        lambda p: csv_expected(
            p, "cp1252", "Department Area", "Amount Paid", "Payment Date", "%d/%m/%y"
        ),
    ),
    "oxford": (
        "spend_oxford_city_council/expenditure-over-500-oct-dec-2017.csv",
        lambda p: csv_expected(p, "utf-8", "Client", "Amount", "Paid Date", "%d/%m/%Y"),
    ),
    "lancashire fire": (
        "spend_lancashire_fire_rescue/lfrs-spend-over-500-2025-26-q3.xlsx",
        lambda p: xlsx_expected(p, "Amount", "Date"),
    ),
}


@pytest.mark.parametrize("name", FILES)
def test_each_sample_and_real_file_lands_with_independent_totals(data_dir: Path, name: str) -> None:
    relative, expected_for = FILES[name]
    path = data_dir / relative
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.LOADED, batch.error
    expected = expected_for(path)
    assert ledger_by_fy(batch) == expected
    assert batch.rows_added == batch.rows_read
    # The summary the dashboards read agrees with the payments, year by year.
    for fy, total in expected.items():
        summed = SpendSummary.objects.filter(financial_year=fy).aggregate(t=Sum("total_pence"))
        assert summed["t"] == total


def test_the_same_file_twice_changes_nothing(data_dir: Path) -> None:
    path = data_dir / "samples/r12_paid_invoices_sample.csv"
    [first] = services.import_paths(paths=[path])
    before = ledger_state()
    [second] = services.import_paths(paths=[path])
    assert second.status == ImportBatch.Status.DUPLICATE
    assert second.duplicate_of_id == first.pk
    assert ledger_state() == before


def test_generated_extracts_give_exact_year_and_home_totals(tmp_path: Path) -> None:
    config = GeneratorConfig(
        seed=7, suppliers=400, payments_per_month=120, years=3, as_of=dt.date(2026, 2, 15)
    )
    generated = generate_extracts(tmp_path, config)
    batches = services.import_paths(paths=[path for path, _ in generated.files])
    assert all(b.status == ImportBatch.Status.LOADED for b in batches), [b.error for b in batches]
    expected = generated.expected
    by_fy = Counter(
        {
            r["financial_year"]: r["t"]
            for r in Payment.objects.spend()
            .values("financial_year")
            .annotate(t=Sum("amount_pence"))
        }
    )
    assert by_fy == Counter(expected.spend_pence_by_fy)
    home = Counter(
        {
            r["financial_year"]: r["t"]
            for r in Payment.objects.spend()
            .filter(site__locality_class="home")
            .values("financial_year")
            .annotate(t=Sum("amount_pence"))
        }
    )
    assert home == Counter(expected.home_pence_by_fy)
    assert Payment.objects.spend().count() == expected.spend_rows
    assert Payment.objects.filter(is_spend=False).count() == expected.not_spend_rows
    assert Payment.objects.filter(amount_pence__lt=0, is_spend=True).count() == expected.credit_rows
    # The extracts overlap: rows read exceed rows added, and nothing was counted twice.
    assert sum(b.rows_read for b in batches) > sum(b.rows_added for b in batches)
    # A re-export of an extract (same rows, different bytes) adds nothing.
    path = generated.files[0][0]
    copy = tmp_path / f"again-{path.name}"
    copy.write_bytes(path.read_bytes() + (b"\r\n" if path.suffix == ".csv" else b""))
    if path.suffix == ".csv":
        before = ledger_state()
        [again] = services.import_paths(paths=[copy])
        assert again.status == ImportBatch.Status.LOADED
        assert again.rows_added == 0
        assert again.rows_already_present == again.rows_read > 0
        assert ledger_state() == before


def test_voided_later_stops_counting_and_newest_name_wins(tmp_path: Path) -> None:
    first = tmp_path / "april.csv"
    first.write_text("\n".join([R12_HEADER, r12_row(1, "500.00"), r12_row(2, "250.00")]) + "\n")
    services.import_paths(paths=[first])
    assert Payment.objects.spend().aggregate(t=Sum("amount_pence"))["t"] == 75000
    later = tmp_path / "may.csv"
    later.write_text(
        "\n".join(
            [
                R12_HEADER,
                r12_row(1, "500.00", status="VOIDED"),
                r12_row(
                    3, "40.00", check_date="03-MAY-21", name="Suez Recycling and Recovery UK Ltd"
                ),
            ]
        )
        + "\n"
    )
    [batch] = services.import_paths(paths=[later])
    assert batch.rows_voided_later == 1
    assert batch.rows_added == 1
    assert Payment.objects.spend().aggregate(t=Sum("amount_pence"))["t"] == 25000 + 4000
    assert SpendSummary.objects.aggregate(t=Sum("total_pence"))["t"] == 29000
    assert Supplier.objects.get().name == "Suez Recycling and Recovery UK Ltd"


def test_a_supplier_paid_at_two_sites_in_different_localities(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "\n".join(
            [
                R12_HEADER,
                r12_row(1, "100.00", zip_code="pr1 2he"),  # Preston: home area
                r12_row(2, "200.00", zip_code="M3 3HF"),  # Manchester: rest of region
                r12_row(3, "300.00", zip_code="SW1A 2AA"),  # London: rest of UK
                r12_row(4, "400.00", zip_code="not known"),  # unknown
            ]
        )
        + "\n"
    )
    services.import_paths(paths=[path])
    by_class = dict(SupplierSite.objects.values_list("postcode", "locality_class"))
    assert by_class["PR1 2HE"] == "home"
    assert by_class["M3 3HF"] == "region"
    assert by_class["SW1A 2AA"] == "uk"
    assert list(by_class.values()).count("unknown") == 1
    totals = dict(
        SpendSummary.objects.values("locality_class")
        .annotate(t=Sum("total_pence"))
        .values_list("locality_class", "t")
    )
    assert totals == {"home": 10000, "region": 20000, "uk": 30000, "unknown": 40000}


BAD_FILES = {
    "no header": ("junk.csv", b"hello,world\n1,2\n", "No header row was found", None, None),
    "missing column": (
        "r12.csv",
        (R12_HEADER.replace(",AMOUNT", "") + "\n").encode(),
        "AMOUNT",
        1,
        "AMOUNT",
    ),
    "bad amount": (
        "r12.csv",
        ("\n".join([R12_HEADER, r12_row(1), r12_row(2, "12,3x4")]) + "\n").encode(),
        "is not an amount",
        3,
        "AMOUNT",
    ),
    "bad date": (
        "r12.csv",
        ("\n".join([R12_HEADER, r12_row(1), r12_row(2, check_date="31/02/21")]) + "\n").encode(),
        "is not a date",
        3,
        "CHECK_DATE",
    ),
    "not csv or xlsx": ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF", None, None),
    "wrong extension": ("extract.pdf", b"%PDF-1.7\n", "only CSV and XLSX", None, None),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_refused_file_says_why_and_leaves_the_ledger_as_it_was(
    data_dir: Path, tmp_path: Path, case: str
) -> None:
    services.import_paths(paths=[data_dir / "samples/r12_paid_invoices_sample.csv"])
    before = ledger_state()
    name, content, message, line, column = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content)
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.REJECTED
    assert message in batch.error
    assert name in batch.error
    assert batch.error_line == line
    assert (batch.error_column or None) == column
    if line and column:
        assert f"Line {line}, column {column}" in batch.error
    assert ledger_state() == before
    assert batch.job is None or batch.job.status == "failed"


def test_an_oversized_upload_is_refused_before_import(tmp_path: Path, settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    path = tmp_path / "big.csv"
    path.write_text("\n".join([R12_HEADER] + [r12_row(i) for i in range(1, 40)]) + "\n")
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.REJECTED
    assert "larger than the" in batch.error
    assert Payment.objects.count() == 0


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.REJECTED
    assert "zip bomb" in batch.error or "unpack" in batch.error
    assert Payment.objects.count() == 0


def test_a_payment_line_twice_in_one_file_counts_once_at_its_first_amount(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        "\n".join([R12_HEADER, r12_row(1, "250.00"), r12_row(2, "40.00"), r12_row(1, "999.00")])
        + "\n"
    )
    [batch] = services.import_paths(paths=[path])
    assert batch.status == "loaded", batch.error
    assert (batch.rows_read, batch.rows_added, batch.rows_already_present) == (3, 2, 1)
    assert sorted(Payment.objects.values_list("amount_pence", flat=True)) == [4_000, 25_000]
    assert SpendSummary.objects.aggregate(t=Sum("total_pence"))["t"] == 29_000


def test_the_payments_table_has_only_the_indexes_the_pages_use() -> None:
    # Each index costs every imported row an insertion (bench/ingest.py): a new one should be
    # a decision, not a side effect of a field option.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'spend_payment'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "spend_payment_pkey",
        "spend_pay_natural_key",
        "spend_pay_fy_date",
        "spend_pay_supplier",
        "spend_pay_batch_brin",
        # Partial (rows with a purchase order or contract reference only): a contract's page
        # finds its referenced payments; rows without a reference are not in it.
        "spend_pay_order_ref",
        # Partial, the same rows by supplier and date (decision 0019): a contract's cold spend
        # reads its supplier's referenced payments without scanning every referenced one.
        "spend_pay_supplier_ref",
        # Partial, pattern-ops (decision 0013): "has invoice X been paid?" from the site search.
        "spend_pay_invoice_no",
        "spend_pay_payment_no",
    }
