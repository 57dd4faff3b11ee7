"""Who a supplier is, the rules the ledger and the register share: the matching key of a
supplier's name and the Companies House company number.

- ``name_key("Suez Recycling & Recovery UK Limited") == "SUEZ RECYCLING AND RECOVERY UK LTD"``:
  the same supplier spelt differently shares a key (spend's suppliers and duplicates).
- ``normalise_company_number(" 1234567") == "01234567"``: leading zeros restored, letters in
  capitals, at most 8 characters; ``clean_company_number`` also refuses what is no company
  number, saying what one looks like (the register's forms and files).
- ``company_number_sql(column)``: the SQL twin of ``normalise_company_number`` for numbers
  already stored without spaces (tests/portal/test_supplier_rules.py pins the two together).
"""

from __future__ import annotations

import re

_KEY_CACHE_LIMIT = 200_000
_COMPANY = re.compile(r"^(\d{8}|[A-Z]{2}\d{6}|[A-Z]{2}\d{5}[A-Z])$")


_TRADING_AS = re.compile(r"\b(?:T\s*/\s*A|T\.A\.|TRADING\s+AS)\b")
_NAME_PUNCTUATION = re.compile(r"[^0-9A-Z ]+")
# Marks inside a word that join rather than separate: "St.", "O'Brien", "Children\u2019s".
_JOINING_MARKS = frozenset({".", "'", "\u2019"})
_NAME_WORDS: dict[str, str] = {
    "LIMITED": "LTD",
    "LTD": "LTD",
    "PLC": "PLC",
    "COMPANY": "CO",
    "CO": "CO",
    "AND": "AND",
    "UK": "UK",
    "SERVICES": "SERVICES",
    "SERVICE": "SERVICES",
}
_name_key_cache: dict[str, str] = {}


def name_key(name: str) -> str:
    """A matching key for supplier names, for finding the same supplier spelt differently.

    Case, punctuation and spacing are ignored; ``&`` is ``AND``; ``Limited`` is
    ``LTD``; ``Public Limited Company`` and ``P.L.C.`` are ``PLC``; a leading
    ``The`` is dropped; ``t/a``, ``T/A`` and ``trading as`` become ``TA``.
    ``"Suez Recycling & Recovery UK Limited"`` and ``"SUEZ RECYCLING AND RECOVERY
    UK LTD."`` share a key.
    """
    cached = _name_key_cache.get(name)
    if cached is not None:
        return cached
    text = name.upper().replace("&", " AND ").replace("+", " AND ")
    text = _TRADING_AS.sub(" TA ", text)
    text = text.replace("P.L.C.", "PLC").replace("PUBLIC LIMITED COMPANY", "PLC")
    text = _NAME_PUNCTUATION.sub(lambda m: "" if m.group() in _JOINING_MARKS else " ", text)
    words = [_NAME_WORDS.get(w, w) for w in text.split()]
    if len(words) > 1 and words[0] == "THE":
        words = words[1:]
    key = " ".join(words)
    if len(_name_key_cache) >= _KEY_CACHE_LIMIT:
        _name_key_cache.clear()
    _name_key_cache[name] = key
    return key


def _compact_company_number(text: str | None) -> str:
    value = re.sub(r"\s+", "", text or "").upper()
    if value.isdigit() and len(value) < 8:
        value = value.zfill(8)
    return value


def normalise_company_number(text: str | None) -> str:
    """'1234567' → '01234567'; 'sc 012345' → 'SC012345'; '' stays ''."""
    return _compact_company_number(text)[:8]


def clean_company_number(text: str | None) -> str:
    """A Companies House number: 8 digits (leading zeros restored) or 2 letters and 6 digits;
    ValueError saying what one looks like otherwise."""
    value = _compact_company_number(text)
    if value and not _COMPANY.match(value):
        raise ValueError(
            "a company number is 8 characters: 8 digits, or 2 letters and 6 digits (SC123456)"
        )
    return value


def company_number_sql(column: str) -> str:
    """SQL for a stored company number as normalise_company_number writes it (digits padded
    to 8, letters in capitals)."""
    return f"CASE WHEN {column} ~ '^[0-9]+$' THEN lpad({column}, 8, '0') ELSE upper({column}) END"
