"""The register layout's field checks, reading and neutralising."""

from decimal import Decimal

import pytest

from contracts import layout
from contracts.layout import LayoutError
from portal.suppliers import clean_company_number
from tests.contracts.conftest import register_row


@pytest.mark.parametrize(
    ("text", "expected"), [("85000000", "85000000"), ("85000000-0", "85000000"), ("", "")]
)
def test_cpv_codes(text: str, expected: str) -> None:
    assert layout.clean_cpv(text) == expected


@pytest.mark.parametrize("text", ["8500000", "850000001", "ABCDEFGH", "85000000-12"])
def test_bad_cpv_codes(text: str) -> None:
    with pytest.raises(ValueError, match="8 digits"):
        layout.clean_cpv(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),
        ("sc123456", "SC123456"),
        ("OC 301234", "OC301234"),
        ("IP12345R", "IP12345R"),
        ("", ""),
    ],
)
def test_company_numbers(text: str, expected: str) -> None:
    assert clean_company_number(text) == expected


@pytest.mark.parametrize("text", ["123456789", "S1234567", "ABC12345", "12-34567"])
def test_bad_company_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="company number"):
        clean_company_number(text)


def test_money_and_dates() -> None:
    assert layout.clean_money("£1,250,000.5", positive=True) == Decimal("1250000.50")
    with pytest.raises(ValueError, match="more than"):
        layout.clean_money("0", positive=True)
    with pytest.raises(ValueError, match="not an amount"):
        layout.clean_money("lots", positive=True)
    assert str(layout.clean_date("31/03/2024")) == "2024-03-31"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        layout.clean_date("2024-02-30")


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value: str) -> None:
    assert layout.neutralise(value) == "'" + value
    assert layout.csv_cell(value) == "'" + value


def test_safe_cells_are_left_alone() -> None:
    assert layout.neutralise("Acme Ltd") == "Acme Ltd"
    assert layout.neutralise("-") == "-"
    assert layout.neutralise(Decimal("-5")) == Decimal("-5")


def test_parse_row_names_line_and_column() -> None:
    good = layout.parse_row(2, register_row("R1", "Acme"))
    assert good.contract["awarded_value"] == Decimal("100000.00")
    assert good.supplier["postcode"] == "PR1 2HE"
    cases = {
        "End date": ("2023-04-01", "must be after the start date"),
        "Awarded value": ("-5", "more than £0"),
        "CPV code": ("123", "8 digits"),
        "Company number": ("123456789", "company number"),
        "Award date": ("yesterday", "not a date"),
        "SME": ("Maybe", "not Yes or No"),
        "Title": ("", "must not be empty"),
    }
    for column, (value, message) in cases.items():
        with pytest.raises(LayoutError, match=message) as problem:
            layout.parse_row(9, register_row("R1", "Acme", **{column: value}))
        assert f"line 9, column '{column}'" in str(problem.value)
