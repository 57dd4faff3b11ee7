"""What an import pays besides its rows (decision 0009): new statistics on suppliers and sites
only when the file has added enough of them, and processes that start without libraries a
CSV import never uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from spend.ingest.load import analyse_due


@pytest.mark.parametrize(
    ("added", "counted", "due"),
    [
        (0, 0, False),  # nothing new: nothing to count
        (1, 0, True),  # tables counted empty (or never): the planner must not go on thinking so
        (1, -1, True),
        (999, 5_000, False),  # at least a thousand
        (1_000, 5_000, True),
        (9_999, 100_000, False),  # and a tenth of what was counted
        (10_000, 100_000, True),
        (10_001, 100_000, True),
    ],
)
def test_statistics_are_taken_again_when_the_file_has_added_enough(
    added: int, counted: int, due: bool
) -> None:
    assert analyse_due(added, counted) is due


def modules_loaded(imports: str, settings_module: str | None) -> list[str]:
    """The modules a fresh Python process holds after running ``imports`` in the project."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; {imports}; print(' '.join(sorted(sys.modules)))"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_a_parsing_process_starts_without_celery_or_the_orm() -> None:
    # What `python -m spend.ingest.chunks` imports before its first part: the parser, the
    # staging code and psycopg. Celery (via portal/__init__.py) and the ORM (via portal.money)
    # took it from 0.15 s to 0.40 s to start, paid again by every file of a command.
    loaded = modules_loaded("import psycopg, spend.ingest.chunks, spend.ingest.staging", None)
    assert "spend.ingest.parse" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in {"celery", "kombu"} or m == "django.db.models"]
    assert heavy == []


def test_a_command_starts_without_the_workbook_and_schema_libraries() -> None:
    # Every process (manage.py import_spend, a Celery worker) imports each app's services at
    # start (PortalConfig.ready); openpyxl and jsonschema took a sixth of a second of that
    # and a CSV import never uses them: they load where a workbook or framework is read.
    loaded = modules_loaded("import django; django.setup()", "portal.settings.test")
    assert "spend.services" in loaded
    assert [m for m in loaded if m.split(".")[0] in {"openpyxl", "jsonschema"}] == []


@pytest.mark.django_db
def test_adding_to_the_summary_rows_rewrites_them_where_they_are() -> None:
    # A file whose months the ledger holds adds to summary rows it already has (ADD_FILE_SUMS'
    # ON CONFLICT ... DO UPDATE). On pages filled to the brim each new row version moves to
    # another page and all three indexes get an entry for it; with room left on the page
    # (migration spend 0015) it is a heap-only update and no index is touched.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO spend_spendsummary (financial_year, month, supplier_id, locality_class,
                                            category_id, total_pence, payment_count)
            SELECT 2024, date '2024-04-01', n, 'home', NULL, 100, 1
            FROM generate_series(1, 3000) n
            """
        )
        cursor.execute("SELECT count(DISTINCT (ctid::text::point)[0]) FROM spend_spendsummary")
        pages = cursor.fetchone()[0]
        assert pages >= 10  # enough pages for "full" to mean something
        # One row on every page, as a year's file adds to rows all over the table.
        cursor.execute(
            """
            UPDATE spend_spendsummary SET total_pence = total_pence + 1, payment_count = 2
            WHERE id IN (SELECT DISTINCT ON ((ctid::text::point)[0]) id FROM spend_spendsummary
                         ORDER BY (ctid::text::point)[0], id)
            """
        )
        updated = cursor.rowcount
        cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated('spend_spendsummary'::regclass)")
        assert (updated, cursor.fetchone()[0]) == (pages, pages)
