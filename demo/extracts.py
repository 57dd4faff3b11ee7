"""Realistic Oracle paid-invoice extracts for demos, tests and benchmarks.

Deterministic for a seed: each month's payments come from their own random
stream, so a month written twice (overlapping extracts) has the same rows and keys.

* Payments up to December 2022 are written as R12 extracts, from January 2023 as
  Fusion (CSV, one year as XLSX).
* About 7,000 suppliers with a long tail: supplier *k* is chosen with weight
  ``1 / k**1.1`` and the big ones are paid larger sums, so a few take most spend.
* Supplier numbers are the same in R12 and Fusion; names are spelt differently.
* Sites have postcodes from the real postcode-district table: Lancashire (the home
  area), the rest of the North West, the rest of the UK, and some blank or
  unresolvable. Some suppliers have a second site somewhere else.
* Credit notes, voided (and a few spoiled and stop-initiated) payments, a month
  with no payments, and every quirk in ``formats/oracle-ap-exports.md``.

:func:`expected_totals` computes what the ledger should hold from the same plan,
without writing or parsing any file: the tests compare the ledger with it.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import random
import re
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import IO, NamedTuple

from portal.periods import financial_year_of
from portal.suppliers import name_key

# The portal's own district lookup (district, local_authority, region), shipped in fixtures/.
DEFAULT_DISTRICT_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "postcode_districts.csv"
FUSION_FROM = dt.date(2023, 1, 1)

# Lancashire County Council's 12 districts: the default home area.
HOME_AUTHORITIES = frozenset(
    {
        "Burnley",
        "Chorley",
        "Fylde",
        "Hyndburn",
        "Lancaster",
        "Pendle",
        "Preston",
        "Ribble Valley",
        "Rossendale",
        "South Ribble",
        "West Lancashire",
        "Wyre",
    }
)
HOME_REGION = "North West"

# When the district table is not available (a slim checkout): a few of each kind.
_FALLBACK_DISTRICTS = {
    "home": ["PR1", "PR2", "PR7", "PR25", "BB4", "BB7", "BB9", "BB11", "LA1", "LA3", "FY5", "L39"],
    "region": ["M1", "M3", "L1", "L3", "WA1", "CH1", "BL1", "CA1", "WN1", "SK1", "FY1", "BB2"],
    "uk": ["SW1A", "B1", "LS1", "NE1", "RG1", "MK9", "CF10", "G1", "EH1", "BS1", "NG1", "S1"],
}

_BIG_SUPPLIERS = (
    "SUEZ RECYCLING & RECOVERY UK LTD",
    "CGL SERVICES LTD",
    "COSTAIN LTD",
    "REED SPECIALIST RECRUITMENT LTD",
    "LANCASHIRE CARE SERVICES LTD",
    "SOFTCAT PLC",
    "BROTHERS OF CHARITY SERVICES",
    "RALPH LIVESEY LTD",
    "DISABILITY EQUALITY (NW) LTD",
    "ONE FYLDE LTD",
    "DOVEHAVEN CARE HOMES LTD",
    "GLENVALE TRANSPORT LTD",
    "TARMAC TRADING LTD",
    "O'BRIEN & SONS (PRESTON) LTD",
    "J.W. HODGSON T/A HODGSONS COACHES",
)
# Second records of big suppliers (other numbers), placed in the tail from this rank on.
_NEAR_DUPLICATES_FROM = 200
_NEAR_DUPLICATES = (
    "COSTAIN LIMITED",
    "SOFTCAT LTD.",
    "GLENVALE TRANSPORT LIMITED",
    "TARMAC TRADING LIMITED",
    "SUEZ RECYCLING AND RECOVERY UK LTD",
)
_WORDS_A = [
    "NORTHERN",
    "PENNINE",
    "RIBBLE",
    "FYLDE",
    "BOWLAND",
    "LUNE",
    "WYRE",
    "CALDER",
    "HAMBLETON",
    "ALBION",
    "PREMIER",
    "SUMMIT",
    "CROWN",
    "HERITAGE",
    "MERIDIAN",
    "PHOENIX",
    "BEACON",
    "ORCHARD",
    "RIVERSIDE",
    "VALLEY",
]
_WORDS_B = [
    "CARE",
    "TRANSPORT",
    "CLEANING",
    "BUILDERS",
    "CATERING",
    "SUPPLIES",
    "TRAINING",
    "CONSULTING",
    "PLUMBING",
    "ELECTRICAL",
    "GROUNDWORKS",
    "RECRUITMENT",
    "PRINT",
    "IT",
    "FOSTERING",
    "HOMES",
    "LANDSCAPES",
    "TAXIS",
]
_WORDS_C = ("LTD", "LIMITED", "LLP", "& CO", "SERVICES LTD", "GROUP LTD", "CIC", "PLC")

_ACCOUNTS = (
    ("50900", "Agency Staff"),
    ("50910", "Agency Teaching Staff"),
    ("51200", "Gas"),
    ("51210", "Electricity"),
    ("52100", "Waste Disposal Contracts"),
    ("52500", "Printing and Stationery"),
    ("52700", "Provisions"),
    ("52900", "Professional Services"),
    ("53100", "Capital Works"),
    ("53700", "ICT Software and Licences"),
    ("54300", "Public Health Services"),
    ("54800", "Home to School Transport"),
    ("55100", "Homecare Packages"),
    ("55200", "Residential Care"),
    ("56100", "Children's Placements"),
)
_COST_CENTRES = ("AS1001", "AS1002", "CS2001", "CS2002", "CR6001", "CR6002", "ED5001", "PH3001")
_TOWNS = ("Preston", "Lancaster", "Burnley", "Manchester", "Liverpool", "Leeds", "London")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def current_financial_year(today: dt.date | None = None) -> int:
    """The financial year (by its starting year) that contains today."""
    day = today or dt.datetime.now(tz=dt.UTC).date()
    return financial_year_of(day)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Every default is realistic for a county council, scaled down."""

    seed: int = 20240401
    first_fy: int | None = None  # default: five years ending at the current one
    years: int = 5
    as_of: dt.date | None = None  # no payments after this day (default: today)
    suppliers: int = 7000
    payments_per_month: int = 2000
    # (year, month) with no payments at all; None = August of the second year.
    missing_months: tuple[tuple[int, int], ...] | None = None
    credit_share: float = 0.03
    void_share: float = 0.006
    second_site_share: float = 0.06
    no_postcode_share: float = 0.04
    bad_postcode_share: float = 0.01
    district_file: Path = DEFAULT_DISTRICT_FILE

    @property
    def start_fy(self) -> int:
        if self.first_fy is not None:
            return self.first_fy
        return current_financial_year(self.as_of) - self.years + 1

    @property
    def end_date(self) -> dt.date:
        return self.as_of or dt.datetime.now(tz=dt.UTC).date()

    @property
    def months_without_payments(self) -> tuple[tuple[int, int], ...]:
        if self.missing_months is not None:
            return self.missing_months
        return ((self.start_fy + 1, 8),) if self.years > 1 else ()


