"""What a native CSV reader would take off an import's parsing process (decision 0009).

    .venv/bin/pip install polars    # not a dependency of the portal: for this bench only
    .venv/bin/python bench/native_parse.py [--file /tmp/spend_bench/r12_fy2021_1m.csv]

One 8 MB part of a generated R12 extract (the ingest bench's 1M-row file, generated if it is
missing), staged twice into a scratch database of its own:

1. as an import's chunk process stages it today (``spend.ingest.chunks.stage_chunk``: the
   csv module, the per-row parser, binary COPY);
2. read by polars, every column normalised once per distinct value by the portal's own
   functions (dates, amounts, names, postcodes, statuses, categories, financial years), the
   natural key, repeats and supplier sites worked out on columns, then written as CSV to COPY.

Prints the CPU seconds of this process for each (threads included; the database server's own
work is not counted in either). The second does less than the first: no suppliers' newest
names, no sums, voids or key range, and no checks (a refused or odd part would be read again
by today's parser), so its figure is the most a native reader could save.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.common import database_url, psql  # noqa: E402  (after the path is set)
from portal.periods import financial_year_of  # noqa: E402
from spend.ingest import normalise  # noqa: E402
from spend.ingest.chunks import ChunkJob, plan_chunks, stage_chunk  # noqa: E402
from spend.ingest.layouts import detect_layout  # noqa: E402
from spend.ingest.readers import _FALLBACK_ERRORS  # noqa: E402
from spend.ingest.staging import Categoriser  # noqa: E402

DATABASE = "portal_bench_native"
RULES = [("5", 1), ("6", 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(tempfile.gettempdir()) / "spend_bench" / "r12_fy2021_1m.csv"  # bench/ingest's
    parser.add_argument("--file", type=Path, default=default)
    parser.add_argument("--part", type=int, default=5, help="which 8 MB part")
    args = parser.parse_args()
    try:
        pl: Any = importlib.import_module("polars")
    except ImportError:
        sys.exit("polars is not installed: .venv/bin/pip install polars (for this bench only)")
    if not args.file.exists():
        from demo.extracts import write_r12_benchmark_csv

        args.file.parent.mkdir(parents=True, exist_ok=True)
        write_r12_benchmark_csv(args.file, rows=1_000_000, seed=1, fy=2021)

    admin = database_url("postgres")
    psql(admin, "-c", f"DROP DATABASE IF EXISTS {DATABASE}", "-c", f"CREATE DATABASE {DATABASE}")
    import psycopg

    with args.file.open(encoding="cp1252") as handle:
        headers = handle.readline().rstrip("\r\n").split(",")
    mapping = detect_layout(headers, "r12")
    assert mapping is not None, f"{args.file} is not an R12 extract"
    plans = plan_chunks(args.file, 8 * 1024 * 1024)
    plan, following = plans[args.part], plans[args.part + 1]
    job = ChunkJob(
        conninfo=database_url(DATABASE),
        path=str(args.file),
        file_name=args.file.name,
        encoding="cp1252",
        delimiter=",",
        layout=mapping.layout.name,
        columns=dict(mapping.columns),
        headers=list(mapping.headers),
        header_line=1,
        category_rules=RULES,
        table_token="native",  # noqa: S106 (a table name, not a secret)
    )
    try:
        with psycopg.connect(job.conninfo, autocommit=True) as connection:
            cursor = connection.cursor()
            started = time.process_time()
            report = stage_chunk(cursor, job, plan)
            today = time.process_time() - started
            started = time.process_time()
            rows = _polars_stage(
                pl, cursor, args.file, headers, plan.start_byte, following.start_byte
            )
            native = time.process_time() - started
            prefix = f"spend_chunk_native_{plan.index}"
            cursor.execute(
                f"SELECT count(*) FROM (SELECT natural_key, payment_date, amount_pence, is_spend,"  # noqa: S608 (ours)
                f" category_id, repeated FROM native_part EXCEPT SELECT natural_key,"
                f" payment_date, amount_pence, is_spend, category_id, repeated FROM {prefix}) d"
            )
            differing = cursor.fetchone()[0]  # type: ignore[index]
    finally:
        psql(admin, "-c", f"DROP DATABASE IF EXISTS {DATABASE}")
    print(f"part {plan.index} of {args.file.name}: {report['rows']:,} rows")
    for label, seconds in (("today's chunk process", today), ("polars, per distinct", native)):
        print(f"  {label:<24}{seconds:6.2f} CPU s  {rows / seconds:9,.0f} rows/CPU s")
    print(f"  rows whose key, date, amount, spend, category or repeat differ: {differing}")


def _polars_stage(
    pl: Any, cursor: Any, path: Path, columns: list[str], start: int, end: int
) -> int:
    with path.open("rb") as handle:
        handle.seek(start)
        raw = handle.read(end - start)
    data = raw.decode("cp1252", errors=_FALLBACK_ERRORS).encode("utf-8")
    frame = pl.read_csv(data, has_header=False, infer_schema=False, new_columns=columns)
    frame = frame.with_columns(pl.all().fill_null("").str.strip_chars())

    def per_value(column: str, function: Any, dtype: Any, name: str) -> Any:
        values = frame.get_column(column).unique()
        return pl.DataFrame(
            {column: values, name: pl.Series([function(v) for v in values.to_list()], dtype=dtype)}
        )

    categorise = Categoriser(RULES)
    postcodes = frame.get_column("ZIP").unique()
    normalised = [normalise.normalise_postcode(v) for v in postcodes.to_list()]
    joins = [
        per_value("CHECK_DATE", normalise.parse_date, pl.Date, "payment_date"),
        per_value("INVOICE_DATE", normalise.parse_date, pl.Date, "invoice_date"),
        per_value("AMOUNT", normalise.parse_amount_pence, pl.Int64, "amount_pence"),
        per_value("VENDOR_NAME", normalise.clean_supplier_name, pl.Utf8, "name"),
        per_value("STATUS_LOOKUP_CODE", normalise.status_is_spend, pl.Boolean, "is_spend"),
        per_value("ACCOUNT", categorise, pl.Int64, "category_id"),
        pl.DataFrame(
            {
                "ZIP": postcodes,
                "postcode": [p for p, _ in normalised],
                "district": [d for _, d in normalised],
            }
        ),
    ]
    out = frame.with_row_index("i")
    for table in joins:
        out = out.join(table, on=table.columns[0], how="left", maintain_order="left")
    days = out.get_column("payment_date").unique()
    years = [financial_year_of(day) for day in days.to_list()]
    out = out.join(
        pl.DataFrame({"payment_date": days, "financial_year": pl.Series(years, dtype=pl.Int16)}),
        on="payment_date",
        how="left",
        maintain_order="left",
    ).with_columns(
        natural_key=pl.concat_str(
            [pl.lit("r12|"), pl.col("INVOICE_PAYMENT_ID"), pl.lit("|"), pl.col("DIST_LINE_NUM")]
        )
    )
    out = out.with_columns(repeated=~pl.col("natural_key").is_first_distinct())
    site = ["VENDOR_NUM", "VENDOR_SITE_CODE", "postcode"]
    sites = out.select(site).unique(keep="first", maintain_order=True).with_row_index("site_ref")
    out = out.join(sites, on=site, how="left", maintain_order="left")
    staged = out.select(
        "natural_key",
        "site_ref",
        "payment_date",
        "financial_year",
        "amount_pence",
        "is_spend",
        "category_id",
        "repeated",
        pl.col("INVOICE_NUM"),
        pl.col("CHECK_NUMBER"),
        pl.col("COST_CENTRE"),
        pl.col("ACCOUNT"),
        pl.col("ACCOUNT_DESCRIPTION"),
        pl.col("DESCRIPTION"),
        pl.col("STATUS_LOOKUP_CODE"),
        "invoice_date",
    )
    text = staged.write_csv(include_header=False, null_value="")
    cursor.execute(
        "CREATE UNLOGGED TABLE native_part (natural_key text, site_ref integer,"
        " payment_date date, financial_year smallint, amount_pence bigint, is_spend boolean,"
        " category_id bigint, repeated boolean, invoice_number text, payment_reference text,"
        " cost_centre text, account text, account_description text, description text,"
        " status text, invoice_date date)"
    )
    with cursor.copy("COPY native_part FROM STDIN (FORMAT csv)") as copy:
        copy.write(text)
    return int(staged.height)


if __name__ == "__main__":
    main()
