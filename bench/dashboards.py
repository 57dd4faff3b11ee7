"""Dashboard benchmark: ten years of payments, the spend pages under 20 concurrent clients.

    .venv/bin/python bench/dashboards.py --rows 1000000
    .venv/bin/python bench/dashboards.py            # 10,000,000 rows (disk- and time-heavy)

1. Creates its own database (``--database``, default portal_bench_dash), migrates it, and
   loads suppliers and sites through the ORM and ``--rows`` payments straight in SQL
   (``generate_series``; the ingest bench covers parsing): ten financial years, Zipf-like
   supplier sizes, credit notes, a few voided payments, four locality classes, categories.
2. Rebuilds the dashboard summaries for every year (``rebuild_summaries``), timed.
3. Starts gunicorn on 127.0.0.1 (the portal's WSGI app wrapped to measure server time per
   request) and drives the overview, locality, tail and filtered supplier pages with
   ``--clients`` threads (http.client, keep-alive) for ``--requests`` requests per page.
4. Prints p50/p95 server time and client latency per page beside the time of the equivalent
   raw SQL aggregate over the payments table, then drops the database (unless ``--keep``).

Targets (issue 4): p95 server time under 150 ms for overview, locality and tail; under
250 ms for the filtered supplier table.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from portal.periods import financial_year_of  # noqa: E402  (after the path is set)

DEFAULT_DATABASE = "portal_bench_dash"


# --- The WSGI app gunicorn runs: the portal, timed ------------------------------------------


def application(environ: dict[str, Any], start_response: Any) -> Any:
    """The portal's WSGI app with a Server-Timing header (wall time inside the app)."""
    from portal.wsgi import application as portal

    started = time.perf_counter()

    def timed_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        elapsed = (time.perf_counter() - started) * 1000
        headers.append(("Server-Timing", f"app;dur={elapsed:.2f}"))
        return start_response(status, headers, exc_info)

    body = portal(environ, timed_start)
    return body


# --- Loading ------------------------------------------------------------------------------