class Site(NamedTuple):
    code: str
    address: str
    city: str
    postcode: str  # canonical "PR1 2HE", or "" / junk for unknown locality
    district: str  # "" when the postcode does not resolve
    locality: str  # "home", "region", "uk" or "unknown"


class Supplier(NamedTuple):
    number: str
    r12_name: str
    fusion_name: str
    sites: tuple[Site, ...]


class GenPayment(NamedTuple):
    """One generated payment row, before any file formatting."""

    invoice_id: int
    invoice_number: str
    invoice_date: dt.date
    supplier: int  # index into the supplier list
    site: int  # index into the supplier's sites
    payment_number: int
    payment_date: dt.date
    status: str  # NEGOTIABLE, CLEARED, RECONCILED, VOIDED, SPOILED, STOP INITIATED
    invoice_payment_id: int
    line: int
    pence: int
    cost_centre: str
    account: str
    account_description: str
    description: str

    @property
    def is_spend(self) -> bool:
        return self.status not in ("VOIDED", "SPOILED", "STOP INITIATED")


# ---------------------------------------------------------------------------
# Reference data: districts and suppliers
# ---------------------------------------------------------------------------

_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def load_districts(path: Path = DEFAULT_DISTRICT_FILE) -> dict[str, list[str]]:
    """Postcode districts by locality class (home, region, uk), from the district table."""
    if not path.exists():
        return {k: list(v) for k, v in _FALLBACK_DISTRICTS.items()}
    out: dict[str, list[str]] = {"home": [], "region": [], "uk": []}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            district = row["district"].strip()
            if not _OUTWARD.match(district):
                continue
            if row["local_authority"] in HOME_AUTHORITIES:
                out["home"].append(district)
            elif row["region"] == HOME_REGION:
                out["region"].append(district)
            elif row["region"]:
                out["uk"].append(district)
    return out


def home_districts(path: Path = DEFAULT_DISTRICT_FILE) -> frozenset[str]:
    return frozenset(load_districts(path)["home"])


# Words kept in capitals when a name is re-cased: acronyms with vowels in them (a word with
# no vowel, "CGL", "(NW)", "PLC", is kept anyway).
_ACRONYMS = frozenset({"UK", "IT", "ICT", "NHS", "CIC", "LLP", "PLC", "GB", "EU", "UKI"})
_VOWELS = frozenset("AEIOUY")


