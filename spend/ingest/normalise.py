"""Turning cell values into ledger values: dates, pence, postcodes, names, statuses.

Every function here is called once or more per payment row, so each has a fast
path for the common shape and a cache where values repeat (a 1M-row extract has
a few thousand distinct dates, postcodes and supplier names). Money never goes
through float arithmetic: text is split into pounds and pence as integers, and a
float from a spreadsheet cell goes through ``repr`` into ``Decimal``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from portal.money import pence_from_decimal
from portal.suppliers import name_key

# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

MONTHS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
# Excel's day 0 (it counts 1900 as a leap year, so serials from March 1900 use this).
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serials for 1 Jan 1980 .. 31 Dec 2099: outside that, a number is not a payment date.
_MIN_SERIAL, _MAX_SERIAL = 29221, 73050

_GENERAL_DATE = re.compile(
    r"^(?:"
    r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"  # 2023-04-01
    r"|(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{2}|\d{4})"  # 1/4/23, 01.04.2023
    r"|(?P<md>\d{1,2})[ \-](?P<mon>[A-Za-z]{3,9})[ \-](?P<my>\d{2}|\d{4})"  # 1-Apr-2023
    r")(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # an optional time, ignored
)

_date_cache: dict[str, dt.date] = {}
_DATE_CACHE_LIMIT = 50_000


def _full_year(year: int, digits: int) -> int:
    """Two-digit years: 00-79 are 2000-2079, 80-99 are 1980-1999."""
    if digits == 2:
        return 2000 + year if year < 80 else 1900 + year
    return year


def excel_serial_to_date(serial: float) -> dt.date:
    """An Excel serial day number (time of day ignored) as a date."""
    if not _MIN_SERIAL <= serial <= _MAX_SERIAL:
        raise ValueError(f"{serial!r} is not a date (as an Excel day number, not 1980-2099)")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: object) -> dt.date:
    """A date cell as a date; raises ValueError if it is not one.

    Accepts ``DD-MON-YY``, ``DD-MON-YYYY``, ``YYYY-MM-DD``, ``DD/MM/YYYY``,
    ``DD/MM/YY`` (day first, as UK files are), an optional time of day, date and
    datetime objects from XLSX cells, and Excel serial numbers (XLSX number cells,
    or a plain number in a date column).
    """
    if isinstance(value, str):
        cached = _date_cache.get(value)
        if cached is not None:
            return cached
        parsed = _parse_date_text(value)
        if len(_date_cache) >= _DATE_CACHE_LIMIT:
            _date_cache.clear()
        _date_cache[value] = parsed
        return parsed
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return excel_serial_to_date(value)
    raise ValueError(f"{value!r} is not a date")


def _parse_date_text(raw: str) -> dt.date:
    text = raw.strip()
    n = len(text)
    try:
        # Fast paths for the shapes Oracle writes.
        if n == 9 and text[2] == "-" and text[6] == "-":  # 05-APR-21
            return dt.date(_full_year(int(text[7:9]), 2), MONTHS[text[3:6].upper()], int(text[:2]))
        if n == 10 and text[4] == "-" and text[7] == "-":  # 2023-04-01
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        if n == 10 and text[2] == "/" and text[5] == "/":  # 01/04/2023
            return dt.date(int(text[6:10]), int(text[3:5]), int(text[:2]))
        if n == 8 and text[2] == "/" and text[5] == "/":  # 01/04/23
            return dt.date(_full_year(int(text[6:8]), 2), int(text[3:5]), int(text[:2]))
    except (KeyError, ValueError):
        pass  # fall through to the general pattern, which gives the error
    match = _GENERAL_DATE.match(text)
    if match is None:
        if text.replace(".", "", 1).isdigit():
            return excel_serial_to_date(float(text))
        raise ValueError(f"{raw!r} is not a date")
    groups = match.groupdict()
    try:
        if groups["iy"]:
            return dt.date(int(groups["iy"]), int(groups["im"]), int(groups["id"]))
        if groups["d"]:
            year = groups["y"]
            return dt.date(_full_year(int(year), len(year)), int(groups["m"]), int(groups["d"]))
        month = MONTHS.get(groups["mon"][:3].upper())
        year = groups["my"]
        if month is None:
            raise ValueError(f"{raw!r} is not a date")
        return dt.date(_full_year(int(year), len(year)), month, int(groups["md"]))
    except ValueError:
        raise ValueError(f"{raw!r} is not a real date") from None


# Payments dated outside this window are placeholders ("31-DEC-9999", "01-JAN-0001" in Oracle
# extracts) or typing slips; one would make every page default to a year nobody has.
DEFAULT_EARLIEST_PAYMENT_DATE = dt.date(1990, 4, 1)
DEFAULT_PAYMENT_DAYS_AHEAD = 365
_LONDON = ZoneInfo("Europe/London")


def payment_date_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The earliest and latest payment dates an import accepts.

    From the settings ``SPEND_EARLIEST_PAYMENT_DATE`` and ``SPEND_PAYMENT_DAYS_AHEAD`` where
    Django is configured; the chunk processes inherit the same environment, so they agree.
    """
    earliest, days_ahead = DEFAULT_EARLIEST_PAYMENT_DATE, DEFAULT_PAYMENT_DAYS_AHEAD
    from django.conf import settings  # noqa: PLC0415  (chunk processes use this module without Django settings)
    from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415  (chunk processes use this module without Django settings)

    with contextlib.suppress(ImproperlyConfigured):  # no Django settings here: the defaults
        earliest = getattr(settings, "SPEND_EARLIEST_PAYMENT_DATE", earliest)
        days_ahead = getattr(settings, "SPEND_PAYMENT_DAYS_AHEAD", days_ahead)
    # The council's own calendar day, not the server's.
    today = today or dt.datetime.now(tz=_LONDON).date()
    return earliest, today + dt.timedelta(days=days_ahead)