PAYMENTS_SQL = """
INSERT INTO spend_payment (natural_key, layout, batch_id, supplier_id, site_id, category_id,
    payment_date, financial_year, amount_pence, currency, is_spend, status, invoice_number,
    invoice_date, payment_reference, cost_centre, account, account_description, description,
    source_line)
SELECT 'bench-' || g, 'r12', %(batch)s, m.supplier_id,
       CASE WHEN m.second_site IS NOT NULL AND random() < 0.4 THEN m.second_site
            ELSE m.first_site END,
       c.category_id, d.day,
       CASE WHEN extract(month FROM d.day) >= 4 THEN extract(year FROM d.day)
            ELSE extract(year FROM d.day) - 1 END,
       (CASE WHEN random() < 0.03 THEN -1 ELSE 1 END)
         * greatest(1, (exp(14.2 - 1.6 * power(m.rank, 0.25) + random() * 2.0))::bigint),
       'GBP', random() > 0.006, 'NEGOTIABLE', 'INV' || g, d.day - 14, 'PAY' || (g / 2),
       'CC' || (g %% 40), c.account, c.description, '', 0
FROM generate_series(%(first)s, %(last)s) AS g
CROSS JOIN LATERAL (
    SELECT %(start)s::date + (random() * %(days)s + 0 * g)::int AS day,
           least(%(suppliers)s, 1 + floor(%(suppliers)s * power(random() + 0 * g, 3.0))::int)
               AS rank
) d
JOIN bench_supplier_map m ON m.rank = d.rank
JOIN bench_accounts c ON c.n = 1 + (g %% %(accounts)s)
"""


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
        "PORTAL_EMBEDDED": "never",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def create_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load(rows: int, suppliers: int, years: int, first_fy: int) -> dict[str, float]:
    """Suppliers and sites by the ORM, payments by SQL. Returns timings (seconds)."""
    import django

    django.setup()
    from django.db import connection

    from spend.ingest.load import rebuild_summaries
    from spend.models import Category, ImportBatch, Supplier, SupplierSite

    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = random.Random(1)
    batch = ImportBatch.objects.create(file_name="bench", sha256="bench", status="loaded")
    Supplier.objects.bulk_create(
        [
            Supplier(
                supplier_number=str(100000 + k),
                name=f"BENCH SUPPLIER {k:05d} LTD",
                name_key=f"BENCH SUPPLIER {k:05d}",
            )
            for k in range(1, suppliers + 1)
        ],
        batch_size=5000,
    )
    ids = dict(Supplier.objects.values_list("supplier_number", "id"))
    classes = ["home", "region", "uk", "unknown"]
    sites = []
    for k in range(1, suppliers + 1):
        first = rng.choices(classes, weights=(45, 20, 30, 5))[0]
        sid = ids[str(100000 + k)]
        sites.append(
            SupplierSite(
                supplier_id=sid, site_code="MAIN", postcode=f"PR{k % 9} 1AA", locality_class=first
            )
        )
        if rng.random() < 0.06:
            sites.append(
                SupplierSite(
                    supplier_id=sid,
                    site_code="DEPOT",
                    postcode=f"M{k % 9} 1AA",
                    locality_class=rng.choice([c for c in classes if c != first]),
                )
            )
    SupplierSite.objects.bulk_create(sites, batch_size=5000)
    categories = list(Category.objects.values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE UNLOGGED TABLE bench_supplier_map AS
            SELECT row_number() OVER (ORDER BY s.id)::int AS rank, s.id AS supplier_id,
                   min(ss.id) FILTER (WHERE ss.site_code = 'MAIN') AS first_site,
                   min(ss.id) FILTER (WHERE ss.site_code = 'DEPOT') AS second_site
              FROM spend_supplier s JOIN spend_suppliersite ss ON ss.supplier_id = s.id
             GROUP BY s.id""")
        cursor.execute("CREATE UNIQUE INDEX ON bench_supplier_map (rank)")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_accounts (n int primary key, "
            "category_id bigint, account text, description text)"
        )
        accounts = [
            (
                n + 1,
                categories[n % len(categories)] if n % 17 else None,
                f"5{n:02d}00",
                f"Account {n}",
            )
            for n in range(34)
        ]
        cursor.executemany("INSERT INTO bench_accounts VALUES (%s, %s, %s, %s)", accounts)
    timings["suppliers and sites"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
            "'spend_payment' AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
        chunk = 1_000_000
        start_day = f"{first_fy}-04-01"
        import datetime as dt

        days = (dt.date(first_fy + years, 3, 31) - dt.date(first_fy, 4, 1)).days
        for first_row in range(1, rows + 1, chunk):
            last = min(rows, first_row + chunk - 1)
            cursor.execute(
                PAYMENTS_SQL,
                {
                    "batch": batch.pk,
                    "first": first_row,
                    "last": last,
                    "start": start_day,
                    "days": days,
                    "suppliers": suppliers,
                    "accounts": len(accounts),
                },
            )
            print(f"  {last:,} payments", flush=True)
        cursor.execute("SET session_replication_role = origin")
        timings["payments (SQL)"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE spend_payment")
        timings["payment indexes"] = time.perf_counter() - started
        cursor.execute("SELECT DISTINCT financial_year FROM spend_payment ORDER BY 1")
        fys = [r[0] for r in cursor.fetchall()]
    started = time.perf_counter()
    rebuild_summaries(fys)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE spend_spendsummary")
        cursor.execute("SELECT count(*) FROM spend_spendsummary")
        timings["summary rows"] = float(cursor.fetchone()[0])
    timings["rebuild summaries"] = time.perf_counter() - started
    return timings


def session_cookie() -> str:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portal import services
    from portal.models import User
    from portal.roles import Role

    user = User.objects.filter(email="bench@example.gov.uk").first() or services.user_create(
        email="bench@example.gov.uk",
        role=Role.PROCUREMENT_OFFICER,
        password="bench-password-long-enough",  # noqa: S106 - a throwaway bench database
        full_name="Bench Officer",
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def raw_sql_times(fy: int, category: int) -> dict[str, float]:
    """The equivalent aggregate straight over the payments table, median of three (ms)."""
    from django.db import connection

    queries = {
        "overview": (
            "SELECT date_trunc('month', payment_date), sum(amount_pence), count(*) "
            "FROM spend_payment WHERE is_spend AND financial_year = %s GROUP BY 1",
            [fy],
        ),
        "locality": (
            "SELECT p.financial_year, ss.locality_class, sum(p.amount_pence) "
            "FROM spend_payment p JOIN spend_suppliersite ss ON ss.id = p.site_id "
            "WHERE p.is_spend GROUP BY 1, 2",
            [],
        ),
        "tail": (
            "SELECT count(*), sum(t) FROM (SELECT supplier_id, sum(amount_pence) t "
            "FROM spend_payment WHERE is_spend AND financial_year = %s GROUP BY 1) s "
            "WHERE t < 10000000",
            [fy],
        ),
        "suppliers (filtered)": (
            "SELECT p.supplier_id, sum(p.amount_pence) t FROM spend_payment p "
            "JOIN spend_suppliersite ss ON ss.id = p.site_id WHERE p.is_spend AND "
            "p.financial_year = %s AND p.category_id = %s AND ss.locality_class = 'home' "
            "GROUP BY 1 ORDER BY t DESC LIMIT 50",
            [fy, category],
        ),
    }
    out = {}
    with connection.cursor() as cursor:
        for page, (sql, params) in queries.items():
            samples = []
            for _ in range(3):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            out[page] = statistics.median(samples)
    return out


def drive(
    base: str, cookie: str, pages: dict[str, list[str]], clients: int, per_page: int
) -> dict[str, dict[str, list[float]]]:
    """Fire ``per_page`` requests at each page from ``clients`` threads (keep-alive)."""
    jobs: list[tuple[str, str]] = []
    for page, urls in pages.items():
        jobs += [(page, urls[i % len(urls)]) for i in range(per_page)]
    random.Random(2).shuffle(jobs)
    results: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    lock = threading.Lock()
    cursor = iter(jobs)
    host = urlparse(base)

    def worker() -> None:
        conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=120)
        while True:
            with lock:
                job = next(cursor, None)
            if job is None:
                break
            page, url = job
            started = time.perf_counter()
            conn.request("GET", url, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            latency = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"{url} answered {response.status}")
            timing = response.getheader("Server-Timing", "app;dur=0")
            server = float(timing.split("dur=")[1])
            with lock:
                results[page]["server"].append(server)
                results[page]["client"].append(latency)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def serve_and_drive(
    env: dict[str, str],
    port: int,
    workers: int,
    cookie: str,
    pages: dict[str, list[str]],
    clients: int,
    requests: int,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]], float]:
    """Start gunicorn on this module's application, then drive the pages: cold (the first
    request for every URL with an empty cache, one client in turn, which also warms the cache)
    and the steady state under load. Returns (cold, results, elapsed seconds of the latter)."""
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.dashboards:application",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(BASE_DIR),
        ],
        env=env,
        cwd=BASE_DIR,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        cold = {
            page: drive(base, cookie, {page: urls}, 1, len(urls))[page]
            for page, urls in pages.items()
        }
        started = time.perf_counter()
        results = drive(base, cookie, pages, clients, requests)
        elapsed = time.perf_counter() - started
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    return cold, results, elapsed


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400, help="requests per page")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()

    database_url = f"{args.server}/{args.database}"
    env = _env(database_url, args.redis)
    os.environ.update(env)
    import datetime as dt

    today = dt.datetime.now(tz=dt.UTC).date()
    current_fy = financial_year_of(today)
    first_fy = current_fy - args.years
    if not args.reuse:
        print(f"Creating {args.database} and migrating…", flush=True)
        create_database(args.server, args.database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
        )
        print(
            f"Loading {args.rows:,} payments over {args.years} years, "
            f"{args.suppliers:,} suppliers…",
            flush=True,
        )
        for name, seconds in load(args.rows, args.suppliers, args.years, first_fy).items():
            print(f"  {name}: {seconds:,.1f}" + ("" if name == "summary rows" else " s"))
    import django

    django.setup()
    import redis as redis_client

    redis_client.Redis.from_url(args.redis).flushdb()
    from spend.models import Category

    cookie = session_cookie()
    category = list(Category.objects.order_by("pk").values_list("pk", flat=True))
    fys = list(range(first_fy, first_fy + args.years))
    pages = {
        "overview": [f"/spend/?fy={fy}" for fy in fys],
        "locality": ["/spend/locality/"],
        "tail": [f"/spend/tail/?fy={fy}" for fy in fys],
        "suppliers (filtered)": [
            f"/spend/suppliers/?fy={fy}&category={c}&locality=home"
            for fy in fys
            for c in category[:4]
        ],
    }
    raw = raw_sql_times(fys[-2], category[0])

    cold, results, elapsed = serve_and_drive(
        env, args.port, args.workers, cookie, pages, args.clients, args.requests
    )

    total = sum(len(r["server"]) for r in results.values())
    print(
        f"\n{args.rows:,} payments, {args.clients} clients, {args.requests} requests a page, "
        f"{args.workers} gunicorn workers, {os.cpu_count()} CPUs: "
        f"{total / elapsed:,.0f} requests/s"
    )
    print(
        "cold = first request for a URL after the summary changed (median / max over the "
        "page's URLs, one client); then the steady state under load:"
    )
    print(
        f"{'page':22} {'cold p50':>8} {'cold max':>8} {'server p50':>11} {'server p95':>11} "
        f"{'client p50':>11} {'client p95':>11} {'raw SQL ms':>11}"
    )
    for page in pages:
        r = results[page]
        print(
            f"{page:22} {p(cold[page]['server'], 0.5):8.1f} {max(cold[page]['server']):8.1f} "
            f"{p(r['server'], 0.5):11.1f} "
            f"{p(r['server'], 0.95):11.1f} {p(r['client'], 0.5):11.1f} "
            f"{p(r['client'], 0.95):11.1f} {raw[page]:11.1f}"
        )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.server, args.database)
        print(f"Dropped {args.database}.")


if __name__ == "__main__":
    main()