def recase(name: str) -> str:
    """A name in capitals as people write it: "SUEZ RECYCLING & RECOVERY UK LTD" is
    "Suez Recycling & Recovery UK Ltd"; acronyms ("UK", "CGL", "(NW)") stay in capitals."""

    def word(text: str) -> str:
        letters = "".join(ch for ch in text if ch.isalpha())
        if letters == "LTD":
            return text.replace("LTD", "Ltd")
        if letters.isupper() and (letters in _ACRONYMS or not set(letters) & _VOWELS):
            return text
        # "O'BRIEN" is "O'Brien", "J.W." stays "J.W.", "(PRESTON)" is "(Preston)".
        return re.sub(r"[A-Za-z]+", lambda m: m.group().capitalize(), text)

    return " ".join(word(part) for part in name.split(" "))


def _fusion_spelling(name: str, rng: random.Random) -> str:
    """The same supplier as Fusion might hold it: other case and punctuation."""
    variant = recase(name)
    if rng.random() < 0.5:
        variant = variant.replace(" Ltd", " Limited")
    if rng.random() < 0.5:
        variant = variant.replace("&", "and")
    return variant


def _site(
    rng: random.Random, districts: dict[str, list[str]], cfg: GeneratorConfig, code: str
) -> Site:
    roll = rng.random()
    town = rng.choice(_TOWNS)
    address = f"{rng.randint(1, 240)} {rng.choice(_WORDS_A).title()} Road"
    if roll < cfg.no_postcode_share:
        return Site(code, address, town, "", "", "unknown")
    if roll < cfg.no_postcode_share + cfg.bad_postcode_share:
        junk = rng.choice(("TBC", "N/A", "ZZ99 9ZZ", "PR1", "12345"))
        # "PR1" alone is a usable district; the rest are not.
        if junk == "PR1":
            return Site(code, address, town, junk, "PR1", "home")
        return Site(code, address, town, junk, "", "unknown")
    kind = rng.choices(("home", "region", "uk"), weights=(45, 20, 35))[0]
    district = rng.choice(districts[kind])
    inward = f"{rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return Site(code, address, town, f"{district} {inward}", district, kind)


def _invented_names(rng: random.Random) -> Iterator[str]:
    """Supplier names made of words, never numbered ("Ribble Care Ltd", then with a town:
    "Ribble Care (Burnley) Ltd"); only past the 20,000 or so word names does a number come."""
    plain = [f"{a} {b} {c}" for a in _WORDS_A for b in _WORDS_B for c in _WORDS_C]
    rng.shuffle(plain)
    towns = [
        f"{a} {b} ({t.upper()}) {c}"
        for a in _WORDS_A
        for b in _WORDS_B
        for t in _TOWNS
        for c in _WORDS_C
    ]
    rng.shuffle(towns)
    # "Ribble Care Ltd" and "Ribble Care Limited" would be one supplier twice: one of them.
    keys = {name_key(name) for name in (*_BIG_SUPPLIERS, *_NEAR_DUPLICATES)}
    for name in (*plain, *towns):
        key = name_key(name)
        if key not in keys:
            keys.add(key)
            yield name
    n = 0
    while True:
        n += 1
        yield f"{rng.choice(_WORDS_A)} {rng.choice(_WORDS_B)} {n:05d} {rng.choice(_WORDS_C)}"


# The main account each kind of supplier is paid from, by a word of its name: a waste company
# is paid for waste disposal, a care home for residential care. The first word that matches
# wins; a supplier matching none is paid for professional services.
_MAIN_ACCOUNTS = (
    (("WASTE", "RECYCLING", "LIVESEY"), "52100"),
    (("CARE HOMES", "DOVEHAVEN"), "55200"),
    (("FOSTERING", "CHILDREN"), "56100"),
    (("CARE", "CHARITY", "DISABILITY", "HOMES"), "55100"),
    (("TRANSPORT", "TAXIS", "COACHES"), "54800"),
    (("RECRUITMENT",), "50900"),
    (
        ("BUILDERS", "GROUNDWORKS", "PLUMBING", "ELECTRICAL", "COSTAIN", "TARMAC", "LANDSCAPES"),
        "53100",
    ),
    ((" IT ", "SOFTCAT"), "53700"),
    (("PRINT",), "52500"),
    (("CATERING",), "52700"),
    (("CGL", "ONE FYLDE"), "54300"),
)
_ACCOUNT_NAMES = dict(_ACCOUNTS)


@functools.cache
def main_account(name: str) -> str:
    """The account a supplier is mostly paid from, by its name (``_MAIN_ACCOUNTS``)."""
    padded = f" {name.upper()} "
    for words, account in _MAIN_ACCOUNTS:
        if any(word in padded for word in words):
            return account
    return "52900"


