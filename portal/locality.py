"""Where a supplier is: postcode → postcode district → local authority district → class.

The API is deliberately small; the spend ledger and the contract register both use it:

- ``classify_postcode(postcode) -> LocalityClass``: "home" (the home area's districts),
  "region" (the rest of its region), "uk" (anywhere else the lookup knows) or
  "unknown" (blank, malformed or a district the lookup does not hold).
- ``home_area() -> HomeAreaNow``: the home area as ``portal.HomeArea`` and
  ``HomeAreaDistrict`` hold it (an administrator edits it on the Home area page; the settings
  HOME_AREA_DISTRICTS and HOME_REGION are only its first value).
- ``normalise_postcode(text) -> str``: "pr7  1dp" → "PR7 1DP"; a bare district stays a
  district ("pr7" → "PR7"); anything that is not a UK postcode shape → "".
- ``postcode_district(text) -> str``: the outward code ("PR7"), or "".
- ``district_area(district) -> DistrictArea | None``: the local authority and region.

The lookup is ``fixtures/postcode_districts.csv`` (district, local_authority, region), a
compact copy of Doogal's postcode district table (derived from the ONS Postcode Directory:
contains OS data © Crown copyright and database right; Royal Mail data © Royal Mail
copyright and database right; ONS data © Crown copyright, Open Government Licence v3.0).
Each district has one local authority even where the real district straddles two, so the
class is approximate; a full postcode lookup (ONSPD) can replace the file with the same
columns. The file is read once per process and kept in memory. It is the one source: the
ledger's SQL joins ``spend_postcodedistrict``, which spend reloads from ``districts()``
after every migrate (``spend.services.postcode_districts_sync``), never editing it otherwise.

The home area is data, read by the ledger's SQL (spend.ingest.load.LOCALITY_CASE, its twin)
and by this module alike. This process keeps a copy and asks the table for its version at most
every HOME_AREA_RECHECK_SECONDS (one small query), so a change reaches every process within
seconds and no page pays a query per postcode; the change itself drops this process's copy at
once (``home_area_forget``).
"""

import csv
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path

from django.conf import settings
from django.db import connection

LOOKUP_FILE = Path(settings.BASE_DIR) / "fixtures" / "postcode_districts.csv"

HOME_AREA_RECHECK_SECONDS = 2.0

_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_INWARD = re.compile(r"^[0-9][A-Z]{2}$")


class LocalityClass(StrEnum):
    HOME = "home"
    REGION = "region"
    UK = "uk"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return LOCALITY_LABELS[self]


LOCALITY_LABELS = {
    LocalityClass.HOME: "Home area",
    LocalityClass.REGION: "Rest of region",
    LocalityClass.UK: "Rest of UK",
    LocalityClass.UNKNOWN: "Unknown",
}


def place_names() -> dict[str, str]:
    """The council's own names for its home area and region (settings), as pages, exports
    and reports say them: "a Lancashire address", "the rest of the North West"."""
    return {
        "home": settings.COUNCIL_SHORT_NAME,
        "home_address": f"a {settings.COUNCIL_SHORT_NAME} address",
        "region": f"the {settings.HOME_REGION}",
        # By locality class, for tables that name each.
        "home_class": settings.COUNCIL_SHORT_NAME,
        "region_class": f"Rest of the {settings.HOME_REGION}",
        "uk_class": "Rest of the UK",
        "unknown_class": "Not known",
    }


@dataclass(frozen=True)
class DistrictArea:
    local_authority: str
    region: str


def normalise_postcode(text: str | None) -> str:
    """A UK postcode in its standard form, a bare district, or "" if it is neither."""
    compact = re.sub(r"\s+", "", (text or "").upper())
    if len(compact) >= 5 and _INWARD.match(compact[-3:]) and _OUTWARD.match(compact[:-3]):
        return f"{compact[:-3]} {compact[-3:]}"
    if _OUTWARD.match(compact):
        return compact
    return ""


def postcode_district(text: str | None) -> str:
    return normalise_postcode(text).split(" ")[0]


@lru_cache(maxsize=1)
def _lookup() -> dict[str, DistrictArea]:
    with LOOKUP_FILE.open(newline="", encoding="utf-8") as handle:
        return {
            row["district"]: DistrictArea(row["local_authority"], row["region"])
            for row in csv.DictReader(handle)
        }


def districts() -> dict[str, DistrictArea]:
    """The whole lookup, district → area: what spend's table is kept equal to."""
    return dict(_lookup())


def district_area(district: str) -> DistrictArea | None:
    return _lookup().get(district.strip().upper())


@dataclass(frozen=True)
class HomeAreaNow:
    version: int
    region: str
    local_authorities: tuple[str, ...]

    @cached_property
    def _home_keys(self) -> frozenset[str]:
        return frozenset(name.strip().casefold() for name in self.local_authorities)

    def is_home(self, local_authority: str) -> bool:
        return local_authority.casefold() in self._home_keys

    def is_region(self, region: str) -> bool:
        return bool(region) and region.casefold() == self.region.strip().casefold()


_home: HomeAreaNow | None = None
_home_checked_at = 0.0


def _home_area_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM portal_homearea WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _home_area_read() -> HomeAreaNow:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce((SELECT version FROM portal_homearea WHERE id = 1), 0), "
            "coalesce((SELECT region FROM portal_homearea WHERE id = 1), ''), "
            "coalesce((SELECT array_agg(local_authority ORDER BY local_authority) "
            "FROM portal_homeareadistrict), '{}')"
        )
        version, region, names = cursor.fetchone()
    return HomeAreaNow(int(version), region, tuple(names))


def home_area() -> HomeAreaNow:
    """The home area now: this process's copy, checked against the table's version at most
    every HOME_AREA_RECHECK_SECONDS."""
    global _home, _home_checked_at
    now = time.monotonic()
    if _home is not None and now - _home_checked_at < HOME_AREA_RECHECK_SECONDS:
        return _home
    if _home is None or _home_area_version() != _home.version:
        _home = _home_area_read()
    _home_checked_at = now
    return _home


def home_area_forget() -> None:
    """Drop this process's copy (after a change, and between tests' rolled-back writes)."""
    global _home
    _home = None


def local_authorities() -> list[str]:
    """Every local authority district the lookup knows, sorted: what the home area can hold."""
    return sorted({area.local_authority for area in _lookup().values() if area.local_authority})


def regions() -> list[str]:
    return sorted({area.region for area in _lookup().values() if area.region})


def classify_postcode(postcode: str | None, area: HomeAreaNow | None = None) -> LocalityClass:
    """The locality class of a postcode (or a bare postcode district); ``area`` lets a loop
    classify many postcodes against one reading of the home area."""
    district = postcode_district(postcode)
    place = district_area(district) if district else None
    if place is None or not place.local_authority:
        return LocalityClass.UNKNOWN
    home = area or home_area()
    if home.is_home(place.local_authority):
        return LocalityClass.HOME
    if home.is_region(place.region):
        return LocalityClass.REGION
    return LocalityClass.UK
