"""Payment duties benchmark: a payments compliance notice and the prompt-payment dashboard on
a large ledger.

    .venv/bin/python bench/payments.py --rows 2000000
    .venv/bin/python bench/payments.py               # 10,000,000 rows (disk- and time-heavy)

1. Creates its own database (``--database``, default portal_bench_pay), migrates it and loads
   ``--rows`` payments over ten financial years with ``bench/dashboards.py``'s loader.
2. Gives the last complete financial year's payments received and due dates (nine in ten;
   the rest fall back to the invoice-date rule), puts the table in date order as imports
   leave a real ledger, adds two scope exclusions, and loads open invoices at each of that
   year's period ends.
3. Times ``notice_figures`` computed afresh for that year's two periods (three runs each,
   the first cold), the dashboard selector uncached, and the notice, dashboard and drill-down
   pages in this process (Django's test client, ``--requests`` each; figures cached after the
   first request until the ledger changes): p50 and p95. Drops the database unless ``--keep``.
   Floors measured in the same run, for a shared machine: one pass (count and sum) over the
   first period's payments beside the notice, and the spend overview page beside the pages
   (p95 printed as a ratio to it).

``--reuse`` on a database another bench kept (``bench/contract_spend.py --keep``) adds the
dates, exclusions and open invoices it lacks, so both benches run on one ledger.

Targets (issue 16): a notice under 5 s on 10M payments; dashboard pages p95 under 250 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.dashboards import _env, create_database, drop_database, load  # noqa: E402
from portal.periods import financial_year_of  # noqa: E402  (after the path is set)

DEFAULT_DATABASE = "portal_bench_pay"

DATES_SQL = """
UPDATE spend_payment
   SET received_date = CASE WHEN id %% 10 = 0 THEN NULL ELSE invoice_date + (id %% 5)::int END,
       due_date = CASE WHEN id %% 10 = 0 THEN NULL ELSE invoice_date + 30 END
 WHERE financial_year = %(fy)s
"""

OPEN_SQL = """
INSERT INTO payments_openinvoice (batch_id, as_at, supplier_number, supplier_name,
    invoice_number, invoice_date, received_date, due_date, amount_pence, disputed, account,
    source_line)
SELECT %(batch)s, %(as_at)s, (100000 + 1 + g %% 20000)::text, 'BENCH', 'OPEN' || g,
       %(as_at)s - (g %% 90), %(as_at)s - (g %% 90) + 2, %(as_at)s - (g %% 90) + 32,
       1000 + g %% 500000, g %% 50 = 0, '5' || lpad((g %% 34)::text, 2, '0') || '00', g