def build_suppliers(cfg: GeneratorConfig) -> list[Supplier]:
    rng = random.Random(f"{cfg.seed}-suppliers")
    districts = load_districts(cfg.district_file)
    names = _invented_names(random.Random(f"{cfg.seed}-names"))
    suppliers = []
    for k in range(cfg.suppliers):
        name = _BIG_SUPPLIERS[k] if k < len(_BIG_SUPPLIERS) else next(names)
        # A few suppliers set up twice under other numbers, as finance systems have them:
        # the duplicates page has real candidates to merge.
        near = k - _NEAR_DUPLICATES_FROM
        if 0 <= near < len(_NEAR_DUPLICATES) and cfg.suppliers > 2 * _NEAR_DUPLICATES_FROM:
            name = _NEAR_DUPLICATES[near]
        sites = [_site(rng, districts, cfg, "MAIN")]
        if rng.random() < cfg.second_site_share:
            second = _site(rng, districts, cfg, "DEPOT")
            while second.locality == sites[0].locality and second.locality != "unknown":
                second = _site(rng, districts, cfg, "DEPOT")
            sites.append(second)
        suppliers.append(Supplier(str(100001 + k), name, _fusion_spelling(name, rng), tuple(sites)))
    return suppliers


# ---------------------------------------------------------------------------
# Payments, month by month
# ---------------------------------------------------------------------------


def fy_months(fy: int) -> list[tuple[int, int]]:
    """(year, month) of the twelve months of a financial year, April first."""
    return [(fy, m) for m in range(4, 13)] + [(fy + 1, m) for m in range(1, 4)]


def _month_days(year: int, month: int, last: dt.date) -> list[dt.date]:
    day = dt.date(year, month, 1)
    days = []
    while day.month == month and day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class _Weights:
    """Supplier choice (Zipf-like) and payment size by supplier rank."""

    def __init__(self, count: int) -> None:
        # Offset so the biggest suppliers share the head, as in a county's real ledger (the
        # largest takes a few per cent of spend, not most of it).
        self.cumulative = list(accumulate((k + 30) ** -1.2 for k in range(count)))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> int:
        return bisect(self.cumulative, rng.random() * self.total)


def month_payments(
    cfg: GeneratorConfig,
    suppliers: Sequence[Supplier],
    weights: _Weights,
    year: int,
    month: int,
) -> Iterator[GenPayment]:
    """The payments of one month, always the same for the same seed."""
    if (year, month) in cfg.months_without_payments:
        return
    days = _month_days(year, month, cfg.end_date)
    if not days:
        return
    rng = random.Random(f"{cfg.seed}-{year}-{month}")
    # Year-end (March) is busier.
    target = int(cfg.payments_per_month * (1.3 if month == 3 else 1.0))
    base = (year * 100 + month) * 100_000
    written = 0
    invoice = 0
    while written < target:
        invoice += 1
        k = weights.pick(rng)
        supplier = suppliers[k]
        site = 0 if len(supplier.sites) == 1 or rng.random() < 0.6 else 1
        payment_date = rng.choice(days)
        invoice_date = payment_date - dt.timedelta(days=rng.randint(3, 45))
        roll = rng.random()
        if roll < cfg.void_share:
            status = rng.choice(("VOIDED", "VOIDED", "VOIDED", "SPOILED", "STOP INITIATED"))
        else:
            status = rng.choice(("NEGOTIABLE", "CLEARED", "RECONCILED"))
        credit = rng.random() < cfg.credit_share
        # Bigger suppliers, bigger invoices: median about £18k for the top, £1.4k for the tail.
        mu = 11.5 - 0.5 * math.log(k + 30)
        lines = 1 if rng.random() < 0.85 else rng.randint(2, 3)
        # Mostly the account that fits the supplier; now and then another.
        if rng.random() < 0.9:
            account = main_account(supplier.r12_name)
            account_description = _ACCOUNT_NAMES[account]
        else:
            account, account_description = rng.choice(_ACCOUNTS)
        for line in range(1, lines + 1):
            pounds = min(rng.lognormvariate(mu, 1.0), 2_500_000.0)
            pence = max(1, int(pounds * 100))  # generated as a float, stored as integer pence
            if credit:
                pence = -pence
            description = f"Payment re {account_description.lower()}, ref {invoice}"
            roll = rng.random()
            if roll < 0.02:
                description += "\nsecond line of the note"
            elif roll < 0.05:
                description += " \u2013 caf\u00e9 supplies \u00a3"
            yield GenPayment(
                invoice_id=base + invoice,
                invoice_number=f"INV{base + invoice}",
                invoice_date=invoice_date,
                supplier=k,
                site=site,
                payment_number=base + invoice,
                payment_date=payment_date,
                status=status,
                invoice_payment_id=base + invoice,
                line=line,
                pence=pence,
                cost_centre=rng.choice(_COST_CENTRES),
                account=account,
                account_description=account_description,
                description=description,
            )
            written += 1


# ---------------------------------------------------------------------------
# The plan: which months go into which file, with which quirks
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractPlan:
    file_name: str
    layout: str  # "r12" or "fusion"
    kind: str  # "csv" or "xlsx"
    months: tuple[tuple[int, int], ...]
    quirks: frozenset[str]
    primary: bool = True  # False for an overlapping re-extract of months already written


