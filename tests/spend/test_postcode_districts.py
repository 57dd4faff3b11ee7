"""One postcode-district lookup (issue 21): the ledger's table is the file portal.locality
reads, reloaded after every migrate, so SQL and Python cannot classify a district apart."""

import pytest
from django.core.management.sql import emit_post_migrate_signal

from portal import locality
from spend import services
from spend.models import PostcodeDistrict

pytestmark = pytest.mark.django_db


def _table() -> dict[str, tuple[str, str]]:
    return {p.district: (p.local_authority, p.region) for p in PostcodeDistrict.objects.all()}


def _lookup() -> dict[str, tuple[str, str]]:
    return {d: (a.local_authority, a.region) for d, a in locality.districts().items()}


def test_the_ledgers_table_holds_exactly_the_lookup() -> None:
    assert len(_lookup()) > 3000
    assert _table() == _lookup()


def test_a_table_edited_by_hand_is_put_back_by_the_next_migrate() -> None:
    preston = PostcodeDistrict.objects.get(district="PR1")
    preston.local_authority, preston.region = "Leeds", "Yorkshire and The Humber"
    preston.save()
    PostcodeDistrict.objects.filter(district="LS1").delete()
    PostcodeDistrict.objects.create(district="ZZ9", local_authority="Nowhere", region="Nowhere")
    assert _table() != _lookup()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert _table() == _lookup()
    assert _table()["PR1"] == ("Preston", "North West")
    assert "ZZ9" not in _table()


def test_a_table_equal_to_the_lookup_is_seen_so_by_one_checksum() -> None:
    # The quick check after every flush of a test database: if the two checksums were written
    # differently, every sync would fall back to reading the 3,115 rows.
    assert services._postcode_districts_checksum("default") == services._districts_checksum(
        _lookup()
    )
    assert services.postcode_districts_sync() == 0
    PostcodeDistrict.objects.filter(district="PR1").update(region="North East")
    assert services._postcode_districts_checksum("default") != services._districts_checksum(
        _lookup()
    )
    assert services.postcode_districts_sync() == 1