FROM generate_series(1, %(rows)s) AS g
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--open-invoices", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()

    env = _env(f"{args.server}/{args.database}", args.redis)
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ.update(env)
    today = dt.datetime.now(tz=dt.UTC).date()
    current_fy = financial_year_of(today)
    first_fy = current_fy - args.years
    fy = current_fy - 1  # the last complete financial year
    if not args.reuse:
        print(f"Creating {args.database} and migrating…", flush=True)
        create_database(args.server, args.database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
        )
        print(f"Loading {args.rows:,} payments over {args.years} years…", flush=True)
        for name, seconds in load(args.rows, args.suppliers, args.years, first_fy).items():
            print(f"  {name}: {seconds:,.1f}" + ("" if name == "summary rows" else " s"))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from payments import selectors, services
    from payments.models import OpenInvoiceImport
    from payments.periods import period_starting
    from portal import services as portal_services
    from portal.models import User
    from portal.roles import Role
    from spend.models import Category

    periods = [period_starting(dt.date(fy, 4, 1)), period_starting(dt.date(fy, 10, 1))]
    # A database kept by another bench (bench/contract_spend.py --keep) has the ledger but not
    # the payment duties' data: add it once, so one 10M ledger serves both benches.
    if not args.reuse or not OpenInvoiceImport.objects.exists():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(DATES_SQL, {"fy": fy})
            # The loader spreads days at random over the table; a real ledger arrives in date
            # order (an extract a month), so its periods lie together on disk as here.
            cursor.execute("CLUSTER spend_payment USING spend_pay_fy_date")
            cursor.execute("ANALYZE spend_payment")
        print(
            f"  received and due dates for {fy}/{fy + 1 - 2000}: "
            f"{time.perf_counter() - started:,.1f} s"
        )
        services.exclusion_add(
            reason="bench", user=None, category=Category.objects.order_by("pk").first()
        )
        services.exclusion_add(reason="bench", user=None, account_prefix="533")
        for period in periods:
            batch = OpenInvoiceImport.objects.create(
                file_name="bench", sha256="bench", as_at=period.end, status="loaded"
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    OPEN_SQL, {"batch": batch.pk, "as_at": period.end, "rows": args.open_invoices}
                )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM spend_payment")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM spend_payment WHERE payment_date BETWEEN %s AND %s",
            [periods[0].start, periods[-1].end],
        )
        in_year = cursor.fetchone()[0]
    print(f"Ledger: {total:,} payments; {in_year:,} in {fy}/{fy + 1 - 2000}.")

    with connection.cursor() as cursor:
        # The notice's floor: one pass over the period's payments, timed in the same run.
        started = time.perf_counter()
        cursor.execute(
            "SELECT count(*), sum(amount_pence) FROM spend_payment WHERE payment_date "
            "BETWEEN %s AND %s",
            [periods[0].start, periods[0].end],
        )
        cursor.fetchone()
        print(
            f"floor (count and sum of {periods[0].label}'s payments): "
            f"{time.perf_counter() - started:.2f} s"
        )
    for period in periods:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            figures = selectors.notice_figures(period, fresh=True)
            runs.append(time.perf_counter() - started)
        print(
            f"notice_figures {period.label}: "
            + ", ".join(f"{r:.2f} s" for r in runs)
            + f" ({figures.invoices_paid:,} invoice payments, average {figures.average_days}"
            f" days, unpaid {figures.unpaid_percent}%)"
        )
    import redis as redis_client

    redis_client.Redis.from_url(args.redis).flushdb()  # the dashboard computed, not cached
    started = time.perf_counter()
    result = selectors.prompt_payment(dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31))
    print(
        f"prompt_payment {fy}: {time.perf_counter() - started:.2f} s "
        f"({result.overall.invoices:,} invoice payments)"
    )

    user = User.objects.filter(email="bench-pay@example.gov.uk").first() or (
        portal_services.user_create(
            email="bench-pay@example.gov.uk",
            role=Role.PROCUREMENT_OFFICER,
            password="bench-password-long-enough",  # noqa: S106 - a throwaway bench database
            full_name="Bench Officer",
        )
    )
    client = Client()
    client.force_login(user)
    pages = {
        "notice page": f"/payments/notices/{periods[0].slug}/",
        "dashboard page": f"/payments/dashboard/?fy={fy}",
        "61+ drill-down": f"/payments/notices/{periods[0].slug}/invoices/61+/",
        # The floor: a page with no payment-duty work, measured in the same run, so that on a
        # shared machine the pages can be read as a ratio to it.
        "spend overview (floor)": f"/spend/?fy={fy}",
    }
    p95s: dict[str, float] = {}
    for name, url in pages.items():
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        p95s[name] = percentile(times, 0.95)
        print(
            f"{name}: p50 {statistics.median(times):,.0f} ms, "
            f"p95 {p95s[name]:,.0f} ms ({args.requests} requests)"
        )
    floor = p95s.pop("spend overview (floor)")
    print("p95 against the floor: " + ", ".join(f"{n} {t / floor:.1f}x" for n, t in p95s.items()))
    if not args.keep:
        connection.close()
        drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
