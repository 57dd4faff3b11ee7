"""Supplier data quality benchmark: duplicate candidates for 20,000 suppliers, and a
5,000,000-row Companies House file matched to them.

    .venv/bin/python bench/suppliers.py [--suppliers 20000] [--ch-rows 5000000] [--keep]

In a database of its own (dropped afterwards):

- 20,000 suppliers with sites (about 4% of them a second spelling of another, under another
  number), written straight into the tables;
- `manage.py find_duplicate_suppliers`: exact keys and numbers in SQL, similar names (pg_trgm's
  similarity) as matrix products in numpy (spend/similar.py); time and peak memory;
- a Companies House-shaped CSV (the real header, leading spaces, BOM, about 55 columns) with
  the suppliers' companies scattered through noise rows;
- `manage.py load_companies_house FILE`: streamed, staged, matched; time and the peak resident
  memory of that process (getrusage), and with --tracemalloc the Python heap peak as well.

Targets: candidates in under 30 s; the 5M-row file matched in under 5 minutes in under 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.common import database_url, psql, timed_child  # noqa: E402

FIRST = (
    "Acme",
    "Northern",
    "Pennine",
    "Lancashire",
    "Ribble",
    "Fylde",
    "Bowland",
    "Red Rose",
    "Preston",
    "Morecambe",
    "Blue Sky",
    "Quayside",
    "Millstone",
    "Harbour",
    "Summit",
    "Oakwood",
    "Riverside",
    "Kingsway",
    "Victoria",
    "Albion",
    "Heritage",
    "Evergreen",
    "Phoenix",
    "Lakeland",
    "Moorland",
    "Clearwater",
    "Brightside",
    "Cornerstone",
    "Keystone",
    "Greenfield",
    "Westfield",
    "Eastgate",
    "Sterling",
    "Crown",
    "Beacon",
    "Meridian",
    "Horizon",
    "Pinnacle",
    "Trinity",
    "Sovereign",
)
SECOND = (
    "Care",
    "Construction",
    "Plumbing",
    "Electrical",
    "Roofing",
    "Catering",
    "Cleaning",
    "Transport",
    "Taxis",
    "Waste",
    "Recycling",
    "Landscapes",
    "Training",
    "Consulting",
    "Software",
    "Print",
    "Office Supplies",
    "Facilities",
    "Security",
    "Fostering",
    "Home Care",
    "Nursing",
    "Scaffolding",
    "Highways",
    "Surfacing",
    "Joinery",
    "Engineering",
    "Legal",
    "Interiors",
    "Fencing",
)
THIRD = (
    "Services",
    "Solutions",
    "Group",
    "Partnership",
    "Associates",
    "Contractors",
    "Supplies",
    "Systems",
    "Centre",
    "Trust",
    "Co",
    "Works",
    "Agency",
    "Network",
    "Direct",
)
SUFFIX = ("Ltd", "Limited", "LTD.", "Ltd", "", "plc", "LLP", "CIC", "Limited")
SYLLABLES = (
    "ash",
    "ben",
    "car",
    "del",
    "ew",
    "fen",
    "gar",
    "hol",
    "ing",
    "jor",
    "kel",
    "lan",
    "mor",
    "nor",
    "ox",
    "pen",
    "quin",
    "ros",
    "sal",
    "tor",
    "ul",
    "ven",
    "wick",
    "yar",
    "zel",
    "brad",
    "ley",
    "ton",
    "by",
    "ham",
    "worth",
    "field",
    "ford",
    "dale",
)
DISTRICTS = (
    "PR1",
    "PR2",
    "PR5",
    "PR7",
    "BB1",
    "BB2",
    "BB5",
    "FY1",
    "FY4",
    "LA1",
    "LA3",
    "L39",
    "M1",
    "M3",
    "WN8",
    "OL13",
    "LS1",
    "B1",
    "SW1A",
    "EH1",
    "CF10",
)

CH_HEADER = [
    "CompanyName",
    " CompanyNumber",
    "RegAddress.CareOf",
    "RegAddress.POBox",
    "RegAddress.AddressLine1",
    " RegAddress.AddressLine2",
    "RegAddress.PostTown",
    "RegAddress.County",
    "RegAddress.Country",
    "RegAddress.PostCode",
    "CompanyCategory",
    "CompanyStatus",
    "CountryOfOrigin",
    "DissolutionDate",
    "IncorporationDate",
    "Accounts.AccountRefDay",
    "Accounts.AccountRefMonth",
    "Accounts.NextDueDate",
    "Accounts.LastMadeUpDate",
    "Accounts.AccountCategory",
    "Returns.NextDueDate",
    "Returns.LastMadeUpDate",
    "Mortgages.NumMortCharges",
    "Mortgages.NumMortOutstanding",
    "Mortgages.NumMortPartSatisfied",
    "Mortgages.NumMortSatisfied",
    "SICCode.SicText_1",
    "SICCode.SicText_2",
    "SICCode.SicText_3",
    "SICCode.SicText_4",
    "LimitedPartnerships.NumGenPartners",
    "LimitedPartnerships.NumLimPartners",
    "URI",
    *[f"PreviousName_{n}.{part}" for n in range(1, 11) for part in ("CONDATE", "CompanyName")],
    "ConfStmtNextDueDate",
    " ConfStmtLastMadeUpDate",
]
ACCOUNTS = (
    "MICRO ENTITY",
    "TOTAL EXEMPTION FULL",
    "SMALL",
    "UNAUDITED ABRIDGED",
    "MEDIUM",
    "FULL",
    "GROUP",
    "DORMANT",
    "NO ACCOUNTS FILED",
)


def supplier_rows(count: int, seed: int = 9) -> list[tuple[str, str, str, str]]:
    """(supplier number, name, postcode, company number or '') - deterministic."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    n = 0
    while len(rows) < count:
        n += 1
        # Real supplier names mostly carry a word of their own (a surname, a place, a
        # brand); without one, 20,000 names from a few dozen words are all alike.
        own = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        first = own if rng.random() < 0.8 else rng.choice(FIRST)
        name = " ".join(
            p for p in (first, rng.choice(SECOND), rng.choice(THIRD), rng.choice(SUFFIX)) if p
        )
        if name in seen:
            name = f"{name} {n}"
        seen.add(name)
        postcode = (
            f"{rng.choice(DISTRICTS)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
        company = f"{10_000_000 + len(rows):08d}" if rng.random() < 0.5 else ""
        rows.append((f"B{100000 + len(rows)}", name, postcode, company))
        if rng.random() < 0.04 and len(rows) < count:  # a second spelling, another number
            twin = name.replace("Limited", "Ltd") if "Limited" in name else name + " Limited"
            if rng.random() < 0.5:
                twin = twin.replace(" ", "  ").upper().replace("AND", "&")
            rows.append((f"B{100000 + len(rows)}", twin, postcode, ""))
    return rows


def seed_suppliers(count: int) -> None:
    """(Child process) write the suppliers and their sites straight into the tables."""
    import django

    django.setup()
    from django.db import connection, transaction

    from portal.suppliers import name_key

    rows = supplier_rows(count)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY spend_supplier (supplier_number, name, name_key, company_number, "
            "created_at) FROM STDIN"
        ) as copy:
            for number, name, _postcode, company in rows:
                copy.write_row((number, name, name_key(name), company, "2024-01-01"))
        cursor.execute("CREATE TEMPORARY TABLE bench_sites (supplier_number text, postcode text)")
        with raw.copy("COPY bench_sites FROM STDIN") as copy:
            for number, _name, postcode, _company in rows:
                copy.write_row((number, postcode))
        cursor.execute(
            "INSERT INTO spend_suppliersite (supplier_id, site_code, address_line, city, "
            "postcode, district, locality_class) SELECT s.id, 'MAIN', '', '', b.postcode, "
            "split_part(b.postcode, ' ', 1), 'unknown' FROM bench_sites b JOIN spend_supplier "
            "s ON s.supplier_number = b.supplier_number"
        )
        cursor.execute("ANALYZE spend_supplier; ANALYZE spend_suppliersite")
    print(f"{len(rows):,} suppliers")


def write_companies_house(
    path: Path, rows: int, suppliers: list[tuple[str, str, str, str]], seed: int = 11
) -> tuple[int, int]:
    """A Companies House-shaped file: the suppliers' companies among noise rows."""
    rng = random.Random(seed)
    by_number = [s for s in suppliers if s[3]]
    by_name = [s for s in suppliers if not s[3]][: len(suppliers) // 6]
    planted = by_number + by_name
    positions = dict(zip(rng.sample(range(rows), len(planted)), planted, strict=True))
    template = [""] * len(CH_HEADER)
    index = {h.strip(): i for i, h in enumerate(CH_HEADER)}
    i_name, i_number = index["CompanyName"], index["CompanyNumber"]
    i_postcode, i_accounts = index["RegAddress.PostCode"], index["Accounts.AccountCategory"]
    template[index["CompanyCategory"]] = "Private Limited Company"
    template[index["CompanyStatus"]] = "Active"
    template[index["CountryOfOrigin"]] = "United Kingdom"
    template[index["RegAddress.PostTown"]] = "LONDON"
    template[index["IncorporationDate"]] = "01/02/2010"
    template[index["SICCode.SicText_1"]] = "82990 - Other business support service activities"
    i_uri, i_line1 = index["URI"], index["RegAddress.AddressLine1"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\ufeff")
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(CH_HEADER)
        for n in range(rows):
            row = template.copy()
            planted_supplier = positions.get(n)
            if planted_supplier is not None:
                _number, name, postcode, company = planted_supplier
                row[i_name] = name.upper().replace(" LTD", " LIMITED")
                row[i_number] = company or f"{60_000_000 + n:08d}"
                row[i_postcode] = postcode
            else:
                row[i_name] = f"{FIRST[n % 40].upper()} HOLDINGS {n} LIMITED"
                row[i_number] = f"{20_000_000 + n:08d}"
                row[i_postcode] = f"EC{1 + n % 4}A {1 + n % 9}BB"
            row[i_accounts] = ACCOUNTS[n % len(ACCOUNTS)]
            row[i_line1] = f"{1 + n % 200} HIGH STREET"
            row[i_uri] = f"http://business.data.gov.uk/id/company/{row[i_number]}"
            writer.writerow(row)
    return len(by_number), len(by_name)


def load_in_process(path: Path) -> None:
    """(Child process) the load with tracemalloc on, to report the Python heap's peak."""
    import tracemalloc

    import django

    django.setup()
    from suppliers import quality

    tracemalloc.start()
    ch_import = quality.companies_house_paths(path=path)
    _current, peak = tracemalloc.get_traced_memory()
    print(
        f"{ch_import.rows_read:,} read, {ch_import.matched_by_number:,} by number, "
        f"{ch_import.matched_by_name:,} by name; tracemalloc peak {peak / 1024**2:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=20_000)
    parser.add_argument("--ch-rows", type=int, default=5_000_000)
    parser.add_argument(
        "--file", type=Path, default=Path(tempfile.gettempdir()) / "bench_companies_house.csv"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also load once in-process with tracemalloc (slower)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the file and the database")
    parser.add_argument("--child", choices=["seed", "trace"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "seed":
        seed_suppliers(args.suppliers)
        return
    if args.child == "trace":
        load_in_process(args.file)
        return

    name = "portal_bench_quality"
    admin_url = database_url("postgres")
    psql(admin_url, "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}")
    url = database_url(name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
    }
    results: list[tuple[str, float, float, str]] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], env=env, cwd=BASE_DIR, check=True
        )
        _s, _p, out = timed_child(
            [sys.executable, __file__, "--child", "seed", "--suppliers", str(args.suppliers)], env
        )
        print(f"seeded {out}", flush=True)
        seconds, peak, out = timed_child(
            [sys.executable, "manage.py", "find_duplicate_suppliers"], env
        )
        results.append(("duplicate candidates", seconds, peak, out))
        print(f"duplicates: {seconds:.1f} s, {out}", flush=True)

        started = time.perf_counter()
        numbers, names = write_companies_house(
            args.file, args.ch_rows, supplier_rows(args.suppliers)
        )
        size_mb = args.file.stat().st_size / 1024**2
        print(
            f"wrote {args.ch_rows:,} companies ({size_mb:,.0f} MB; {numbers:,} suppliers' "
            f"numbers and {names:,} names planted) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        seconds, peak, out = timed_child(
            [sys.executable, "manage.py", "load_companies_house", str(args.file)], env
        )
        results.append(("Companies House match", seconds, peak, out))
        print(f"companies house: {seconds:.1f} s, {out}", flush=True)
        if args.tracemalloc:
            seconds, _peak, out = timed_child(
                [sys.executable, __file__, "--child", "trace", "--file", str(args.file)], env
            )
            results.append(("  again, with tracemalloc", seconds, 0.0, out))
    finally:
        if not args.keep:
            psql(admin_url, "-c", f"DROP DATABASE IF EXISTS {name}")
            args.file.unlink(missing_ok=True)

    print()
    print(f"{'step':<32}{'seconds':>9}{'peak RSS MB':>13}  output")
    for label, seconds, peak, out in results:
        print(f"{label:<32}{seconds:>9.1f}{peak:>13.0f}  {out}")
    print("\n(peak RSS: of that step's own process, from getrusage in a small wrapper)")
    print("targets: candidates < 30 s for 20,000 suppliers; 5M-row file < 300 s and < 500 MB")


if __name__ == "__main__":
    main()
