"""Normalisers and header matching, one value at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal import periods, suppliers
from spend.ingest import layouts, normalise


@pytest.mark.parametrize(
    ("value", "pence"),
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ("1,234,567.89", 123456789),
        ("\u00a31,234.56", 123456),
        ("GBP 10.00", 1000),
        ("2.44-", -244),
        ("(2.44)", -244),
        ("-2.44", -244),
        ("+2.44", 244),
        ("  7.1 ", 710),
        ("0", 0),
        (".5", 50),
        ("528.70000000000005", 52870),
        ("0.125", 13),  # half a penny rounds away from zero
        ("-0.125", -13),
        (528.70000000000005, 52870),
        (0.1 + 0.2, 30),
        (1500, 150000),
        (Decimal("12.345"), 1235),
    ],
)
def test_amounts_to_pence(value: object, pence: int) -> None:
    assert normalise.parse_amount_pence(value) == pence


@pytest.mark.parametrize(
    "value",
    ["", "abc", "12,3x4", "2,44", "1234,567", "1.2.3", "--2", "\u0661\u0662", True, None, "nan"],
)
def test_not_amounts(value: object) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        normalise.parse_amount_pence(value)


def test_float_amounts_never_use_float_arithmetic() -> None:
    # Every penny value from 0.00 to 99.99 survives the trip through a float cell.
    for pence in range(10000):
        assert normalise.parse_amount_pence(pence / 100) == pence


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("05-APR-21", dt.date(2021, 4, 5)),
        ("05-apr-21", dt.date(2021, 4, 5)),
        ("05-APR-2021", dt.date(2021, 4, 5)),
        ("2021-04-05", dt.date(2021, 4, 5)),
        ("2021-04-05T00:00:00", dt.date(2021, 4, 5)),
        ("05/04/2021", dt.date(2021, 4, 5)),
        ("05/04/21", dt.date(2021, 4, 5)),
        ("5/4/2021", dt.date(2021, 4, 5)),
        ("05.04.2021", dt.date(2021, 4, 5)),
        ("5 April 2021", dt.date(2021, 4, 5)),
        ("31-DEC-99", dt.date(1999, 12, 31)),
        ("44291", dt.date(2021, 4, 5)),
        (44291, dt.date(2021, 4, 5)),
        (44291.0416666, dt.date(2021, 4, 5)),
        (dt.datetime(2021, 4, 5, 1, 0), dt.date(2021, 4, 5)),
        (dt.date(2021, 4, 5), dt.date(2021, 4, 5)),
    ],
)
def test_dates(value: object, day: dt.date) -> None:
    assert normalise.parse_date(value) == day


@pytest.mark.parametrize("value", ["", "31/02/2023", "13/13/2023", "APR-21", "12", 5, "x"])
def test_not_dates(value: object) -> None:
    with pytest.raises(ValueError, match="not a"):
        normalise.parse_date(value)


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2023, 4, 1), 2023),
        (dt.date(2024, 3, 31), 2023),
        (dt.date(2023, 3, 31), 2022),
        (dt.date(2023, 12, 25), 2023),
    ],
)
def test_financial_year(day: dt.date, fy: int) -> None:
    assert periods.financial_year_of(day) == fy  # the ledger stages each payment with it


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PR1 2HE", ("PR1 2HE", "PR1")),
        ("pr12he", ("PR1 2HE", "PR1")),
        ("  PR1   2HE ", ("PR1 2HE", "PR1")),
        ("M1 1AE", ("M1 1AE", "M1")),
        ("EC1A 1BB", ("EC1A 1BB", "EC1A")),
        ("W1A 0AX", ("W1A 0AX", "W1A")),
        ("PR1", ("PR1", "PR1")),
        ("", ("", "")),
        ("N/A", ("N/A", "")),
        ("1 High Street", ("1 HIGH STREET", "")),
    ],
)
def test_postcodes(raw: str, expected: tuple[str, str]) -> None:
    assert normalise.normalise_postcode(raw) == expected
    assert normalise.postcode_district(raw) == expected[1]


def test_supplier_name_cleaning() -> None:
    assert normalise.clean_supplier_name("  Acme   Ltd \t") == "Acme Ltd"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SUEZ RECYCLING & RECOVERY UK LTD", "Suez Recycling and Recovery UK Limited"),
        ("The Acme Company Ltd.", "ACME CO LTD"),
        ("Softcat P.L.C.", "SOFTCAT PLC"),
        ("Softcat Public Limited Company", "Softcat plc"),
        ("J Smith t/a Smiths Plumbing", "J SMITH T/A SMITHS PLUMBING"),
        ("J Smith trading as Smiths Plumbing", "J Smith T / A Smiths Plumbing"),
        ("O'Brien & Sons (Preston) Ltd", "OBRIEN AND SONS PRESTON LIMITED"),
    ],
)
def test_name_key_joins_spellings(a: str, b: str) -> None:
    assert suppliers.name_key(a) == suppliers.name_key(b)


def test_name_key_keeps_different_suppliers_apart() -> None:
    assert suppliers.name_key("REDACTIVE MEDIA SALES LIMITED") != suppliers.name_key(
        "REDACTIVE PUBLISHING LIMITED"
    )
    assert suppliers.name_key("Acme Ltd") != suppliers.name_key("Acme Holdings Ltd")


def test_supplier_number_from_name_is_stable() -> None:
    number = normalise.supplier_number_from_name("Acme Ltd")
    assert number == normalise.supplier_number_from_name("ACME LIMITED")
    assert number.startswith("NK-")
    assert len(number) == 15
    # The same on every machine and Python version: a fixed hash, not hash().
    assert (
        number
        == "NK-" + __import__("hashlib").blake2b(b"ACME LTD", digest_size=6).hexdigest().upper()
    )
    assert normalise.supplier_number_from_name("") == "NK-REDACTED"


@pytest.mark.parametrize(
    ("status", "spend"),
    [
        ("VOIDED", False),
        ("Void", False),
        ("SPOILED", False),
        ("STOP INITIATED", False),
        ("stop_initiated", False),
        ("NEGOTIABLE", True),
        ("Cleared", True),
        ("", True),
    ],
)
def test_status(status: str, spend: bool) -> None:
    assert normalise.status_is_spend(status) is spend


def test_format_pence() -> None:
    assert normalise.format_pence(-244) == "-2.44"
    assert normalise.format_pence(5) == "0.05"


# ---------------------------------------------------------------------------
# Header matching
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Name:  ", "name"),
        ("\ufeffBusiness Unit", "businessunit"),
        (" INVOICE_NUM ", "invoicenum"),
        ("HBC Ref No.", "hbcrefno"),
        (None, ""),
    ],
)
def test_normalise_header(text: object, normalised: str) -> None:
    assert layouts.normalise_header(text) == normalised


def test_detect_layout_each_kind() -> None:
    r12 = layouts.detect_layout(
        ["ORG_ID", "INVOICE_PAYMENT_ID", "DIST_LINE_NUM", "VENDOR_NUM", "VENDOR_NAME",
         "CHECK_DATE", "AMOUNT"]
    )  # fmt: skip
    assert r12 is not None
    assert r12.layout.name == "r12"
    assert r12.columns["amount"] == 6
    published = layouts.detect_layout(["Date", "Supplier", "Value", "Purpose", "Department"])
    assert published is not None
    assert published.layout.name == "transparency"
    assert published.columns == {
        "payment_date": 0,
        "supplier_name": 1,
        "amount": 2,
        "account_description": 3,
        "cost_centre": 4,
    }
    assert layouts.detect_layout(["Paid Invoices Report"]) is None
    assert layouts.detect_layout([]) is None


def test_transparency_synonyms_prefer_the_specific_heading() -> None:
    mapping = layouts.detect_layout(
        ["Department Area", "", "Service Area", "Name:  ", "Payment Date", "Amount Paid"]
    )
    assert mapping is not None
    assert mapping.columns["cost_centre"] == 2  # Service Area before Department Area
    assert mapping.header_text("supplier_name") == "Name:"


def test_apply_custom_mapping() -> None:
    header = ["When", "Who", "How much"]
    mapping = layouts.apply_custom_mapping(
        header, {"payment_date": "when", "supplier_name": "WHO", "amount": "How Much"}
    )
    assert mapping is not None
    assert mapping.columns == {
        "payment_date": 0,
        "supplier_name": 1,
        "amount": 2,
    }
    assert layouts.apply_custom_mapping(header, {"amount": "Value"}) is None
    with pytest.raises(ValueError, match="unknown fields: colour"):
        layouts.apply_custom_mapping(header, {"colour": "When"})
