"""How fast the spend parser reads a 1M-row Oracle R12 extract, and in how much memory.

    .venv/bin/python bench/parse_only.py [--rows 1000000] [--file /tmp/r12_1m.csv] [--keep]

Generates the extract (Windows-1252, DD-MON-YY, thousands separators, messy
postcodes) unless --file already exists, then times only the iteration of
``iter_payments``: no database. Peak memory is the process's maximum resident set
size from ``resource.getrusage`` (kilobytes on Linux).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.extracts import write_r12_benchmark_csv
from spend.ingest.parse import iter_payments


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--file", type=Path, default=Path(tempfile.gettempdir()) / "spend_bench_r12_1m.csv"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args()

    expected_pence = None
    if not args.file.exists():
        started = time.perf_counter()
        expected = write_r12_benchmark_csv(args.file, rows=args.rows)
        expected_pence = expected.total_pence
        print(f"generated {args.file} in {time.perf_counter() - started:.1f}s")
    size_mb = args.file.stat().st_size / 1024**2
    rss_before = peak_rss_mb()

    started = time.perf_counter()
    header, payments = iter_payments(args.file, args.file.name)
    rows = 0
    spend_pence = 0
    for payment in payments:
        rows += 1
        if payment.is_spend:
            spend_pence += payment.amount_pence
    elapsed = time.perf_counter() - started

    print(f"file: {size_mb:.0f} MB, layout {header.layout}, encoding {header.encoding}")
    print(f"rows: {rows:,} payments, {header.skipped_rows} skipped")
    print(f"time: {elapsed:.2f}s  ->  {rows / elapsed:,.0f} rows/s")
    print(f"peak RSS: {peak_rss_mb():.1f} MB (before parsing: {rss_before:.1f} MB)")
    if expected_pence is not None:
        status = "matches" if expected_pence == spend_pence else "DIFFERS FROM"
        print(f"spend total {spend_pence} pence {status} the generator's {expected_pence}")
    if not args.keep and expected_pence is not None:
        args.file.unlink()


if __name__ == "__main__":
    main()
