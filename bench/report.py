"""Committee report benchmark: the PDF for a year with ten years of payments in the ledger.

    .venv/bin/python bench/report.py                    # 10,000,000 payments (issue 8 target)
    .venv/bin/python bench/report.py --rows 2000000     # quicker

Loads the ledger the way bench/dashboards.py does (suppliers by the ORM, payments straight in
SQL, summaries rebuilt), then times ``reports.committee.render_committee_report`` for the last
complete financial year: once cold (empty cache) and once warm, and reads the PDF back to
count its pages; then finalises an edition of that year (cold cache), which gathers, freezes
and stores its figures and PDF. Uses its own database (dropped afterwards unless --keep).

Target (issue 8): under 30 s with 10,000,000 payment rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.dashboards import _env, create_database, drop_database, load  # noqa: E402
from portal.periods import financial_year_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="portal_bench_report")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    env = _env(f"{args.server}/{args.database}", args.redis)
    os.environ.update(env)
    today = dt.datetime.now(tz=dt.UTC).date()
    current_fy = financial_year_of(today)
    first_fy = current_fy - args.years
    print(f"Creating {args.database}, loading {args.rows:,} payments…", flush=True)
    create_database(args.server, args.database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
    )
    for name, value in load(args.rows, args.suppliers, args.years, first_fy).items():
        print(f"  {name}: {value:,.1f}", flush=True)

    import redis
    from pypdf import PdfReader

    from reports.committee import render_committee_report

    fy = current_fy - 1
    redis.Redis.from_url(args.redis).flushdb()
    started = time.perf_counter()
    pdf = render_committee_report(fy)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    render_committee_report(fy)
    warm = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(
        f"\ncommittee report {fy}/{(fy + 1) % 100:02d} with {args.rows:,} payments: "
        f"cold {cold:.1f} s, warm {warm:.1f} s, {pages} pages, {len(pdf):,} bytes "
        f"(target < 30 s)"
    )
    # An edition for a meeting, finalised: the figures gathered, rendered, frozen and stored.
    from reports import services as report_services

    edition = report_services.edition_create(
        fy=fy, committee_name="Bench committee", meeting_date=today, user=None
    )
    report_services.edition_save(
        edition=edition,
        fields={"report_of": "Bench"},
        narrative={"introduction": "# Bench\n- one\n- two", "key-spend": "Text."},
    )
    redis.Redis.from_url(args.redis).flushdb()
    started = time.perf_counter()
    final = report_services.edition_finalise(edition_id=edition.pk, user=None)
    finalised = time.perf_counter() - started
    size = final.pdf.size
    print(f"edition finalised (figures, frozen JSON and PDF): {finalised:.1f} s, {size:,} bytes")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
