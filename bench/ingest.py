"""Import benchmark: the shapes of file councils really have, each against the floor of a
bare `psql \\copy` of the same files in the same run.

    nice -n 15 .venv/bin/python bench/ingest.py [--shapes abcd] [--dir /tmp/spend_bench]

Shapes (issue 22):

- (a) five yearly R12 extracts of 150,000 to 250,000 rows (1,000,000 in all), imported by
  one `manage.py import_spend` command into an empty ledger;
- (b) the same five into a ledger already holding 10,000,000 payments;
- (c) one monthly file of 100,000 rows (the month after the ledger's last) into that ledger;
- (d) a single 1,000,000-row yearly extract into an empty ledger.

Each shape runs in a fresh database copied from a template (`CREATE DATABASE ... TEMPLATE`):
an empty migrated one, or the 10M ledger, built once by `bench.dashboards.load` into
`--ledger` and kept for later runs (`--rebuild-ledger` to build it again). In that copy the
floor is timed first (one psql, one `\\copy` per file into an unindexed all-text table), then
the import. Printed per shape: seconds, ratio to the floor (the figure of record on a shared
machine), rows per second, peak memory (the command and the chunk processes it starts), and
where the import's time went, from its step clock (`LOG_LEVEL=DEBUG`):

- parse + stage: reading the file and `COPY` into staging tables in the import's process,
  or, when child processes parse, the time the merge waited for them;
- merge: suppliers and sites, inserting payments, voids, supplier names, and for a file
  much larger than the ledger setting the payment indexes aside and building them again;
- summaries: the dashboard summary rows the file adds or changes;
- commit;
- other: the rest of the wall time (Python and Django start-up, SHA-256 of each file, the
  batch records and the doubled-month check).

`--extras` also times, on shape (d)'s database, a re-import of the same file (recognised by
its SHA-256), of the same rows in other bytes (the whole merge, nothing added) and the bare
INSERT of the imported rows into a copy of the payments table.

Targets: (a), (b), (d) at most 3x the floor and at least 100,000 rows/s; (c) under 3 s;
peak memory under 300 MB in every case.

Uses PostgreSQL at DATABASE_URL's server (default 127.0.0.1:5432) and `psql` on PATH.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.common import database_url, psql, timed_child, timed_child_logged  # noqa: E402
from portal.periods import financial_year_of  # noqa: E402  (after the path is set)

FLOOR_TABLE = """
CREATE TABLE bench_floor (
  org_id text, invoice_id text, invoice_num text, invoice_date text, vendor_num text,
  vendor_name text, vendor_site_code text, address_line1 text, city text, zip text,
  check_number text, check_date text, status_lookup_code text, invoice_payment_id text,
  dist_line_num text, amount text, currency_code text, cost_centre text, account text,
  account_description text, description text)
