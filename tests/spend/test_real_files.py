"""Issue 13: real councils' spend files, each layout checked against an independent Decimal sum
of the raw cells (never a figure from the code under test)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db.models import Sum

from spend import selectors, services
from spend.models import ImportBatch, Payment, Supplier

PENNY = Decimal("0.01")


def pence(value: Any) -> int:
    """A raw cell as pence, worked out here: '£1,005.00', '2.44-', 537.1999999999999."""
    if isinstance(value, (int, float)):
        amount = Decimal(repr(value))
    else:
        text = str(value).strip().replace("£", "").replace(",", "")
        sign = -1 if text.endswith("-") or text.startswith("-") else 1
        amount = sign * Decimal(text.strip("-"))
    return int((amount.quantize(PENNY, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def ledger_pence() -> int:
    return int(Payment.objects.aggregate(t=Sum("amount_pence"))["t"] or 0)


def import_one(path: Path) -> ImportBatch:
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.LOADED, batch.error or batch.warning
    return batch


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


# --- Every sheet of a workbook ------------------------------------------------------------------


@pytest.mark.django_db
def test_police_commissioner_workbook_reads_every_monthly_sheet(data_dir: Path) -> None:
    path = data_dir / "spend_lancashire_pcc" / "pcc-2020-21.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    expected: dict[str, int] = {}
    rows = 0
    for sheet in workbook.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        amount = next(i for i, h in enumerate(values[0]) if "Amount" in str(h))
        cells = [r[amount] for r in values[1:] if r[amount] not in (None, "")]
        expected[sheet.title] = sum(pence(c) for c in cells)
        rows += len(cells)
    workbook.close()
    assert len(expected) == 12

    batch = import_one(path)

    assert ledger_pence() == sum(expected.values())
    assert Payment.objects.count() == rows
    read = {s["sheet"]: s for s in batch.report["sheets_read"]}
    assert list(read) == list(expected)
    assert batch.report["sheets_skipped"] == []


@pytest.mark.django_db
def test_cover_and_pivot_sheets_are_named_as_skipped(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "Cover"
    cover.append(["Spend over £500, quarter 1"])
    cover.append(["Published under the Local Government Transparency Code"])
    april = workbook.create_sheet("April")
    april.append(["Payment Date", "Supplier Name", "Amount"])
    april.append([dt.datetime(2024, 4, 3), "ACME LTD", 1200.5])
    april.append([dt.datetime(2024, 4, 9), "BETA SERVICES", 730])
    pivot = workbook.create_sheet("Pivot")
    pivot.append(["Row Labels", "Sum of Amount"])
    pivot.append(["ACME LTD", 1200.5])
    may = workbook.create_sheet("May")  # its own column order and a title line above
    may.append(["May 2024 payments"])
    may.append(["Amount", "Beneficiary Name", "Date Paid"])
    may.append([99.99, "GAMMA CARE", dt.datetime(2024, 5, 2)])
    workbook.create_sheet("Empty")
    path = tmp_path / "quarter.xlsx"
    workbook.save(path)

    batch = import_one(path)

    assert ledger_pence() == pence("1200.50") + pence("730") + pence("99.99")
    skipped = {s["sheet"]: s["why"] for s in batch.report["sheets_skipped"]}
    assert set(skipped) == {"Cover", "Pivot", "Empty"}
    assert "empty" in skipped["Empty"]
    assert "header" in skipped["Pivot"]
    assert [(s["sheet"], s["header_line"]) for s in batch.report["sheets_read"]] == [
        ("April", 1),
        ("May", 2),
    ]


# --- Headers ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_row_of_field_names_above_the_real_header(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bi.csv",
        [
            ["Invoices Over Specified Nett Amount"],
            ["Supplier", "Date"],  # a partial match: the report template's field names
            [
                "Supplier Name",
                "Supplier Number",
                "Payment Date",
                "Invoice Nett Amount",
                "Cost Centre",
            ],
            ["ACME LTD", "S1", "01/04/2024", "£1,005.00", "Adult Services"],
            ["BETA LTD", "S2", "02/04/2024", "600.10", "Highways"],
        ],
    )
    batch = import_one(path)
    assert batch.report["header_line"] == 3
    assert ledger_pence() == pence("1,005.00") + pence("600.10")
    assert set(Payment.objects.values_list("cost_centre", flat=True)) == {
        "Adult Services",
        "Highways",
    }


@pytest.mark.django_db
def test_two_row_header_marker_column_second_table_and_aggregate_row(tmp_path: Path) -> None:
    rows = [
        ["", "Payment", "Supplier", "Net", "Service"],
        ["", "Date", "Name", "Amount", "Area"],
        ["INSERTED DETAIL", "01/04/2024", "ACME LTD", "100.00", "Waste"],
        ["INSERTED DETAIL", "02/04/2024", "BETA LTD", "250.25", "Parks"],
        ["", "VARIOUS", "VARIOUS", "£3,615.39", "VARIOUS"],
        [],
        ["Capital payments"],
        ["Supplier Name", "Amount", "Payment Date", "Service Area"],  # a second table
        ["GAMMA BUILD", "9,000.00", "15/04/2024", "Capital"],
    ]
    batch = import_one(write_csv(tmp_path / "two.csv", rows))
    assert ledger_pence() == pence("100.00") + pence("250.25") + pence("9,000.00")
    assert batch.report["aggregate_rows"] == [{"line": 5, "pence": pence("3,615.39")}]
    assert Payment.objects.get(amount_pence=900000).cost_centre == "Capital"


@pytest.mark.django_db
def test_header_sorted_to_the_last_line_is_found_and_named(data_dir: Path) -> None:
    """Hyndburn's April 2025 file was sorted with its header, which is now its last line."""
    path = data_dir / "spend_hyndburn_borough_council" / "hyndburn-spend-over-250-April-25.csv"
    with path.open(encoding="cp1252", newline="") as handle:
        raw = list(csv.reader(handle))
    assert raw[-1][16] == "Amount Paid"
    data = [r for r in raw[:-1] if r and r[14].strip()]

    batch = import_one(path)

    assert ledger_pence() == sum(pence(r[16]) for r in data)
    assert Payment.objects.count() == len(data)
    assert batch.report["header_not_at_top"] is True
    text = path.read_bytes().decode("cp1252")
    header_at = text.rindex("Department Area,")
    assert batch.report["header_line"] == text[:header_at].count("\n") + 1  # its physical line