# Quirk names, for tests to select files by.
QUIRKS = (
    "cp1252",  # Windows-1252 text, £ as byte 0xA3
    "bom",  # UTF-8 with byte-order mark
    "title_lines",  # report title and run date above the header
    "report_total",  # a "Report Total" line at the end
    "thousands",  # "1,234.56"
    "trailing_minus",  # credits as 2.44-
    "two_digit_year",  # DD-MON-YY or DD/MM/YY
    "four_digit_year",  # DD-MON-YYYY
    "dmy_dates",  # DD/MM/YYYY (Fusion CSV)
    "messy_postcodes",  # any case, no space or extra spaces
    "no_address",  # no ADDRESS_LINE1, CITY, ZIP
    "extra_columns",  # columns the portal does not need
    "float_noise",  # XLSX amounts like 528.70000000000005
    "excel_serials",  # XLSX dates as serial numbers and datetimes at 01:00
    "semicolon",  # ';'-delimited
)


def plan_extracts(cfg: GeneratorConfig) -> list[ExtractPlan]:
    """Which files to write. Every quirk appears in some file."""
    plans: list[ExtractPlan] = []
    fys = list(range(cfg.start_fy, cfg.start_fy + cfg.years))
    r12_count = fusion_count = 0
    # Styles in rotation; with three R12 and two Fusion files every quirk appears.
    r12_styles = (
        {"cp1252", "no_address", "two_digit_year", "thousands", "extra_columns"},
        {"cp1252", "title_lines", "report_total", "trailing_minus", "four_digit_year",
         "messy_postcodes"},
        {"cp1252", "two_digit_year", "messy_postcodes", "semicolon", "thousands"},
    )  # fmt: skip
    fusion_styles = (
        {"bom", "title_lines", "report_total", "messy_postcodes", "dmy_dates", "two_digit_year",
         "extra_columns"},
        {"xlsx", "float_noise", "excel_serials", "messy_postcodes"},
        {"bom", "thousands"},
    )  # fmt: skip
    for fy in fys:
        months = [ym for ym in fy_months(fy) if dt.date(ym[0], ym[1], 1) <= cfg.end_date]
        r12_months = tuple(ym for ym in months if dt.date(ym[0], ym[1], 1) < FUSION_FROM)
        fusion_months = tuple(ym for ym in months if dt.date(ym[0], ym[1], 1) >= FUSION_FROM)
        label = f"{fy}-{(fy + 1) % 100:02d}"
        if r12_months:
            quirks = set(r12_styles[r12_count % len(r12_styles)])
            plans.append(
                ExtractPlan(f"r12_paid_invoices_{label}.csv", "r12", "csv", r12_months,
                            frozenset(quirks))
            )  # fmt: skip
            r12_count += 1
        if fusion_months:
            quirks = set(fusion_styles[fusion_count % len(fusion_styles)])
            kind = "xlsx" if "xlsx" in quirks else "csv"
            quirks.discard("xlsx")
            plans.append(
                ExtractPlan(f"fusion_paid_invoices_{label}.{kind}", "fusion", kind,
                            fusion_months, frozenset(quirks))
            )  # fmt: skip
            fusion_count += 1
    # An overlapping re-extract: the last month of the second-last file and the first
    # of the last file, as the finance team sends when a month is re-run.
    if len(plans) >= 2:
        before, after = plans[-2], plans[-1]
        if "no_address" not in before.quirks and before.months and after.months:
            overlap = (before.months[-1], after.months[0])
            layout = "fusion" if dt.date(*overlap[0], 1) >= FUSION_FROM else "r12"
            if layout == "fusion" or dt.date(*overlap[1], 1) < FUSION_FROM:
                plans.append(
                    ExtractPlan(
                        f"{layout}_paid_invoices_overlap.csv",
                        layout,
                        "csv",
                        overlap,
                        frozenset({"bom"} if layout == "fusion" else {"cp1252"}),
                        primary=False,
                    )
                )
    return plans


# ---------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------

R12_HEADER = [
    "ORG_ID",
    "INVOICE_ID",
    "INVOICE_NUM",
    "INVOICE_DATE",
    "VENDOR_NUM",
    "VENDOR_NAME",
    "VENDOR_SITE_CODE",
    "ADDRESS_LINE1",
    "CITY",
    "ZIP",
    "CHECK_NUMBER",
    "CHECK_DATE",
    "STATUS_LOOKUP_CODE",
    "INVOICE_PAYMENT_ID",
    "DIST_LINE_NUM",
    "AMOUNT",
    "CURRENCY_CODE",
    "COST_CENTRE",
    "ACCOUNT",
    "ACCOUNT_DESCRIPTION",
    "DESCRIPTION",
]
FUSION_HEADER = [
    "Business Unit",
    "Invoice ID",
    "Invoice Number",
    "Invoice Date",
    "Supplier Number",
    "Supplier or Party",
    "Supplier Site",
    "Address Line 1",
    "Town or City",
    "Postal Code",
    "Payment Number",
    "Payment Date",
    "Payment Status",
    "Distribution Line Number",
    "Paid Amount",
    "Currency",
    "Cost Centre",
    "Account",
    "Account Description",
    "Invoice Description",
]
_ADDRESS_COLUMNS = {"ADDRESS_LINE1", "CITY", "ZIP"}
_EXTRA_COLUMNS = ["CREATED_BY", "ATTRIBUTE1"]