"""

EMPTY_TEMPLATE = "portal_bench_ingest_empty"
LEDGER_ROWS = 10_000_000
LEDGER_YEARS = 10
# The yearly extracts of shapes (a) and (b): financial year and rows.
YEARS = ((2020, 150_000), (2021, 175_000), (2022, 200_000), (2023, 225_000), (2024, 250_000))

# The import's step clock (spend.ingest.load._StepClock) as logged at DEBUG, by part.
STEP_LINE = re.compile(r"^import (?P<file>.+?): (?P<step>[a-z ]+) took (?P<s>[0-9.]+) s$")
PARTS = {
    "header": "parse + stage",
    "read and stage": "parse + stage",
    "plan": "parse + stage",
    "wait for the first chunk": "parse + stage",
    "wait for chunks": "parse + stage",
    "suppliers and sites": "merge",
    "insert payments": "merge",
    "mark voided": "merge",
    "supplier names": "merge",
    "set indexes aside": "merge",
    "rebuild indexes": "merge",
    "sum what was added": "summaries",
    "summaries": "summaries",
    "commit": "commit",
}
PART_ORDER = ("parse + stage", "merge", "summaries", "commit", "other")


@dataclass
class Shape:
    key: str
    label: str
    files: list[Path]
    template: str
    wall_target: float | None = None  # seconds, instead of the ratio and rows/s targets


@dataclass
class Measured:
    shape: Shape
    rows: int
    floor: float
    seconds: float
    peak_mb: float
    parts: dict[str, float] = field(default_factory=dict)
    output: str = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="abcd", help="which shapes, e.g. 'ac'")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "spend_bench")
    parser.add_argument("--ledger", default="portal_bench_ingest_10m")
    parser.add_argument("--rebuild-ledger", action="store_true")
    parser.add_argument("--extras", action="store_true", help="re-import and overlap on (d)")
    parser.add_argument("--keep", action="store_true", help="keep the last shape's database")
    args = parser.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    yearly = [args.dir / f"r12_fy{fy}_{rows // 1000}k.csv" for fy, rows in YEARS]
    today = _today()
    fy_now = financial_year_of(today)
    month = (fy_now, 10) if today >= dt.date(fy_now, 11, 1) else (fy_now, 4)
    monthly = args.dir / f"r12_{month[0]}_{month[1]:02d}_100k.csv"
    single = args.dir / "r12_fy2021_1m.csv"
    _generate(yearly, monthly, month, single)

    admin_url = database_url("postgres")
    _compile_bytecode()
    _ensure_empty_template(admin_url)
    shapes = {
        "a": Shape("a", "(a) 5 yearly extracts, empty ledger", yearly, EMPTY_TEMPLATE),
        "b": Shape("b", "(b) 5 yearly extracts, 10M ledger", yearly, args.ledger),
        "c": Shape("c", "(c) 1 monthly file, 10M ledger", [monthly], args.ledger, 3.0),
        "d": Shape("d", "(d) 1 file of 1M rows, empty ledger", [single], EMPTY_TEMPLATE),
    }
    chosen = [shapes[key] for key in args.shapes]
    if any(shape.template == args.ledger for shape in chosen):
        _ensure_ledger(admin_url, args.ledger, args.rebuild_ledger)
    print(
        f"{os.cpu_count()} CPUs, SPEND_IMPORT_WORKERS="
        f"{os.environ.get('SPEND_IMPORT_WORKERS', 'default')}, SPEND_IMPORT_CHUNK_BYTES="
        f"{os.environ.get('SPEND_IMPORT_CHUNK_BYTES', 'default')}, niceness {os.nice(0)}",
        flush=True,
    )
    results = []
    name = "portal_bench_ingest"
    for shape in chosen:
        psql(
            admin_url,
            "-c",
            f"DROP DATABASE IF EXISTS {name}",
            "-c",
            f"CREATE DATABASE {name} TEMPLATE {shape.template}",
        )
        url = database_url(name)
        try:
            results.append(_measure(shape, url))
            print(f"  {shape.label}: {results[-1].output}", flush=True)
            if args.extras and shape.key == "d":
                _extras(shape.files[0], url, results[-1])
        finally:
            if not (args.keep and shape is chosen[-1]):
                psql(admin_url, "-c", f"DROP DATABASE IF EXISTS {name}")
    _print_table(results)


def _today() -> dt.date:
    return dt.datetime.now(tz=dt.UTC).date()


def _generate(yearly: list[Path], monthly: Path, month: tuple[int, int], single: Path) -> None:
    from demo.extracts import write_r12_benchmark_csv

    wanted: list[tuple[Path, dict[str, object]]] = [
        (path, {"rows": rows, "seed": 100 + i, "fy": fy})
        for i, (path, (fy, rows)) in enumerate(zip(yearly, YEARS, strict=True))
    ]
    # The month after the 10M ledger's last (its years end with the last full one).
    wanted.append((monthly, {"rows": 100_000, "seed": 200, "fy": month[0], "month": month}))
    wanted.append((single, {"rows": 1_000_000, "seed": 1, "fy": 2021}))
    for path, options in wanted:
        if not path.exists():
            print(f"generating {path} ...", flush=True)
            write_r12_benchmark_csv(path, **options)  # type: ignore[arg-type]


def _compile_bytecode() -> None:
    """The project's bytecode, as the production image compiles it (Dockerfile): with
    PYTHONDONTWRITEBYTECODE set and none compiled, every command would compile the project's
    modules again as it starts, which no deployed import pays."""
    skipped = r"/(\.venv|node_modules|\.git)/"
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "-x", skipped, str(BASE_DIR)],
        check=True,
    )


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
        "PORTAL_EMBEDDED": "never",
        "LOG_LEVEL": "DEBUG",  # the import's step clock
    }


def _exists(admin_url: str, name: str) -> bool:
    done = subprocess.run(
        ["psql", admin_url, "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S608 (ours)
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "1"


def _ensure_empty_template(admin_url: str) -> None:
    """A migrated, empty database to copy: always rebuilt, so it has this tree's migrations."""
    psql(
        admin_url,
        "-c",
        f"DROP DATABASE IF EXISTS {EMPTY_TEMPLATE}",
        "-c",
        f"CREATE DATABASE {EMPTY_TEMPLATE}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        env=_env(database_url(EMPTY_TEMPLATE)),
        cwd=BASE_DIR,
        check=True,
    )


