"""Contract register benchmark: publish 5,000 contracts / 12,000 supplier rows, then load the
public register page with 20 concurrent clients.

    .venv/bin/python bench/register.py [--contracts 5000] [--suppliers 12000]
        [--clients 20] [--requests 40] [--keep]

In a database of its own (``portal_bench_register`` on DATABASE_URL's server, dropped
afterwards unless --keep), it:

1. generates a register file in the layout and imports it (``manage.py import_register``);
2. times a quarterly publication in-process (freeze + CSV + XLSX + OCDS + PDF);
3. starts gunicorn on 127.0.0.1 and has ``--clients`` threads each make ``--requests``
   requests to /register/ (plain, searched, filtered, sorted, later pages), then prints the
   median, p95 and maximum response times.

Targets: publication under 60 s; the public page under 150 ms p95 at 20 concurrent clients.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.common import database_url  # noqa: E402

BENCH_DB = "portal_bench_register"

DEPARTMENTS = [
    "Adult Services",
    "Children's Services",
    "Highways",
    "Schools",
    "Waste",
    "Corporate Property",
    "Digital Services",
    "Public Health",
    "Libraries",
]
ROUTES = [
    "Open",
    "Restricted",
    "Competitive flexible",
    "Direct award",
    "Call-off from framework",
    "Below threshold quotation",
    "Waiver",
]
CATEGORIES = ["Corporate", "Construction and Assets", "Digital", "Care and Public Health"]
POSTCODES = [
    "PR1 2HE",
    "LA1 1QS",
    "BB11 1AA",
    "PR7 1DP",
    "L39 2DE",
    "FY8 1AA",
    "M1 1AE",
    "L3 9PP",
    "CA1 1RR",
    "BB2 1AA",
    "LS1 4DY",
    "CF10 1EP",
    "G1 1XQ",
    "SW1A 2AA",
    "",
]
WORDS = [
    "care",
    "maintenance",
    "supply",
    "services",
    "framework",
    "repairs",
    "transport",
    "software",
    "cleaning",
    "catering",
    "consultancy",
    "equipment",
    "highways",
    "school",
]


def generate(path: Path, contracts: int, suppliers: int, seed: int = 1) -> None:
    from contracts.layout import COLUMNS

    rng = random.Random(seed)
    # Every contract has one supplier; the rest go to frameworks (a few very large).
    counts = [1] * contracts
    extra = suppliers - contracts
    counts[0] += min(extra, 129)
    extra -= min(extra, 129)
    while extra > 0:
        index = rng.randrange(contracts)
        add = min(extra, rng.randint(1, 6))
        counts[index] += add
        extra -= add
    today = datetime.now(UTC).date()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number, count in enumerate(counts):
            award = today - timedelta(days=rng.randint(30, 5 * 365))
            start = award + timedelta(days=rng.randint(1, 60))
            end = max(
                start + timedelta(days=rng.randint(180, 6 * 365)),
                today + timedelta(days=rng.randint(1, 900)),
            )
            title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
            contract = [
                f"LCC-{award:%Y}-{number:05d}",
                f"{title} ({number})",
                "Bench contract",
                rng.choice(DEPARTMENTS),
                rng.choice(CATEGORIES),
                rng.choice(ROUTES),
                f"{rng.randint(3, 98) * 1_000_000:08d}",
            ]
            value = f"{rng.randint(5_000, 50_000_000)}.{rng.randint(0, 99):02d}"
            for s in range(count):
                writer.writerow(
                    [
                        *contract,
                        f"Supplier {number:05d}-{s:03d} Ltd",
                        f"S{number:05d}{s:03d}",
                        f"{rng.randint(1, 99_999_999):08d}",
                        "",
                        rng.choice(POSTCODES),
                        rng.choice(["Yes", "No"]),
                        rng.choice(["Yes", "No", "No", "No"]),
                        award.isoformat(),
                        start.isoformat(),
                        end.isoformat(),
                        "",
                        value,
                        "0.00",
                        "Yes" if count > 1 else "No",
                    ]
                )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contracts", type=int, default=5000)
    parser.add_argument("--suppliers", type=int, default=12000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    bench_url = database_url(BENCH_DB)
    admin_url = database_url("postgres")
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "PORTAL_EMBEDDED": "never",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
    os.environ.update(env)
    gunicorn = None
    written: list[Path] = []
    try:
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=BASE_DIR)
        import django

        django.setup()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "register.csv"
            generate(path, args.contracts, args.suppliers)
            started = time.perf_counter()
            subprocess.run(
                [*manage, "import_register", str(path)], env=env, check=True, cwd=BASE_DIR
            )
            print(f"import: {time.perf_counter() - started:.1f} s")

        from django.utils import timezone

        from contracts import services
        from portal.periods import Quarter

        quarter = Quarter.previous(timezone.localdate())
        marks: list[tuple[str, float]] = [("start", time.perf_counter())]

        def progress(percent: int, message: str = "") -> None:
            marks.append((message, time.perf_counter()))

        publication = services.publication_build(quarter=quarter, user=None, progress=progress)
        marks.append(("done", time.perf_counter()))
        elapsed = marks[-1][1] - marks[0][1]
        print(
            f"publication {publication.quarter}: {publication.contract_count} contracts, "
            f"{publication.supplier_count} supplier rows, all four files in {elapsed:.1f} s "
            "(target < 60 s)"
        )
        print(
            "  steps: "
            + ", ".join(
                f"{message} {end - begin:.1f} s"
                for (message, begin), (_, end) in itertools.pairwise(marks[1:])
            )
        )
        files = [getattr(publication, kind) for kind in ("pdf", "xlsx", "csv", "ocds")]
        print("  files: " + ", ".join(f"{Path(f.name).name} {f.size / 1e6:.1f} MB" for f in files))
        written = [Path(f.path) for f in files]

        port = free_port()
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=BASE_DIR,
        )
        base = f"http://127.0.0.1:{port}/register/"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base, timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        queries = [
            "",
            "?q=care",
            "?q=supplier+00042",
            "?department=Highways",
            "?sort=-awarded_value",
            "?page=7",
            "?category=Digital&sort=end_date",
            "?q=framework&page=2",
            "?procurement_route=Open&sort=-reference",
        ]
        for query in queries:  # warm every worker a little
            urllib.request.urlopen(base + query, timeout=10).read()  # noqa: S310
        durations: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def client(number: int) -> None:
            rng = random.Random(number)
            for _ in range(args.requests):
                url = base + rng.choice(queries)
                began = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
                        response.read()
                        ok = response.status == 200
                except OSError as problem:
                    ok = False
                    with lock:
                        failures.append(str(problem))
                spent = time.perf_counter() - began
                with lock:
                    if ok:
                        durations.append(spent)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        durations.sort()
        p95 = durations[int(0.95 * (len(durations) - 1))]
        print(
            f"/register/: {len(durations)} requests from {args.clients} concurrent clients "
            f"in {wall:.1f} s ({len(durations) / wall:.0f}/s), {len(failures)} failed; "
            f"median {statistics.median(durations) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms (target < 150 ms), max {durations[-1] * 1000:.0f} ms"
        )
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if not args.keep:
            from django.db import connections

            for path in written:
                path.unlink(missing_ok=True)

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
