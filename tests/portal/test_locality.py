"""Postcode → district → local authority → locality class (portal/locality.py)."""

import csv

import pytest
from django.test import override_settings

from portal import services
from portal.locality import (
    LOOKUP_FILE,
    LocalityClass,
    classify_postcode,
    district_area,
    normalise_postcode,
    postcode_district,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pr7  1dp", "PR7 1DP"),
        (" PR7 1DP ", "PR7 1DP"),
        ("SK13XE", "SK1 3XE"),
        ("sw1a2aa", "SW1A 2AA"),
        ("pr7", "PR7"),
        ("", ""),
        (None, ""),
        ("not a postcode", ""),
        ("12345", ""),
    ],
)
def test_postcodes_are_normalised(text: str | None, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("PR1 2HE", LocalityClass.HOME),  # Preston
        ("LA1 1QS", LocalityClass.HOME),  # Lancaster
        ("L39 2DE", LocalityClass.HOME),  # Ormskirk is West Lancashire, not Merseyside
        ("OL13 0AA", LocalityClass.HOME),  # Bacup: Rossendale
        ("BB2 1AA", LocalityClass.REGION),  # Blackburn with Darwen: not one of the 12
        ("BB0 1AA", LocalityClass.REGION),  # spelt "Blackburn" in the source; corrected
        ("FY1 1AA", LocalityClass.REGION),  # Blackpool
        ("PR8 1AA", LocalityClass.REGION),  # Southport: Sefton
        ("M1 1AE", LocalityClass.REGION),
        ("CA1 1RR", LocalityClass.REGION),
        ("LS1 4DY", LocalityClass.UK),
        ("CF10 1EP", LocalityClass.UK),
        ("G1 1XQ", LocalityClass.UK),
        ("ZZ9 9ZZ", LocalityClass.UNKNOWN),  # well-formed, no such district
        ("", LocalityClass.UNKNOWN),
        ("75008 Paris", LocalityClass.UNKNOWN),
    ],
)
@pytest.mark.django_db
def test_classes(postcode: str, expected: LocalityClass) -> None:
    assert classify_postcode(postcode) == expected


@pytest.mark.django_db
def test_home_area_and_region_come_from_the_home_area_table() -> None:
    services.home_area_set(
        region="Yorkshire and The Humber", local_authorities=["Leeds", "Bradford"]
    )
    assert classify_postcode("LS1 4DY") == LocalityClass.HOME
    assert classify_postcode("YO1 7HH") == LocalityClass.REGION
    assert classify_postcode("PR1 2HE") == LocalityClass.UK
    with override_settings(HOME_AREA_DISTRICTS=["Preston"], HOME_REGION="North West"):
        assert classify_postcode("PR1 2HE") == LocalityClass.UK  # settings: the first value only


def test_labels_and_values_are_fixed() -> None:
    assert [c.value for c in LocalityClass] == ["home", "region", "uk", "unknown"]
    assert LocalityClass.REGION.label == "Rest of region"
    assert postcode_district("pr7 1dp") == "PR7"
    area = district_area("PR7")
    assert area is not None
    assert area.local_authority == "Chorley"
    assert area.region == "North West"


def test_the_compact_lookup_matches_the_source_table(data_dir) -> None:
    """fixtures/postcode_districts.csv is the real table, names trimmed, nothing lost."""
    assert LOOKUP_FILE.stat().st_size < 300_000
    source = data_dir / "postcode_districts" / "postcode_districts_doogal.csv"
    with source.open(newline="", encoding="utf-8") as handle:
        original = {row["Postcode"]: row for row in csv.DictReader(handle)}
    with LOOKUP_FILE.open(newline="", encoding="utf-8") as handle:
        compact = {row["district"]: row for row in csv.DictReader(handle)}
    assert compact.keys() == original.keys()
    for district, row in original.items():
        authority = row["Region"].strip()
        expected = "Blackburn with Darwen" if authority == "Blackburn" else authority
        assert compact[district]["local_authority"] == expected
        assert compact[district]["region"] == row["UK region"].strip()
