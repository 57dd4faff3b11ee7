"""The rules that say who a supplier is (portal/suppliers.py), and their SQL twin."""

import pytest
from django.db import connection

from portal.suppliers import (
    clean_company_number,
    company_number_sql,
    name_key,
    normalise_company_number,
)

# Stored forms the duplicate search compares (numbers are stored without spaces).
STORED = ["1234567", "01234567", "123", "0", "SC012345", "sc012345", "NI01234A", "", "123456789"]


@pytest.mark.django_db
def test_the_sql_company_number_is_the_python_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT n, {company_number_sql('n')} FROM unnest(%s::text[]) n",  # noqa: S608  (a constant)
            [STORED],
        )
        in_sql = dict(cursor.fetchall())
    assert in_sql == {number: normalise_company_number(number) for number in STORED}
    assert in_sql["1234567"] == in_sql["01234567"] == "01234567"  # leading zeros restored
    assert in_sql["sc012345"] == "SC012345"


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" 1234567 ", "01234567"), ("sc 012345", "SC012345"), ("", ""), ("NI01234A", "NI01234A")],
)
def test_the_register_and_the_ledger_read_a_number_alike(text: str, expected: str) -> None:
    assert clean_company_number(text) == normalise_company_number(text) == expected


@pytest.mark.parametrize("text", ["123456789", "S0123456", "ABC12345"])
def test_the_register_refuses_what_is_no_company_number(text: str) -> None:
    with pytest.raises(ValueError, match="8 digits, or 2 letters and 6 digits"):
        clean_company_number(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Smith & Sons Ltd.", "SMITH AND SONS LIMITED"),
        ("The Acme Co", "Acme Company"),
        ("O'Brien Services", "OBrien Service"),
        ("Bloggs t/a Quick-Fix", "BLOGGS TRADING AS QUICK FIX"),
        ("Acme P.L.C.", "Acme Public Limited Company"),
    ],
)
def test_punctuation_and_legal_forms_do_not_split_a_supplier(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)