def _amount_text(pence: int, quirks: frozenset[str]) -> str:
    pounds, rest = divmod(abs(pence), 100)
    text = f"{pounds:,}.{rest:02d}" if "thousands" in quirks else f"{pounds}.{rest:02d}"
    if pence < 0:
        return text + "-" if "trailing_minus" in quirks else "-" + text
    return text


def _r12_date(day: dt.date, quirks: frozenset[str]) -> str:
    mon = _MONTH_NAMES[day.month - 1]
    if "four_digit_year" in quirks:
        return f"{day.day:02d}-{mon}-{day.year}"
    return f"{day.day:02d}-{mon}-{day.year % 100:02d}"


def _fusion_date(day: dt.date, quirks: frozenset[str], short: bool = False) -> str:
    if "dmy_dates" in quirks:
        if short and "two_digit_year" in quirks:
            return f"{day.day:02d}/{day.month:02d}/{day.year % 100:02d}"
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return day.isoformat()


def _messy_postcode(postcode: str, rng: random.Random) -> str:
    if not postcode or " " not in postcode:
        return postcode
    roll = rng.random()
    if roll < 0.15:
        return postcode.lower()
    if roll < 0.25:
        return postcode.replace(" ", "")
    if roll < 0.35:
        return " " + postcode.replace(" ", "  ") + " "
    return postcode


def _fusion_status(status: str) -> str:
    return status.title()


def _csv_rows(
    plan: ExtractPlan,
    cfg: GeneratorConfig,
    suppliers: Sequence[Supplier],
    weights: _Weights,
    on_payment: Callable[[GenPayment], None] | None = None,
) -> Iterator[list[str]]:
    """Header and data rows of one CSV extract, as text cells."""
    quirks = plan.quirks
    rng = random.Random(f"{cfg.seed}-format-{plan.file_name}")
    messy = "messy_postcodes" in quirks
    if plan.layout == "r12":
        header = [h for h in R12_HEADER if "no_address" not in quirks or h not in _ADDRESS_COLUMNS]
    else:
        header = list(FUSION_HEADER)
    extra = "extra_columns" in quirks
    if extra:
        header = header[:3] + _EXTRA_COLUMNS + header[3:]
    yield header
    keep = [h in header for h in R12_HEADER] if plan.layout == "r12" else None
    for year, month in plan.months:
        for p in month_payments(cfg, suppliers, weights, year, month):
            if on_payment is not None:
                on_payment(p)
            supplier = suppliers[p.supplier]
            site = supplier.sites[p.site]
            postcode = _messy_postcode(site.postcode, rng) if messy else site.postcode
            amount = _amount_text(p.pence, quirks)
            if plan.layout == "r12":
                row = [
                    "101",
                    str(p.invoice_id),
                    p.invoice_number,
                    _r12_date(p.invoice_date, quirks),
                    supplier.number,
                    supplier.r12_name,
                    site.code,
                    site.address,
                    site.city,
                    postcode,
                    str(p.payment_number),
                    _r12_date(p.payment_date, quirks),
                    p.status,
                    str(p.invoice_payment_id),
                    str(p.line),
                    amount,
                    "GBP",
                    p.cost_centre,
                    p.account,
                    p.account_description,
                    p.description,
                ]
                if keep is not None and not all(keep):
                    row = [cell for cell, wanted in zip(row, keep, strict=True) if wanted]
            else:
                row = [
                    "LCC BU",
                    str(p.invoice_id),
                    f"F{p.invoice_id}",
                    _fusion_date(p.invoice_date, quirks, short=True),
                    supplier.number,
                    supplier.fusion_name,
                    site.code,
                    site.address,
                    site.city,
                    postcode,
                    f"P{p.payment_number}",
                    _fusion_date(p.payment_date, quirks),
                    _fusion_status(p.status),
                    str(p.line),
                    amount,
                    "GBP",
                    p.cost_centre,
                    p.account,
                    p.account_description,
                    p.description,
                ]
            if extra:
                row = [*row[:3], "SYSADMIN", "", *row[3:]]
            yield row


