"""A file much larger than the ledger is loaded with spend_payment's secondary indexes dropped
and built again before it commits (decision 0009): the ledger must come out exactly as the
ordinary, indexed load leaves it, for files with every quirk of the formats document, and
the indexes must be there afterwards, as they were, whether the file loaded or not."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from spend import services
from spend.ingest import load
from spend.models import Payment
from tests.spend.test_ingest_chunks import (
    CHUNK_BYTES,
    extracts,  # noqa: F401  (the fixture)
    import_all,
    in_one_process,
    ledger_snapshot,
)
from tests.spend.test_ingest_quirks import R12_HEADER, r12_row

pytestmark = pytest.mark.django_db

REBUILT = "rebuild indexes took"


def payment_indexes() -> list[tuple[str, str, bool]]:
    """Every index of spend_payment: name, definition, and whether it is usable."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid AND i.indisready
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'spend_payment'::regclass ORDER BY c.relname
            """
        )
        return list(cursor.fetchall())


@pytest.fixture
def always_set_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file takes the path, whatever the ledger holds (overlaps and voids too)."""
    monkeypatch.setattr(load._IndexesSetAside, "wanted", staticmethod(lambda cursor, rows: True))


@pytest.mark.parametrize("workers", [0, 2])
def test_loading_with_the_indexes_set_aside_gives_the_ledger_of_the_indexed_load(
    extracts: list[Path],  # noqa: F811
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
    workers: int,
) -> None:
    settings.SPEND_IMPORT_INDEX_REBUILD_ROWS = 0
    expected = in_one_process(extracts, settings)
    before = payment_indexes()
    assert len(before) >= 6  # the primary key, the natural key and the secondary ones

    request.getfixturevalue("always_set_aside")
    settings.SPEND_IMPORT_WORKERS = workers
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES
    with caplog.at_level(logging.DEBUG, logger="spend.ingest.load"):
        got = import_all(extracts)
    assert caplog.text.count(REBUILT) == len(extracts)
    assert got["batches"] == expected["batches"]
    assert got["payments"] == expected["payments"]
    assert got["suppliers"] == expected["suppliers"]
    assert got["sites"] == expected["sites"]
    assert got["summary"] == expected["summary"]
    assert Payment.objects.filter(is_spend=False).exists()  # voids, some voided later
    assert payment_indexes() == before

    # The same rows again in other bytes: all already in the ledger, nothing added.
    again = extracts[0].with_name("again.csv")
    again.write_bytes(extracts[0].read_bytes() + b"\r\n")
    [batch] = services.import_paths(paths=[again])
    assert batch.status == "loaded"
    assert batch.rows_added == 0
    assert ledger_snapshot()["summary"] == got["summary"]
    assert payment_indexes() == before


def test_a_refused_file_leaves_the_indexes_and_the_ledger_as_they_were(
    tmp_path: Path, settings: Any, always_set_aside: None
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("\n".join([R12_HEADER] + [r12_row(n) for n in range(1, 50)]) + "\n")
    services.import_paths(paths=[good])
    held = ledger_snapshot()
    before = payment_indexes()

    lines = [R12_HEADER] + [r12_row(n, f"{n}.00") for n in range(100, 3000)]
    lines[2500] = r12_row(2599, "12.3.4")
    bad = tmp_path / "bad_amount.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="cp1252")
    settings.SPEND_IMPORT_WORKERS = 2
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES
    [batch] = services.import_paths(paths=[bad])
    assert batch.status == "rejected"
    assert batch.error_line == 2501
    assert batch.error_column == "AMOUNT"
    after = ledger_snapshot()
    assert after["payments"] == held["payments"]
    assert after["summary"] == held["summary"]
    assert payment_indexes() == before


def test_the_indexes_are_set_aside_only_for_a_big_file_into_a_ledger_small_beside_it(
    tmp_path: Path, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SPEND_IMPORT_INDEX_REBUILD_ROWS = 100
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        assert load._IndexesSetAside.wanted(cursor, 100)  # an empty ledger
        assert not load._IndexesSetAside.wanted(cursor, 99)  # too small a file to bother

    path = tmp_path / "first.csv"
    path.write_text("\n".join([R12_HEADER] + [r12_row(n) for n in range(1, 301)]) + "\n")
    with caplog.at_level(logging.DEBUG, logger="spend.ingest.load"):
        services.import_paths(paths=[path])
    assert REBUILT in caplog.text  # about 300 rows into an empty ledger
    held = Payment.objects.count()
    assert held == 300
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        assert load._IndexesSetAside.wanted(cursor, 2 * held + 2)
        assert not load._IndexesSetAside.wanted(cursor, 2 * held)
        settings.SPEND_IMPORT_INDEX_REBUILD_ROWS = 0
        assert not load._IndexesSetAside.wanted(cursor, 100 * held)

    settings.SPEND_IMPORT_INDEX_REBUILD_ROWS = 100
    caplog.clear()
    more = tmp_path / "more.csv"
    more.write_text("\n".join([R12_HEADER] + [r12_row(n) for n in range(301, 551)]) + "\n")
    with caplog.at_level(logging.DEBUG, logger="spend.ingest.load"):
        [batch] = services.import_paths(paths=[more])
    assert batch.rows_added == 250
    assert REBUILT not in caplog.text  # 250 rows into 300: the indexed insert