# ---------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------

_PENNY = Decimal("0.01")
# No single payment of a council comes near £10bn; a larger figure is a slip or a placeholder
# (and beyond about £92 quadrillion it would not even fit the ledger's column).
MAX_AMOUNT_PENCE = 10_000_000_000 * 100
# Thousands separators must group in threes, so "2,44" (a decimal comma) is refused
# rather than read as 244.
_GENERAL_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?$")


def parse_amount_pence(value: object) -> int:
    """An amount in pounds as integer pence; raises ValueError if it is not one.

    Text: ``1234.56``, ``1,234.56``, ``£1,234.56``, ``-2.44``, ``2.44-``,
    ``(2.44)``, ``+5``. Numbers from XLSX cells: ``528.70000000000005`` is
    rounded to 52870 through ``repr`` and ``Decimal``, never by float arithmetic.
    """
    if isinstance(value, str):
        # Fast path: plain "1234.56", "1234.5", "1234", and "1,234.56".
        pounds, dot, pence = value.partition(".")
        if "," in pounds:
            # Thousands separators, each followed by exactly three digits ("1,234,567"):
            # every 4th character from the end is a comma, and there are no others.
            commas = pounds.count(",")
            if pounds[-4::-4] == "," * commas and pounds[0] != ",":
                pounds = pounds.replace(",", "")
        if len(pence) == 2 and pounds:
            digits = pounds + pence  # "1234" + "56": one int() call gives the pence
            if digits.isascii() and digits.isdigit():
                return int(digits)
        elif not dot and pounds.isascii() and pounds.isdigit():
            return int(pounds) * 100
        elif len(pence) == 1 and pounds:  # "652.4", as spreadsheets write it
            digits = pounds + pence
            if digits.isascii() and digits.isdigit():
                return int(digits) * 10
        return _parse_amount_text(value)
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same float:
        # 528.70000000000005 -> '528.7'.
        return pence_from_decimal(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return pence_from_decimal(value)
    raise ValueError(f"{value!r} is not an amount")


def _parse_amount_text(raw: str) -> int:
    text = raw.strip().replace(" ", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):  # trailing-minus credit: 2.44-
        negative, text = not negative, text[:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    elif text.startswith("+"):
        text = text[1:]
    for symbol in ("£", "GBP", "gbp"):
        if text.startswith(symbol):
            text = text[len(symbol) :]
    if text.startswith("-") and not negative:  # £-2.44
        negative, text = True, text[1:]
    if not text or text == "." or not text.isascii() or not _GENERAL_AMOUNT.match(text):
        raise ValueError(f"{raw!r} is not an amount")
    pounds, _, pence = text.replace(",", "").partition(".")
    if len(pence) <= 2:
        result = int(pounds or "0") * 100 + int((pence + "00")[:2])
    else:  # more decimals than pence: spreadsheet noise, round to the penny
        try:
            result = pence_from_decimal(Decimal(f"{pounds or '0'}.{pence}"))
        except InvalidOperation:
            raise ValueError(f"{raw!r} is not an amount") from None
    return -result if negative else result


def format_pence(pence: int) -> str:
    """Integer pence as pounds text, e.g. -244 -> '-2.44' (for messages and tests)."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{rest:02d}"


# ---------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------

# The UK shape: outward code (area letters, district digit(s), optional letter),
# then inward code (digit, two letters).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_OUTWARD_ONLY = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_postcode_cache: dict[str, tuple[str, str]] = {}
_POSTCODE_CACHE_LIMIT = 200_000


def normalise_postcode(raw: str) -> tuple[str, str]:
    """``(postcode, district)``: ``" pr1  2he "`` -> ``("PR1 2HE", "PR1")``.

    The district is the outward code, which the ledger maps to a local
    authority. A value that is not UK-shaped gives ``(cleaned text, "")``: the
    payment is real but its locality is unknown. An outward code alone
    (``"PR1"``) still gives its district.
    """
    cached = _postcode_cache.get(raw)
    if cached is not None:
        return cached
    compact = "".join(raw.split()).upper()
    match = _POSTCODE.match(compact)
    if match is not None:
        outward, inward = match.groups()
        result = (f"{outward} {inward}", outward)
    elif _OUTWARD_ONLY.match(compact):
        result = (compact, compact)
    else:
        result = (" ".join(raw.split()).upper(), "")
    if len(_postcode_cache) >= _POSTCODE_CACHE_LIMIT:
        _postcode_cache.clear()
    _postcode_cache[raw] = result
    return result


def postcode_district(raw: str) -> str:
    """The district (outward code) of a postcode, or '' if it has none."""
    return normalise_postcode(raw)[1]


# ---------------------------------------------------------------------------
# Supplier names
# ---------------------------------------------------------------------------

_name_cache: dict[str, str] = {}
_NAME_CACHE_LIMIT = 200_000


def clean_supplier_name(raw: str) -> str:
    """The name as shown: surrounding blanks trimmed, runs of spaces collapsed."""
    cached = _name_cache.get(raw)
    if cached is not None:
        return cached
    cleaned = " ".join(raw.split())
    if len(_name_cache) >= _NAME_CACHE_LIMIT:
        _name_cache.clear()
    _name_cache[raw] = cleaned
    return cleaned


# The one supplier number every redacted payment is filed under (never a supplier).
REDACTED_SUPPLIER_NUMBER = "NK-REDACTED"
_NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9A-Z]+")


def redaction_key(text: str) -> str:
    """A name or marker reduced to upper-case letters and digits, for comparing with the
    redaction markers: ``"REDACTED - PERSONAL DATA"`` and ``"Redacted personal data"`` share
    one; a name of only asterisks or dashes has the key ``""`` (as a blank name does)."""
    return _NOT_LETTER_OR_DIGIT.sub("", text.upper())


_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "REV", "SIR", "DAME", "PROF"})


def payee_stem(name: str) -> str:
    """The first word of a name's key (the first two if it is a title or a short word): names
    with different stems are unrelated payees, so a number seen with several is a sundry one.
    ``"ACME UK LTD"`` and ``"ACME LTD"`` share ``ACME``; ``"MR J SMITH"`` is ``MR J``."""
    words = name_key(name).split()
    if not words:
        return ""
    if len(words) > 1 and (len(words[0]) <= 3 or words[0] in _TITLES):
        return " ".join(words[:2])
    return words[0]


def sundry_payee_number(number: str, name: str) -> str:
    """The supplier number of one payee paid under a sundry number: the number and the
    payee's own name-derived number, so each payee is a supplier of its own."""
    return f"{number[:20]}/{supplier_number_from_name(name)}"


def supplier_number_from_name(name: str) -> str:
    """A stable supplier number for a published file without one.

    ``"NK-"`` and the first 12 hex digits of the BLAKE2b hash of the name key, so
    spellings that share a :func:`name_key` share a number, and the number is the
    same in every file, on every machine, forever. A blank (redacted) name gives
    ``"NK-REDACTED"``.
    """
    key = name_key(name)
    if not key:
        return "NK-REDACTED"
    return "NK-" + hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest().upper()


# ---------------------------------------------------------------------------
# Payment status
# ---------------------------------------------------------------------------

# Statuses (upper-cased, letters only) of payments that never left the council.
NOT_SPEND_STATUSES = frozenset(
    {"VOIDED", "VOID", "SPOILED", "SPOILT", "STOPINITIATED", "STOPPED", "STOP"}
)
_status_cache: dict[str, bool] = {}


def status_is_spend(status: str) -> bool:
    """False for a voided, spoiled or stop-initiated payment; True otherwise."""
    cached = _status_cache.get(status)
    if cached is None:
        cached = "".join(ch for ch in status.upper() if ch.isalpha()) not in NOT_SPEND_STATUSES
        if len(_status_cache) < 1000:
            _status_cache[status] = cached
    return cached