@pytest.mark.django_db
def test_header_below_the_data_with_a_column_missing_is_refused_naming_its_line(
    tmp_path: Path,
) -> None:
    rows = [[f"0{d}/04/2024", "ACME LTD", "10.00"] for d in range(1, 10)] * 4
    rows.append(["Payment Date", "Supplier Name", "Value paid"])
    [batch] = services.import_paths(paths=[write_csv(tmp_path / "sorted.csv", rows)])
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error_line == len(rows)
    assert f"Line {len(rows)}" in batch.error
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_lga_spend_schema_keeps_service_area_and_expense_type(tmp_path: Path) -> None:
    header = [
        "OrganisationLabel", "OrganisationalUnit", "ServiceCategoryLabel", "ExpenseType",
        "BeneficiaryName", "BeneficiaryOtherID", "BeneficiaryRegistrationNumber", "PaymentDate",
        "TransactionNumber", "Amount", "Purpose", "ProcurementCategory",
    ]  # fmt: skip
    rows = [
        header,
        ["Anytown Council", "Adult Social Care", "Adult Social Care", "Residential care",
         "CARE HOMES LTD", "C100", "01234567", "2024-04-05", "T1", "2500.00", "Placement",
         "Social care"],
        ["Anytown Council", "Highways", "Highways and transport", "Road repairs",
         "ROADS PLC", "C200", "07654321", "2024-04-06", "T2", "1250.75", "Patching", "Works"],
    ]  # fmt: skip
    import_one(write_csv(tmp_path / "lga.csv", rows))
    assert ledger_pence() == pence("2500.00") + pence("1250.75")
    care = Payment.objects.get(payment_reference="T1")
    assert (care.cost_centre, care.account_description) == ("Adult Social Care", "Residential care")
    assert care.supplier.supplier_number == "C100"
    out = list(selectors.transparency_rows(dt.date(2024, 4, 1), threshold_pence=0))
    assert {(r[3], r[4]) for r in out} == {
        ("Adult Social Care", "Residential care"),
        ("Highways", "Road repairs"),
    }


@pytest.mark.django_db
def test_agresso_report_headings(tmp_path: Path) -> None:
    rows = [
        ["Apar Id", "Supplier(T)", "Voucher No", "Voucher Date", "Account(T)", "Cost Centre(T)",
         "Cur. Amount"],
        ["A1", "ACME LTD", "V1", "03/04/2024", "Stationery", "Libraries", "510.00"],
    ]  # fmt: skip
    import_one(write_csv(tmp_path / "agresso.csv", rows))
    payment = Payment.objects.get()
    assert payment.amount_pence == pence("510.00")
    assert (payment.cost_centre, payment.account_description) == ("Libraries", "Stationery")


