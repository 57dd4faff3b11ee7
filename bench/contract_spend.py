"""Contract spend benchmark: a contract's page and the off-contract page with 10 million
payments and 5,000 contracts, under 20 concurrent clients.

    .venv/bin/python bench/contract_spend.py --rows 1000000    # a quick look
    .venv/bin/python bench/contract_spend.py                   # 10,000,000 rows (heavy)

1. Builds the ledger as ``bench/dashboards.py`` does (its own database, default
   portal_bench_contracts; payments straight in SQL over ten financial years; summaries).
2. Adds ``--contracts`` registered contracts (2% drafts, 3% ended early, 10% with a second
   supplier), their awarded suppliers taken from the ledger's (bigger suppliers more often),
   a contract reference on 1% of payments and 2,000 officers' payment links.
3. Starts gunicorn and drives contract pages (a sample of ``--sample`` contracts, biggest
   supplier included), the off-contract page (each year, default £5,000 threshold) and, for
   comparison, the spend overview with ``--clients`` threads, after one cold pass over
   every URL.
4. Prints p50/p95 server time and client latency per page, and drops the database (unless
   ``--keep``).

Target (issue 15): p95 server time under 250 ms for both pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.dashboards import (  # noqa: E402  (after the path is set)
    _env,
    create_database,
    drop_database,
    load,
    p,
    serve_and_drive,
    session_cookie,
)
from portal.periods import financial_year_of  # noqa: E402  (after the path is set)

DEFAULT_DATABASE = "portal_bench_contracts"


def add_contracts(count: int, first_fy: int, years: int, seed: int = 5) -> dict[str, float]:
    """Contracts, awarded suppliers, payment references and links. Returns timings."""
    import django

    django.setup()
    from django.db import connection

    from contracts.models import AwardedSupplier, Contract, ContractPaymentLink
    from portal.suppliers import name_key
    from spend.models import Supplier

    rng = random.Random(seed)
    started = time.perf_counter()
    suppliers = list(Supplier.objects.order_by("pk").values_list("supplier_number", "name"))
    first_day = dt.date(first_fy, 4, 1)
    span = (dt.date(first_fy + years, 3, 31) - first_day).days
    contracts, awarded = [], []
    for n in range(1, count + 1):
        start = first_day + dt.timedelta(days=rng.randint(0, span - 200))
        end = start + dt.timedelta(days=rng.choice((365, 730, 1095, 1460, 1825)) - 1)
        ended_on = start + dt.timedelta(days=rng.randint(30, 300)) if rng.random() < 0.03 else None
        contracts.append(
            Contract(
                reference=f"BC{n:05d}",
                title=f"Bench contract {n}",
                department="Bench",
                award_date=start - dt.timedelta(days=30),
                start_date=start,
                end_date=end,
                ended_on=ended_on,
                awarded_value=Decimal(rng.randint(10_000, 5_000_000)),
                status=Contract.Status.DRAFT if rng.random() < 0.02 else Contract.Status.REGISTERED,
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=2000)
    ids = list(Contract.objects.order_by("pk").values_list("pk", flat=True))
    for k, contract_id in enumerate(ids):
        # Bigger suppliers hold more contracts; the biggest holds the first.
        picks = {0 if k == 0 else min(len(suppliers) - 1, int(5000 * rng.random() ** 2))}
        if rng.random() < 0.1:
            picks.add(rng.randrange(len(suppliers)))
        for pick in picks:
            number, name = suppliers[pick]
            awarded.append(
                AwardedSupplier(
                    contract_id=contract_id,
                    name=name,
                    name_key=name_key(name),
                    supplier_number=number,
                )
            )
    AwardedSupplier.objects.bulk_create(awarded, batch_size=5000)
    timings = {"contracts and suppliers": time.perf_counter() - started}

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE spend_payment SET order_reference = "
            "'BC' || lpad(((id / 100) %% %s + 1)::text, 5, '0') WHERE id %% 100 = 0",
            [count],
        )
        cursor.execute("SELECT id FROM spend_payment WHERE id % 997 = 1 LIMIT 2000")
        payment_ids = [r[0] for r in cursor.fetchall()]
        cursor.execute("ANALYZE spend_payment")
    ContractPaymentLink.objects.bulk_create(
        [ContractPaymentLink(contract_id=rng.choice(ids), payment_id=pid) for pid in payment_ids]
    )
    with connection.cursor() as cursor:
        # As autovacuum would soon after a register import: without it the planner takes the
        # register for a few hundred rows and picks nested loops over it.
        for table in ("contracts_contract", "contracts_awardedsupplier"):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("ANALYZE contracts_contractpaymentlink")
    timings["references and links"] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--contracts", type=int, default=5_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    parser.add_argument("--sample", type=int, default=100, help="contract pages to visit")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()

    env = _env(f"{args.server}/{args.database}", args.redis)
    os.environ.update(env)
    today = dt.datetime.now(tz=dt.UTC).date()
    current_fy = financial_year_of(today)
    first_fy = current_fy - args.years
    if not args.reuse:
        print(f"Creating {args.database} and migrating…", flush=True)
        create_database(args.server, args.database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
        )
        print(f"Loading {args.rows:,} payments, {args.suppliers:,} suppliers…", flush=True)
        timings = load(args.rows, args.suppliers, args.years, first_fy)
        timings.update(add_contracts(args.contracts, first_fy, args.years))
        for name, seconds in timings.items():
            print(f"  {name}: {seconds:,.1f}" + ("" if name == "summary rows" else " s"))
    import django

    django.setup()
    import redis as redis_client

    redis_client.Redis.from_url(args.redis).flushdb()
    from contracts.models import Contract

    cookie = session_cookie()
    rng = random.Random(3)
    ids = list(Contract.objects.order_by("pk").values_list("pk", flat=True))
    sample = [ids[0], *rng.sample(ids[1:], min(args.sample, len(ids)) - 1)]
    fys = list(range(first_fy, first_fy + args.years))
    pages = {
        "contract page": [f"/contracts/{pk}/" for pk in sample],
        "off-contract page": [f"/contracts/off-contract/?fy={fy}&threshold=5000" for fy in fys],
        # A page with no contract work at all, measured in the same run: on a busy shared
        # machine it shows how much of the time is the machine's.
        "spend overview": [f"/spend/?fy={fy}" for fy in fys],
    }
    cold, results, elapsed = serve_and_drive(
        env, args.port, args.workers, cookie, pages, args.clients, args.requests
    )

    total = sum(len(r["server"]) for r in results.values())
    print(
        f"\n{args.rows:,} payments, {args.contracts:,} contracts, {args.clients} clients, "
        f"{args.requests} requests a page, {args.workers} gunicorn workers, "
        f"{os.cpu_count()} CPUs: {total / elapsed:,.1f} requests/s"
    )
    print("cold = one client, each URL once; then the steady state under load (ms):")
    print(
        f"{'page':18} {'cold p50':>8} {'cold max':>8} {'server p50':>11} {'server p95':>11} "
        f"{'client p50':>11} {'client p95':>11}"
    )
    for page in pages:
        r = results[page]
        print(
            f"{page:18} {p(cold[page]['server'], 0.5):8.1f} {max(cold[page]['server']):8.1f} "
            f"{p(r['server'], 0.5):11.1f} {p(r['server'], 0.95):11.1f} "
            f"{p(r['client'], 0.5):11.1f} {p(r['client'], 0.95):11.1f}"
        )
    floor = p(results["spend overview"]["server"], 0.95)
    print(
        "server p95 against the spend overview's (the floor, this run): "
        + ", ".join(
            f"{page} {p(results[page]['server'], 0.95) / floor:.1f}x"
            for page in ("contract page", "off-contract page")
        )
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.server, args.database)
        print(f"Dropped {args.database}.")


if __name__ == "__main__":
    main()
