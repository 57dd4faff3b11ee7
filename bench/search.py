"""Site search benchmark: invoice and payment number look-ups and the search page on a large
ledger.

    nice -n 15 .venv/bin/python bench/search.py --rows 1000000
    nice -n 15 .venv/bin/python bench/search.py            # 10,000,000 rows

1. Creates its own database (``--database``, default portal_bench_search), migrates it and
   loads ``--rows`` payments with the dashboards bench's loader (``bench/dashboards.py``:
   invoice numbers ``INV<n>``, payment numbers ``PAY<n/2>``).
2. Times ``spend.selectors.payments_by_number`` for an exact invoice number, the same typed
   in lower case, a payment number and a prefix, ``--queries`` random numbers each, and the
   whole search page (``/search/?q=…``, suppliers and contracts too) as a signed-in officer.
3. Prints p50/p95 per look-up and the query plan of the exact match, then drops the database
   (unless ``--keep``).

Target (issue 19): "has invoice X been paid?" answered in well under a second at 10M
payments: an index scan, not a sequential scan.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.dashboards import _env, create_database, drop_database, load  # noqa: E402
from portal.periods import financial_year_of  # noqa: E402  (after the path is set)


def _times(run: Callable[[str], object], texts: list[str]) -> tuple[float, float]:
    seconds = []
    for text in texts:
        started = time.perf_counter()
        run(text)
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return statistics.median(seconds), seconds[max(0, int(len(seconds) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="portal_bench_search")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()
    env = _env(f"{args.server}/{args.database}", args.redis)
    os.environ.update(env)
    import datetime as dt

    today = dt.datetime.now(tz=dt.UTC).date()
    first_fy = financial_year_of(today) - 10
    if not args.reuse:
        print(f"Creating {args.database} and migrating…", flush=True)
        create_database(args.server, args.database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
        )
        print(f"Loading {args.rows:,} payments…", flush=True)
        for name, seconds in load(args.rows, 20_000, 10, first_fy).items():
            print(f"  {name}: {seconds:,.1f}" + ("" if name == "summary rows" else " s"))
    import django

    django.setup()
    from django.test import Client

    from portal import services
    from portal.roles import Role
    from spend.models import Payment
    from spend.selectors import payments_by_number

    rng = random.Random(19)
    picks = [rng.randint(1, args.rows) for _ in range(args.queries)]
    lookups = {
        "exact invoice number": [f"INV{n}" for n in picks],
        "invoice number in lower case": [f"inv{n}" for n in picks],
        "payment number": [f"PAY{n // 2}" for n in picks],
        "prefix (INV + 4 digits)": [f"INV{str(n)[:4]}" for n in picks],
    }
    print(f"\n{Payment.objects.count():,} payments; {args.queries} look-ups each")
    for name, texts in lookups.items():
        p50, p95 = _times(payments_by_number, texts)
        print(f"  {name:32} p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    found = payments_by_number(lookups["exact invoice number"][0])
    print(f"  (first exact look-up found {len(found.exact_invoice)} payment(s))")

    user = services.user_create(
        email=f"bench-{time.time_ns()}@example.gov.uk",
        role=Role.PROCUREMENT_OFFICER,
        password="bench-password-long-enough",  # noqa: S106 - a throwaway bench database
        full_name="Bench",
    )
    client = Client()
    client.force_login(user)

    def page(text: str) -> None:
        response = client.get("/search/", {"q": text}, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, response.status_code

    p50, p95 = _times(page, lookups["exact invoice number"])
    print(f"  {'search page (all kinds)':32} p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    exact = Payment.objects.exclude(invoice_number="").filter(invoice_number__in=["INV1"])
    print("\nPlan of the exact match:\n" + exact.explain(analyze=True))
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