def write_csv_extract(
    path: Path,
    plan: ExtractPlan,
    cfg: GeneratorConfig,
    suppliers: Sequence[Supplier],
    weights: _Weights,
) -> None:
    quirks = plan.quirks
    encoding = "cp1252" if "cp1252" in quirks else ("utf-8-sig" if "bom" in quirks else "utf-8")
    delimiter = ";" if "semicolon" in quirks else ","
    with path.open("w", encoding=encoding, errors="replace", newline="") as handle:
        _write_csv(handle, plan, cfg, suppliers, weights, delimiter)


def _write_csv(
    handle: IO[str],
    plan: ExtractPlan,
    cfg: GeneratorConfig,
    suppliers: Sequence[Supplier],
    weights: _Weights,
    delimiter: str,
    on_payment: Callable[[GenPayment], None] | None = None,
) -> None:
    quirks = plan.quirks
    if "title_lines" in quirks:
        handle.write("Paid Invoices Report\r\n")
        handle.write(f"Run Date: {cfg.end_date.isoformat()}\r\n")
    writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
    rows = _csv_rows(plan, cfg, suppliers, weights, on_payment)
    header = next(rows)
    writer.writerow(header)
    total = 0
    amount_at = header.index("AMOUNT" if plan.layout == "r12" else "Paid Amount")
    for row in rows:
        writer.writerow(row)
        # The footer total, as BI Publisher prints it (all rows, voided or not).
        total += _pence_of(row[amount_at])
    if "report_total" in quirks:
        footer = [""] * len(header)
        footer[0] = "Report Total"
        footer[amount_at] = _amount_text(total, frozenset())
        writer.writerow(footer)


def _pence_of(text: str) -> int:
    negative = text.startswith("-") or text.endswith("-")
    pounds, _, pence = text.strip("-").replace(",", "").partition(".")
    value = int(pounds) * 100 + int(pence)
    return -value if negative else value


def write_xlsx_extract(
    path: Path,
    plan: ExtractPlan,
    cfg: GeneratorConfig,
    suppliers: Sequence[Supplier],
    weights: _Weights,
) -> None:
    """A Fusion report saved as XLSX: date cells, serial numbers, float amounts."""
    import openpyxl  # noqa: PLC0415  (only the spreadsheet demo files need openpyxl)

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Paid Invoices")
    rng = random.Random(f"{cfg.seed}-format-{plan.file_name}")
    sheet.append(FUSION_HEADER)
    quirks = plan.quirks
    for year, month in plan.months:
        for p in month_payments(cfg, suppliers, weights, year, month):
            supplier = suppliers[p.supplier]
            site = supplier.sites[p.site]
            postcode = (
                _messy_postcode(site.postcode, rng)
                if "messy_postcodes" in quirks
                else site.postcode
            )
            invoice_date: object = dt.datetime.combine(p.invoice_date, dt.time())
            payment_date: object = dt.datetime.combine(p.payment_date, dt.time())
            if "excel_serials" in quirks:
                roll = rng.random()
                if roll < 0.2:  # a serial number in a cell not formatted as a date
                    invoice_date = (p.invoice_date - dt.date(1899, 12, 30)).days
                elif roll < 0.4:  # the UTC/BST artefact seen in real files
                    payment_date = dt.datetime.combine(p.payment_date, dt.time(1, 0))
            if "float_noise" in quirks and rng.random() < 0.3:
                # Summed in floats, as a spreadsheet formula would: 528.7 -> 528.7000000000001.
                amount: float | int = (p.pence - 7) / 100 + 0.07
            elif p.pence % 100 == 0:
                amount = p.pence // 100
            else:
                amount = p.pence / 100
            sheet.append(
                [
                    "LCC BU",
                    p.invoice_id,
                    f"F{p.invoice_id}",
                    invoice_date,
                    supplier.number,
                    supplier.fusion_name,
                    site.code,
                    site.address,
                    site.city,
                    postcode,
                    f"P{p.payment_number}",
                    payment_date,
                    _fusion_status(p.status),
                    p.line,
                    amount,
                    "GBP",
                    p.cost_centre,
                    p.account,
                    p.account_description,
                    p.description,
                ]
            )
    workbook.save(path)


@dataclass
class GeneratedExtracts:
    """The files written, in the order to load them, and what the ledger should hold."""

    files: list[tuple[Path, ExtractPlan]]
    expected: ExpectedTotals


def generate_extracts(out_dir: Path | str, cfg: GeneratorConfig | None = None) -> GeneratedExtracts:
    """Write every planned extract into ``out_dir``; return the files and expected totals."""
    cfg = cfg or GeneratorConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suppliers = build_suppliers(cfg)
    weights = _Weights(len(suppliers))
    files = []
    for plan in plan_extracts(cfg):
        path = out / plan.file_name
        if plan.kind == "xlsx":
            write_xlsx_extract(path, plan, cfg, suppliers, weights)
        else:
            write_csv_extract(path, plan, cfg, suppliers, weights)
        files.append((path, plan))
    return GeneratedExtracts(files, expected_totals(cfg, suppliers))