@pytest.mark.django_db
def test_craven_repeated_code_headings_and_asterisk_redactions(data_dir: Path) -> None:
    path = data_dir / "spend_craven_district_council" / "craven-payments-march-2017.csv"
    with path.open(encoding="cp1252", newline="") as handle:
        raw = list(csv.reader(handle))
    data = [r for r in raw[1:] if r[4].strip()]  # the last line is only the total
    starred = [r for r in data if set(r[3].strip()) == {"*"}]
    assert len(starred) == 6

    import_one(path)

    assert ledger_pence() == sum(pence(r[9]) for r in data)
    first = Payment.objects.get(payment_reference=data[0][1])
    assert (first.account, first.account_description, first.cost_centre) == (
        data[0][5],
        data[0][6],
        data[0][8],
    )
    assert not Supplier.objects.filter(name__startswith="*").exists()
    redacted = Payment.objects.filter(supplier__supplier_number="NK-REDACTED")
    assert redacted.aggregate(t=Sum("amount_pence"))["t"] == sum(pence(r[9]) for r in starred)


# --- Redaction and sundry numbers ---------------------------------------------------------------


@pytest.mark.django_db
def test_redacted_payees_count_in_totals_but_are_never_a_supplier(data_dir: Path) -> None:
    path = data_dir / "spend_harrogate_borough_council" / "harrogate-2016-01.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.DictReader(handle))
    redacted = [r for r in raw if "REDACTED" in r["Benificiary Name"].upper()]
    assert len(redacted) == 82

    import_one(path)

    assert ledger_pence() == sum(pence(r["Amount"]) for r in raw)
    fy = 2015
    assert selectors.spend_total(fy) == sum(pence(r["Amount"]) for r in raw)
    assert selectors.redacted_spend(fy) == sum(pence(r["Amount"]) for r in redacted)
    names = {s.name for s in selectors.top_suppliers(fy, 20)}
    assert not any("REDACT" in n.upper() for n in names)
    listed = selectors.supplier_spend(fy=fy)
    assert not any("REDACT" in r["name"].upper() for r in listed)
    assert selectors.suppliers_paid(fy) == len(
        {r["Benificiary Name"] for r in raw if r not in redacted}
    )


@pytest.mark.django_db
def test_overview_says_what_redacted_payees_were_paid(
    data_dir: Path, councillor: Any, client: Any
) -> None:
    from portal.formatting import pounds

    path = data_dir / "spend_harrogate_borough_council" / "harrogate-2016-01.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        raw = [r for r in csv.DictReader(handle) if "REDACTED" in r["Benificiary Name"].upper()]
    import_one(path)
    client.force_login(councillor)
    page = client.get("/spend/?fy=2015").content.decode()
    assert f"They include {pounds(sum(pence(r['Amount']) for r in raw))} paid to redacted" in page


@pytest.mark.django_db
def test_every_default_marker_and_an_administrators_own(tmp_path: Path) -> None:
    from spend.models import RedactionMarker

    RedactionMarker.objects.create(text="Confidential payee")
    markers = ["Redacted", "REDACTED", "*********", "Redacted personal data", "Personal data",
               "Withheld", "", "Confidential payee"]  # fmt: skip
    rows = [["Supplier Name", "Payment Date", "Amount"]]
    rows += [[m, "01/04/2024", f"{i + 1}00.00"] for i, m in enumerate(markers)]
    rows += [["REDACTIVE MEDIA SALES LIMITED", "01/04/2024", "42.00"]]  # a real company
    import_one(write_csv(tmp_path / "markers.csv", rows))
    redacted = Payment.objects.filter(supplier__supplier_number="NK-REDACTED")
    assert redacted.count() == len(markers)
    assert (
        Supplier.objects.exclude(supplier_number="NK-REDACTED").get().name.startswith("REDACTIVE")
    )


