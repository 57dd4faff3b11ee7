"""Where a supplier is: postcode → postcode district → local authority district → class.

The API is deliberately small; the spend ledger and the contract register both use it:

- ``classify_postcode(postcode) -> LocalityClass``: "home" (settings.HOME_AREA_DISTRICTS),
  "region" (the rest of settings.HOME_REGION), "uk" (anywhere else the lookup knows) or
  "unknown" (blank, malformed or a district the lookup does not hold).
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
columns. The file is read once per process and kept in memory; the home area and region are
read from settings on every call, so changing them needs no restart.
"""

import csv
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from django.conf import settings

LOOKUP_FILE = Path(settings.BASE_DIR) / "fixtures" / "postcode_districts.csv"

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


def district_area(district: str) -> DistrictArea | None:
    return _lookup().get(district.strip().upper())


def classify_postcode(postcode: str | None) -> LocalityClass:
    """The locality class of a postcode (or a bare postcode district)."""
    district = postcode_district(postcode)
    area = district_area(district) if district else None
    if area is None or not area.local_authority:
        return LocalityClass.UNKNOWN
    home = {name.strip().casefold() for name in settings.HOME_AREA_DISTRICTS}
    if area.local_authority.casefold() in home:
        return LocalityClass.HOME
    if area.region and area.region.casefold() == str(settings.HOME_REGION).strip().casefold():
        return LocalityClass.REGION
    return LocalityClass.UK