# ---------------------------------------------------------------------------
# Expected totals, computed from the plan without any file
# ---------------------------------------------------------------------------


@dataclass
class ExpectedTotals:
    """What the ledger should hold after loading every extract (overlaps counted once).

    ``*_pence_by_fy`` count spend rows only (voided, spoiled and stop-initiated
    payments excluded; credit notes netted). ``home_pence_by_fy`` is spend at
    sites in the home area whose extract has a postcode column.
    """

    spend_pence_by_fy: dict[int, int] = field(default_factory=dict)
    home_pence_by_fy: dict[int, int] = field(default_factory=dict)
    unknown_locality_pence_by_fy: dict[int, int] = field(default_factory=dict)
    spend_rows_by_fy: dict[int, int] = field(default_factory=dict)
    not_spend_rows: int = 0
    credit_rows: int = 0
    months_without_payments: list[tuple[int, int]] = field(default_factory=list)
    suppliers_paid: set[str] = field(default_factory=set)

    @property
    def spend_rows(self) -> int:
        return sum(self.spend_rows_by_fy.values())

    @property
    def total_pence(self) -> int:
        return sum(self.spend_pence_by_fy.values())


def expected_totals(
    cfg: GeneratorConfig | None = None, suppliers: Sequence[Supplier] | None = None
) -> ExpectedTotals:
    """The ledger's totals for this config, from the generated payments themselves."""
    cfg = cfg or GeneratorConfig()
    suppliers = suppliers if suppliers is not None else build_suppliers(cfg)
    weights = _Weights(len(suppliers))
    totals = ExpectedTotals()
    seen_months: set[tuple[int, int]] = set()
    for plan in plan_extracts(cfg):
        if not plan.primary:
            continue
        no_address = "no_address" in plan.quirks
        for year, month in plan.months:
            if (year, month) in seen_months:
                continue
            seen_months.add((year, month))
            fy = financial_year_of(dt.date(year, month, 1))
            count = 0
            for p in month_payments(cfg, suppliers, weights, year, month):
                count += 1
                if not p.is_spend:
                    totals.not_spend_rows += 1
                    continue
                site = suppliers[p.supplier].sites[p.site]
                totals.spend_pence_by_fy[fy] = totals.spend_pence_by_fy.get(fy, 0) + p.pence
                totals.spend_rows_by_fy[fy] = totals.spend_rows_by_fy.get(fy, 0) + 1
                totals.credit_rows += p.pence < 0
                totals.suppliers_paid.add(suppliers[p.supplier].number)
                if no_address or not site.district:
                    bucket = totals.unknown_locality_pence_by_fy
                    bucket[fy] = bucket.get(fy, 0) + p.pence
                elif site.locality == "home":
                    totals.home_pence_by_fy[fy] = totals.home_pence_by_fy.get(fy, 0) + p.pence
            if count == 0 and dt.date(year, month, 1) <= cfg.end_date:
                totals.months_without_payments.append((year, month))
    return totals


# ---------------------------------------------------------------------------
# One big R12 file, for the benchmark
# ---------------------------------------------------------------------------


def write_r12_benchmark_csv(
    path: Path | str,
    rows: int = 1_000_000,
    seed: int = 1,
    fy: int = 2021,
    month: tuple[int, int] | None = None,
) -> ExpectedTotals:
    """A single R12 extract of about ``rows`` payments over one financial year, or over one
    ``month`` (year, month) of it: a council's monthly file.

    Windows-1252, DD-MON-YY dates, thousands separators, messy postcodes: the
    common R12 shape. Streams: memory does not grow with ``rows``.
    """
    cfg = GeneratorConfig(
        seed=seed,
        first_fy=fy,
        years=1,
        as_of=dt.date(fy + 1, 3, 31),
        # March is 1.3 times a usual month
        payments_per_month=max(1, rows if month else rows * 10 // 123),
        missing_months=(),
    )
    plan = ExtractPlan(
        Path(path).name,
        "r12",
        "csv",
        (month,) if month else tuple(fy_months(fy)),
        frozenset({"cp1252", "thousands", "two_digit_year", "messy_postcodes"}),
    )
    suppliers = build_suppliers(cfg)
    weights = _Weights(len(suppliers))
    totals = ExpectedTotals()

    def count(p: GenPayment) -> None:  # totals from the payments as they are written
        if p.is_spend:
            totals.spend_pence_by_fy[fy] = totals.spend_pence_by_fy.get(fy, 0) + p.pence
            totals.spend_rows_by_fy[fy] = totals.spend_rows_by_fy.get(fy, 0) + 1
        else:
            totals.not_spend_rows += 1

    with open(path, "w", encoding="cp1252", errors="replace", newline="", buffering=1 << 20) as f:
        _write_csv(f, plan, cfg, suppliers, weights, ",", count)
    return totals
