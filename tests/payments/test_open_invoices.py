"""The open (unpaid) invoices upload: all or nothing, the same file twice changes nothing, a
later file for the same date replaces the earlier one, a bad cell is named."""

from __future__ import annotations

import io

import openpyxl
import pytest

from payments import services
from payments.models import OpenInvoice, OpenInvoiceImport
from portal.models import User
from spend.models import Category
from tests.payments.scenario import END, OPEN, OPEN_HEADER, Open, open_file

pytestmark = pytest.mark.django_db


def test_loads_every_invoice_with_its_dates_and_flag(administrator: User) -> None:
    batch = services.open_invoices_import(
        source=open_file(OPEN), file_name="open.csv", as_at=END, user=administrator
    )
    assert batch.status == OpenInvoiceImport.Status.LOADED
    assert batch.rows_loaded == len(OPEN)
    assert batch.total_pence == sum(r.pence for r in OPEN)
    stored = {i.invoice_number: i for i in OpenInvoice.objects.filter(batch=batch)}
    for row in OPEN:
        got = stored[row.invoice]
        assert (got.supplier_number, got.invoice_date, got.received_date, got.due_date) == (
            row.supplier,
            row.invoice_date,
            row.received,
            row.due,
        )
        assert (got.amount_pence, got.disputed, got.as_at) == (row.pence, row.disputed, END)
    assert stored["U-1"].category == Category.objects.get(name="Waste")


def test_the_same_file_twice_changes_nothing(administrator: User) -> None:
    services.open_invoices_import(source=open_file(OPEN), file_name="a.csv", as_at=END, user=None)
    again = services.open_invoices_import(
        source=open_file(OPEN), file_name="a.csv", as_at=END, user=administrator
    )
    assert again.status == OpenInvoiceImport.Status.DUPLICATE
    assert "already loaded" in again.error
    assert OpenInvoice.objects.count() == len(OPEN)


def test_a_later_file_for_the_date_replaces_the_earlier(administrator: User) -> None:
    first = services.open_invoices_import(
        source=open_file(OPEN), file_name="a.csv", as_at=END, user=None
    )
    second = services.open_invoices_import(
        source=open_file(OPEN[:2]), file_name="b.csv", as_at=END, user=None
    )
    first.refresh_from_db()
    assert first.status == OpenInvoiceImport.Status.REPLACED
    assert set(OpenInvoice.objects.values_list("batch", flat=True)) == {second.pk}
    assert OpenInvoice.objects.count() == 2


def test_a_bad_cell_is_named_and_the_earlier_file_stays(administrator: User) -> None:
    services.open_invoices_import(source=open_file(OPEN), file_name="a.csv", as_at=END, user=None)
    bad = [*OPEN[:1], Open("200", "Z-1", None, None, None, 100)]
    text = open_file(bad).getvalue().decode().replace("Z-1,,,,1.00,N", "Z-1,,,,1.00,maybe")
    refused = services.open_invoices_import(
        source=io.BytesIO(text.encode()), file_name="bad.csv", as_at=END, user=None
    )
    assert refused.status == OpenInvoiceImport.Status.REJECTED
    assert refused.error_line == 3
    assert refused.error_column == "Disputed"
    assert "bad.csv: Line 3, column Disputed: 'maybe' is not a disputed flag" in refused.error
    assert OpenInvoice.objects.count() == len(OPEN)


def test_not_an_open_items_file(administrator: User) -> None:
    refused = services.open_invoices_import(
        source=io.BytesIO(b"Name,Colour\r\nA,Blue\r\n"), file_name="x.csv", as_at=END, user=None
    )
    assert refused.status == OpenInvoiceImport.Status.REJECTED
    assert "not an open invoices extract" in refused.error


def test_instalments_of_one_invoice_become_one(administrator: User) -> None:
    rows = [
        Open("100", "I-1", None, None, None, 1000, account="52100"),
        Open("100", "I-1", None, None, None, 500, disputed=True),
    ]
    services.open_invoices_import(source=open_file(rows), file_name="i.csv", as_at=END, user=None)
    [invoice] = OpenInvoice.objects.all()
    assert (invoice.amount_pence, invoice.disputed) == (1500, True)


def test_reads_a_workbook(administrator: User) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Aged creditors at 31/03/2026"])
    sheet.append(OPEN_HEADER.split(","))
    sheet.append(["100", "A Ltd", "W-1", END, END, END, 12.5, "N", "52100"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    batch = services.open_invoices_import(
        source=buffer, file_name="open.xlsx", as_at=END, user=None
    )
    assert batch.status == OpenInvoiceImport.Status.LOADED, batch.error
    assert OpenInvoice.objects.get().amount_pence == 1250