@pytest.mark.django_db
def test_sundry_number_keeps_each_payees_own_name(tmp_path: Path) -> None:
    payees = ["MR J SMITH", "MRS A JONES", "ANYTOWN CARE LTD", "BLUE SKY NURSERY", "DR P PATEL",
              "RIVERSIDE FOSTERING", "MISS K BROWN", "HILLTOP TRUST", "OAKWOOD FARM",
              "NORTHERN TAXIS", "MR D GREEN", "ST MARY'S PCC", "VILLAGE HALL COMMITTEE",
              "GREENFIELDS SCHOOL PTA", "MS L WHITE"]  # fmt: skip
    rows = [["Supplier ID", "Supplier Name", "Payment Date", "Amount"]]
    expected: Counter[str] = Counter()
    for i, name in enumerate(payees):
        for j in range(2):
            amount = Decimal(1000 + 37 * i + j * 5) + Decimal("0.10")
            rows.append(["99999", name, f"{j + 1:02d}/04/2024", str(amount)])
            expected[name] += pence(amount)
    rows.append(["99999", "CARE AT HOME LTD", "03/04/2024", "1,005.00"])
    expected["CARE AT HOME LTD"] += pence("1,005.00")
    rows.append(["99999", "REDACTED", "03/04/2024", "172,000.00"])
    rows.append(["S1", "ACME LTD", "03/04/2024", "10.00"])
    rows.append(["S1", "ACME LIMITED", "04/04/2024", "20.00"])  # one supplier, two spellings
    import_one(write_csv(tmp_path / "sundry.csv", rows))

    by_name = {r["name"]: r["total"] for r in selectors.supplier_spend(fy=2024)}
    assert by_name["CARE AT HOME LTD"] == pence("1,005.00")
    for name, total in expected.items():
        assert by_name[name] == total
    assert not Supplier.objects.filter(supplier_number="99999").exists()
    assert Supplier.objects.filter(supplier_number="S1").count() == 1
    from spend.models import SundrySupplierNumber

    assert SundrySupplierNumber.objects.filter(supplier_number="99999").exists()
    assert ledger_pence() == sum(pence(r[3]) for r in rows[1:])


@pytest.mark.django_db
def test_a_declared_sundry_number_splits_even_two_payees(
    tmp_path: Path, administrator: Any
) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(administrator)
    client.post(reverse("spend:payee-rules"), {"supplier_number": "SUNDRY1", "note": "One-off"})
    rows = [
        ["Supplier ID", "Supplier Name", "Payment Date", "Amount"],
        ["SUNDRY1", "ANYTOWN CARE LTD", "01/04/2024", "1,005.00"],
        ["SUNDRY1", "MR J SMITH", "02/04/2024", "171,934.00"],
    ]
    import_one(write_csv(tmp_path / "declared.csv", rows))
    by_name = {r["name"]: r["total"] for r in selectors.supplier_spend(fy=2024)}
    assert by_name == {"ANYTOWN CARE LTD": pence("1,005.00"), "MR J SMITH": pence("171,934.00")}


@pytest.mark.django_db
def test_redacted_payments_are_never_a_duplicate_candidate(tmp_path: Path) -> None:
    from spend.models import DuplicateCandidate
    from suppliers import quality

    rows = [["Supplier Name", "Payment Date", "Amount"]]
    rows += [[name, "01/04/2024", "10.00"] for name in ("Redacted", "REDACTED", "Withheld")]
    rows += [
        # Names close to "Redacted": offered as its duplicates, were it a supplier.
        ["REDACTA LTD", "02/04/2024", "20.00"],
        ["REDACTEDS", "03/04/2024", "30.00"],
        ["REDACTE", "03/04/2024", "30.00"],
    ]
    import_one(write_csv(tmp_path / "names.csv", rows))
    quality.duplicates_refresh()
    redacted = Supplier.objects.get(supplier_number="NK-REDACTED")
    pairs = list(DuplicateCandidate.objects.values_list("supplier_low_id", "supplier_high_id"))
    assert all(redacted.pk not in pair for pair in pairs)


@pytest.mark.django_db
def test_a_fuller_second_table_header_does_not_hide_the_first_table(tmp_path: Path) -> None:
    rows = [
        ["Supplier Name", "Payment Date", "Amount"],
        ["ACME LTD", "01/04/2024", "1.00"],
        ["BETA LTD", "02/04/2024", "2.00"],
        [],
        ["Supplier Name", "Payment Date", "Amount", "Service Area", "Expense Type"],
        ["GAMMA LTD", "03/04/2024", "3.00", "Parks", "Trees"],
    ]
    import_one(write_csv(tmp_path / "tables.csv", rows))
    assert ledger_pence() == pence("1.00") + pence("2.00") + pence("3.00")
    assert Payment.objects.get(amount_pence=300).account_description == "Trees"


@pytest.mark.django_db
def test_payments_above_a_header_sorted_into_the_first_rows_are_read(tmp_path: Path) -> None:
    above = [[f"0{d}/04/2024", "ACME LTD", "10.00"] for d in range(1, 6)]
    below = [[f"1{d}/04/2024", "BETA LTD", "5.00"] for d in range(3)]
    rows = [*above, ["Payment Date", "Supplier Name", "Amount"], *below]
    batch = import_one(write_csv(tmp_path / "sorted.csv", rows))
    assert ledger_pence() == sum(pence(r[2]) for r in above + below)
    assert (batch.report["header_line"], batch.report["header_not_at_top"]) == (6, True)
