"""Export benchmark: "Download these payments: CSV" for 1M payments through gunicorn.

    .venv/bin/python bench/exports.py                 # 1,000,000 payments
    .venv/bin/python bench/exports.py --rows 200000

1. Creates its own database (``--database``, default portal_bench_exports), migrates it and
   loads ``--rows`` payments in SQL (bench/dashboards.py's ``load``).
2. Starts gunicorn (one worker, the production WSGI app) and downloads
   ``/spend/payments/?_export=csv`` as a signed-in officer: time to the first byte, total time,
   bytes and rows, and the worker's peak resident memory (VmHWM) before and after.
3. Measures the floor in the same run: a bare ``psql \\copy (select ...) to stdout`` of the same
   rows and columns, in the same order.
4. Prints the figures, then drops the database (unless ``--keep``).

Targets (issue 19): first byte under 1 s, 1M payments under 20 s, memory flat.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.dashboards import (  # noqa: E402  (after the path is set)
    _env,
    create_database,
    drop_database,
    load,
    session_cookie,
)
from portal.periods import financial_year_of  # noqa: E402  (after the path is set)

DEFAULT_DATABASE = "portal_bench_exports"

# The payments CSV's rows in SQL: the same columns, joins, filter (spend only) and order.
FLOOR_SQL = """
select p.payment_date, s.name, p.invoice_number, p.payment_reference, p.cost_centre,
       p.account_description, coalesce(c.name, 'Not categorised'), site.locality_class,
       round(p.amount_pence / 100.0, 2)
from spend_payment p
join spend_supplier s on s.id = p.supplier_id
left join spend_category c on c.id = p.category_id
left join spend_suppliersite site on site.id = p.site_id
where p.is_spend
order by p.payment_date desc
"""


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def download(port: int, cookie: str, path: str) -> tuple[float, float, int, int]:
    """(seconds to the first byte, total seconds, bytes, lines) of one streamed download."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = connection.getresponse()
    assert response.status == 200, response.status
    first = response.read1(65536)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    while chunk := response.read1(1 << 20):
        size += len(chunk)
        lines += chunk.count(b"\n")
    return first_byte, time.perf_counter() - started, size, lines


def floor(database_url: str) -> tuple[float, int]:
    """Seconds and bytes for psql's \\copy of the same rows to stdout."""
    started = time.perf_counter()
    done = subprocess.run(
        ["psql", database_url, "-q", "-c", f"\\copy ({' '.join(FLOOR_SQL.split())}) to stdout "
         "with (format csv, header)"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started, len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()

    database_url = f"{args.server}/{args.database}"
    env = _env(database_url, args.redis)
    os.environ.update(env)
    import datetime as dt

    today = dt.datetime.now(tz=dt.UTC).date()
    current_fy = financial_year_of(today)
    if not args.reuse:
        print(f"Creating {args.database} and migrating…", flush=True)
        create_database(args.server, args.database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
        )
        print(f"Loading {args.rows:,} payments…", flush=True)
        for name, seconds in load(args.rows, args.suppliers, 5, current_fy - 5).items():
            print(f"  {name}: {seconds:,.1f}" + ("" if name == "summary rows" else " s"))
    cookie = session_cookie()
    gunicorn = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application", "-w", "1",
            "-b", f"127.0.0.1:{args.port}", "--timeout", "600", "--log-level", "warning",
        ],
        env=env,
        cwd=BASE_DIR,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=2).request("GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        worker = _worker_pid(gunicorn.pid)
        # One small page first, so the worker's imports are in its memory before measuring.
        download(args.port, cookie, "/spend/payments/?_export=csv&fy=1900")
        before = _rss_mb(worker)
        first_byte, total, size, lines = download(args.port, cookie, "/spend/payments/?_export=csv")
        peak = _peak_rss_mb(worker)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    floor_seconds, floor_bytes = floor(database_url)
    rows = lines - 1
    print(
        f"\nPayments CSV through gunicorn (1 worker), {rows:,} rows, {size / 1e6:,.0f} MB:\n"
        f"  first byte {first_byte:.2f} s, total {total:.1f} s ({rows / total:,.0f} rows/s)\n"
        f"  worker memory {before:,.0f} MB before, peak {peak:,.0f} MB\n"
        f"Floor (psql \\copy of the same rows): {floor_seconds:.1f} s, "
        f"{floor_bytes / 1e6:,.0f} MB; the portal takes {total / floor_seconds:.1f} times as long"
    )
    if not args.keep:
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