def _ensure_ledger(admin_url: str, name: str, rebuild: bool) -> None:
    """10M payments over ten years, loaded in SQL as the dashboards bench loads them; kept."""
    if _exists(admin_url, name) and not rebuild:
        print(f"reusing the 10M ledger in {name} (--rebuild-ledger to build it again)")
        return
    print(f"building {LEDGER_ROWS:,} payments into {name} (once; kept) ...", flush=True)
    psql(admin_url, "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}")
    env = _env(database_url(name))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], env=env, cwd=BASE_DIR, check=True
    )
    first_fy = financial_year_of(_today()) - LEDGER_YEARS
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bench.dashboards import load; "
            f"print(load({LEDGER_ROWS}, 20000, {LEDGER_YEARS}, {first_fy}))",
        ],
        env={**env, "LOG_LEVEL": "INFO"},
        cwd=BASE_DIR,
        check=True,
    )


def _rows(files: list[Path]) -> int:
    """Payment rows: lines after the header (the generated files have no multi-line cells
    counted twice: csv reads them as one record, so count records)."""
    import csv

    total = 0
    for path in files:
        with path.open(encoding="cp1252", newline="") as handle:
            total += sum(1 for _ in csv.reader(handle)) - 1
    return total


def _measure(shape: Shape, url: str) -> Measured:
    psql(url, "-c", FLOOR_TABLE)
    copies: list[str] = []
    for path in shape.files:
        copies += [
            "-c",
            f"\\copy bench_floor FROM '{path}' WITH (FORMAT csv, HEADER true, ENCODING 'WIN1252')",
        ]
    started = time.perf_counter()
    psql(url, *copies)
    floor = time.perf_counter() - started
    psql(url, "-c", "DROP TABLE bench_floor", "-c", "CHECKPOINT")

    command = [sys.executable, "manage.py", "import_spend", *map(str, shape.files)]
    seconds, peak, output, log = timed_child_logged(command, _env(url))
    parts = dict.fromkeys(PART_ORDER, 0.0)
    for line in log.splitlines():
        found = STEP_LINE.match(line.strip())
        if found and found["step"] in PARTS:
            parts[PARTS[found["step"]]] += float(found["s"])
    parts["other"] = max(0.0, seconds - sum(parts.values()))
    return Measured(shape, _rows(shape.files), floor, seconds, peak, parts, output)


def _extras(path: Path, url: str, first: Measured) -> None:
    env = _env(url)
    command = [sys.executable, "manage.py", "import_spend", str(path)]
    again, again_peak, _ = timed_child(command, env)
    copy = path.with_name(f"again-{path.name}")
    # Streamed: a child forked from a bloated bench process would report the bench's
    # memory as its own peak.
    with path.open("rb") as source, copy.open("wb") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
        target.write(b"\r\n")
    try:
        overlap, overlap_peak, _ = timed_child(
            [sys.executable, "manage.py", "import_spend", str(copy)], env
        )
    finally:
        copy.unlink()
    insert = _ledger_insert_seconds(url)
    rows, floor = first.rows, first.floor
    print(f"\nextras on (d): {'seconds':>8}{'x floor':>9}{'rows/s':>11}{'peak MB':>9}")
    for label, seconds, peak in (
        ("re-import, same file (SHA-256 recognised)", again, again_peak),
        ("re-import, same rows, other bytes (merge)", overlap, overlap_peak),
        ("INSERT alone into a copy of the ledger", insert, 0.0),
    ):
        print(
            f"  {label:<44}{seconds:>8.1f}{seconds / floor:>9.2f}{rows / seconds:>11,.0f}"
            f"{peak:>9.0f}"
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


def _print_table(results: list[Measured]) -> None:
    print()
    print(
        f"{'shape':<40}{'rows':>10}{'floor s':>8}{'import s':>9}{'x floor':>8}{'rows/s':>9}"
        f"{'peak MB':>8}  " + "  ".join(f"{part:>13}" for part in PART_ORDER) + "  target"
    )
    for m in results:
        if m.shape.wall_target is not None:
            met = m.seconds < m.shape.wall_target and m.peak_mb < 300
            target = f"< {m.shape.wall_target:.0f} s, < 300 MB: {'met' if met else 'NOT met'}"
        else:
            met = m.seconds <= 3 * m.floor and m.rows / m.seconds >= 100_000 and m.peak_mb < 300
            target = f"<= 3x, >= 100k rows/s, < 300 MB: {'met' if met else 'NOT met'}"
        print(
            f"{m.shape.label:<40}{m.rows:>10,}{m.floor:>8.1f}{m.seconds:>9.1f}"
            f"{m.seconds / m.floor:>8.2f}{m.rows / m.seconds:>9,.0f}{m.peak_mb:>8.0f}  "
            + "  ".join(f"{m.parts[part]:>13.1f}" for part in PART_ORDER)
            + f"  {target}"
        )


if __name__ == "__main__":
    main()
