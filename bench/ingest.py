"""Import benchmark: a 1,000,000-row R12 extract, against the floor of a bare `psql \\copy`.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--file /tmp/r12_1m.csv] [--keep]

Reports, in one run on the same file and a database of its own (dropped afterwards):

- floor: `psql \\copy` of the file into an unindexed all-text table;
- full import: `manage.py import_spend` (parse, COPY, suppliers, sites, locality, merge by
  natural key, summaries), with rows per second and peak memory (the largest of the command
  and the chunk processes it starts);
- for scale, the INSERT of the imported rows into a copy of the payments table with its
  indexes, in one statement: no import can add the rows in less;
- re-import of the same file (recognised by its SHA-256: nothing to do);
- re-import of the same rows in a file with different bytes (the whole merge runs and adds
  nothing): the overlap case.

Uses PostgreSQL at DATABASE_URL's server (default 127.0.0.1:5432) and `psql` on PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.common import database_url, psql, timed_child  # noqa: E402

FLOOR_TABLE = """
CREATE TABLE bench_floor (
  org_id text, invoice_id text, invoice_num text, invoice_date text, vendor_num text,
  vendor_name text, vendor_site_code text, address_line1 text, city text, zip text,
  check_number text, check_date text, status_lookup_code text, invoice_payment_id text,
  dist_line_num text, amount text, currency_code text, cost_centre text, account text,
  account_description text, description text)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--file", type=Path, default=Path(tempfile.gettempdir()) / "spend_bench_r12_1m.csv"
    )
    parser.add_argument("--keep", action="store_true", help="keep the file and the database")
    args = parser.parse_args()

    from demo.extracts import write_r12_benchmark_csv

    if not args.file.exists():
        print(f"generating {args.rows:,} rows into {args.file} ...", flush=True)
        write_r12_benchmark_csv(args.file, rows=args.rows)
    with args.file.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    size_mb = args.file.stat().st_size / 1024**2
    print(
        f"file: {args.file} ({rows:,} lines after the header, {size_mb:,.0f} MB); "
        f"{os.cpu_count()} CPUs, SPEND_IMPORT_WORKERS="
        f"{os.environ.get('SPEND_IMPORT_WORKERS', 'default (one fewer than the CPUs)')}"
    )

    name = "portal_bench_ingest"
    admin_url = database_url("postgres")
    psql(admin_url, "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}")
    url = database_url(name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
    }
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], env=env, cwd=BASE_DIR, check=True
        )
        psql(url, "-c", FLOOR_TABLE)
        started = time.perf_counter()
        psql(
            url,
            "-c",
            f"\\copy bench_floor FROM '{args.file}' "
            "WITH (FORMAT csv, HEADER true, ENCODING 'WIN1252')",
        )
        floor = time.perf_counter() - started
        psql(url, "-c", "DROP TABLE bench_floor")

        command = [sys.executable, "manage.py", "import_spend", str(args.file)]
        full, full_peak, full_out = timed_child(command, env)
        ledger_insert = _ledger_insert_seconds(url)
        again, again_peak, again_out = timed_child(command, env)
        copy = args.file.with_name(f"again-{args.file.name}")
        # Streamed: a child forked from a bloated bench process would report the bench's
        # memory as its own peak.
        with args.file.open("rb") as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
            target.write(b"\r\n")
        try:
            overlap, overlap_peak, overlap_out = timed_child(
                [sys.executable, "manage.py", "import_spend", str(copy)], env
            )
        finally:
            copy.unlink()
    finally:
        if not args.keep:
            psql(admin_url, "-c", f"DROP DATABASE IF EXISTS {name}")
    if not args.keep:
        args.file.unlink()

    print(f"  import:  {full_out}")
    print(f"  again:   {again_out}")
    print(f"  overlap: {overlap_out}")
    print()
    print(f"{'step':<44}{'seconds':>9}{'x floor':>9}{'rows/s':>11}{'peak MB':>9}")
    floor_label = "bare psql \\copy (floor)"
    print(f"{floor_label:<44}{floor:>9.1f}{1:>9.2f}{rows / floor:>11,.0f}{'':>9}")
    for label, seconds, peak in (
        ("full import_spend", full, full_peak),
        ("re-import, same file (SHA-256 recognised)", again, again_peak),
        ("re-import, same rows, other bytes (merge)", overlap, overlap_peak),
    ):
        print(
            f"{label:<44}{seconds:>9.1f}{seconds / floor:>9.2f}{rows / seconds:>11,.0f}{peak:>9.0f}"
        )
    print(
        f"{'INSERT alone into a copy of the ledger':<44}{ledger_insert:>9.1f}"
        f"{ledger_insert / floor:>9.2f}{rows / ledger_insert:>11,.0f}{'':>9}"
    )
    print(
        "(the imported rows copied, in one statement, into a table with the payments "
        "table's indexes)"
    )
    print(
        "\ntargets: full import <= 3x floor and >= 100,000 rows/s; re-import <= 1.5x floor; "
        "peak memory < 300 MB"
    )


def _ledger_insert_seconds(url: str) -> float:
    """What adding the imported rows to a table shaped and indexed like ``spend_payment``
    costs by itself: the part of an import that one transaction must do in one process."""
    psql(
        url,
        "-c",
        "CREATE UNLOGGED TABLE bench_rows AS SELECT * FROM spend_payment",
        "-c",
        "CREATE TABLE bench_ledger (LIKE spend_payment INCLUDING ALL)",
    )
    started = time.perf_counter()
    psql(url, "-c", "INSERT INTO bench_ledger SELECT * FROM bench_rows")
    seconds = time.perf_counter() - started
    psql(url, "-c", "DROP TABLE bench_rows, bench_ledger")
    return seconds


if __name__ == "__main__":
    main()
