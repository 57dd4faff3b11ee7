"""Loading one file into the ledger: COPY into a staging table, then merge by natural key.

Everything for one file happens in one database transaction, so a file is either in the
ledger whole or not at all: a bad row found halfway, a database error, or a worker killed
mid-file leaves the ledger exactly as it was (PostgreSQL discards the open transaction).

Steps, all inside that transaction:

1. ``COPY`` the parsed rows (``spend.ingest.parse``) into a temporary, unindexed table;
2. resolve supplier numbers left behind by merges (``spend_suppliernumberalias``) to the
   surviving supplier's number, then upsert suppliers (the newest name wins; a row that came
   in under an alias never renames the survivor) and supplier sites (classified by postcode);
3. insert payments whose natural key the ledger does not have (an anti-join; the first line
   of a key repeated within the file), and mark payments voided since an earlier extract as
   not spend;
4. rebuild ``spend_spendsummary`` for the financial years the file touches.

Imports take a transaction-level advisory lock, so two files never rebuild the same
year's summary at once.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from spend.ingest.normalise import financial_year, name_key
from spend.ingest.parse import ImportHeader, Payment, iter_payments

IMPORT_LOCK_ID = 7_340_001  # any fixed number: pg_advisory_xact_lock key for spend imports
PROGRESS_EVERY_ROWS = 50_000
# Typical bytes per extract row, to turn rows read into a rough share of the file.
BYTES_PER_ROW_ESTIMATE = 220

# The payment rows of the file. Supplier names and site addresses are not repeated here on
# every row: they are collected while reading (one entry per supplier and per site) and go to
# the two small tables below, which keeps the copy and the merge lean.
STAGING_COLUMNS = (
    "natural_key", "layout", "supplier_number", "site_code", "postcode", "payment_date",
    "financial_year", "invoice_number", "invoice_date", "payment_reference", "amount_pence",
    "currency", "cost_centre", "account", "account_description", "description", "status",
    "is_spend", "line_number",
)
# Binary COPY: psycopg's C dumpers format dates and numbers faster than text would.
STAGING_TYPES = (
    "text", "text", "text", "text", "text", "date", "int2", "text", "date", "text", "int8",
    "text", "text", "text", "text", "text", "text", "bool", "int4",
)

CREATE_STAGING = """
CREATE TEMPORARY TABLE spend_staging (
    natural_key text NOT NULL, layout text NOT NULL, supplier_number text NOT NULL,
    site_code text NOT NULL, postcode text NOT NULL, payment_date date NOT NULL,
    financial_year smallint NOT NULL, invoice_number text, invoice_date date,
    payment_reference text, amount_pence bigint NOT NULL, currency text, cost_centre text,
    account text, account_description text, description text, status text,
    is_spend boolean NOT NULL, line_number integer NOT NULL
) ON COMMIT DROP;
CREATE TEMPORARY TABLE spend_staging_supplier (
    supplier_number text NOT NULL, supplier_name text NOT NULL, name_key text NOT NULL,
    payment_date date NOT NULL, aliased boolean NOT NULL DEFAULT false
) ON COMMIT DROP;
CREATE TEMPORARY TABLE spend_staging_site (
    supplier_number text NOT NULL, site_code text NOT NULL, postcode text NOT NULL,
    address_line text NOT NULL, city text NOT NULL, district text NOT NULL
) ON COMMIT DROP
"""
STAGING_TABLES = "spend_staging, spend_staging_supplier, spend_staging_site, spend_account_category"

# A number merged into another supplier keeps resolving to it (spend.quality merges suppliers):
# rewrite such staged rows to the survivor's number before anything joins on supplier_number.
RESOLVE_ALIASES = """
UPDATE spend_staging st
   SET supplier_number = s.supplier_number
  FROM spend_suppliernumberalias a
  JOIN spend_supplier s ON s.id = a.supplier_id
 WHERE a.supplier_number = st.supplier_number;
UPDATE spend_staging_supplier st
   SET supplier_number = s.supplier_number, aliased = true
  FROM spend_suppliernumberalias a
  JOIN spend_supplier s ON s.id = a.supplier_id
 WHERE a.supplier_number = st.supplier_number;
UPDATE spend_staging_site st
   SET supplier_number = s.supplier_number
  FROM spend_suppliernumberalias a
  JOIN spend_supplier s ON s.id = a.supplier_id
 WHERE a.supplier_number = st.supplier_number
"""

LOCALITY_CASE = """
CASE
    WHEN d.district IS NULL THEN 'unknown'
    WHEN d.local_authority IN (SELECT local_authority FROM spend_homeareaauthority) THEN 'home'
    WHEN d.region = %(home_region)s THEN 'region'
    ELSE 'uk'
END
"""

UPSERT_SUPPLIERS = """
INSERT INTO spend_supplier (supplier_number, name, name_key, name_as_of, company_number,
                            created_at)
SELECT DISTINCT ON (supplier_number)
       supplier_number, left(supplier_name, 240), left(name_key, 240), payment_date, '', now()
FROM spend_staging_supplier
WHERE NOT aliased
ORDER BY supplier_number, payment_date DESC
ON CONFLICT (supplier_number) DO UPDATE
   SET name = EXCLUDED.name, name_key = EXCLUDED.name_key, name_as_of = EXCLUDED.name_as_of
 WHERE spend_supplier.name_as_of IS NULL OR EXCLUDED.name_as_of >= spend_supplier.name_as_of
"""

# LOCALITY_CASE is a constant of this module; the values themselves are bound parameters.
UPSERT_SITES = f"""
INSERT INTO spend_suppliersite (supplier_id, site_code, address_line, city, postcode, district,
                                locality_class)
SELECT DISTINCT ON (s.id, left(st.site_code, 60), left(st.postcode, 12))
       s.id, left(st.site_code, 60), left(st.address_line, 240), left(st.city, 100),
       left(st.postcode, 12), st.district, {LOCALITY_CASE}
FROM spend_staging_site st
JOIN spend_supplier s ON s.supplier_number = st.supplier_number
LEFT JOIN spend_postcodedistrict d ON d.district = st.district
ORDER BY s.id, left(st.site_code, 60), left(st.postcode, 12)
ON CONFLICT (supplier_id, site_code, postcode) DO NOTHING
"""  # noqa: S608

INSERT_PAYMENTS = """
INSERT INTO spend_payment (natural_key, layout, batch_id, supplier_id, site_id, category_id,
    payment_date, financial_year, amount_pence, currency, is_spend, status, invoice_number,
    invoice_date, payment_reference, cost_centre, account, account_description, description,
    source_line)
SELECT DISTINCT ON (st.natural_key)
    st.natural_key, st.layout, %(batch_id)s, s.id, ss.id, ac.category_id,
    st.payment_date, st.financial_year, st.amount_pence, coalesce(st.currency, 'GBP'),
    st.is_spend, left(coalesce(st.status, ''), 40), left(coalesce(st.invoice_number, ''), 100),
    st.invoice_date, left(coalesce(st.payment_reference, ''), 100),
    left(coalesce(st.cost_centre, ''), 100), left(coalesce(st.account, ''), 60),
    left(coalesce(st.account_description, ''), 240), coalesce(st.description, ''),
    st.line_number
FROM spend_staging st
JOIN spend_supplier s ON s.supplier_number = st.supplier_number
JOIN spend_suppliersite ss ON ss.supplier_id = s.id
     AND ss.site_code = left(st.site_code, 60) AND ss.postcode = left(st.postcode, 12)
LEFT JOIN spend_account_category ac ON ac.account = st.account
-- Imports hold the advisory lock, so nothing else inserts payments meanwhile: a plain insert
-- of the keys the ledger lacks is safe, and cheaper than ON CONFLICT's speculative insertion.
WHERE NOT EXISTS (SELECT 1 FROM spend_payment p WHERE p.natural_key = st.natural_key)
-- A key twice in one file: its first line counts. In key order, the unique index on
-- natural_key is built up page by page, not at random.
ORDER BY st.natural_key, st.line_number
"""

# A payment the ledger holds as spend that a later extract shows voided stops counting.
MARK_VOIDED = """
UPDATE spend_payment p
   SET is_spend = false, status = left(coalesce(st.status, ''), 40)
  FROM spend_staging st
 WHERE NOT st.is_spend AND p.natural_key = st.natural_key AND p.is_spend
"""

REBUILD_SUMMARY = """
DELETE FROM spend_spendsummary WHERE financial_year = ANY(%(years)s);
INSERT INTO spend_spendsummary (financial_year, month, supplier_id, locality_class,
                                category_id, total_pence, payment_count)
SELECT p.financial_year, date_trunc('month', p.payment_date)::date, p.supplier_id,
       ss.locality_class, p.category_id, sum(p.amount_pence), count(*)
FROM spend_payment p
JOIN spend_suppliersite ss ON ss.id = p.site_id
WHERE p.is_spend AND p.financial_year = ANY(%(years)s)
GROUP BY 1, 2, 3, 4, 5;
"""

Progress = Callable[[int, str], None]


@dataclass
class LoadResult:
    layout: str = ""
    rows_read: int = 0
    rows_added: int = 0
    rows_already_present: int = 0
    rows_not_spend: int = 0
    rows_skipped: int = 0
    rows_voided_later: int = 0
    total_added_pence: int = 0
    financial_years: list[int] = field(default_factory=list)
    column_mapping: dict[str, str] = field(default_factory=dict)


@dataclass
class _Seen:
    """Suppliers (newest name) and sites met while reading the file."""

    suppliers: dict[str, tuple[dt.date, str]] = field(default_factory=dict)
    sites: dict[tuple[str, str, str], tuple[str, str, str]] = field(default_factory=dict)
    not_spend: int = 0


def _staging_rows(payments: Iterable[Payment], seen: _Seen, progress: Progress,
                  expected_rows: int) -> Iterator[tuple[Any, ...]]:
    suppliers, sites = seen.suppliers, seen.sites
    for number, payment in enumerate(payments, start=1):
        supplier_number, day = payment.supplier_number, payment.payment_date
        known = suppliers.get(supplier_number)
        if known is None or day >= known[0]:
            suppliers[supplier_number] = (day, payment.supplier_name)
        site = (supplier_number, payment.site_code, payment.postcode)
        if site not in sites:
            sites[site] = (payment.address_line, payment.city, payment.district)
        if not payment.is_spend:
            seen.not_spend += 1
        yield (
            payment.natural_key, payment.layout, supplier_number, payment.site_code,
            payment.postcode, day, financial_year(day), payment.invoice_number,
            payment.invoice_date, payment.payment_reference, payment.amount_pence,
            payment.currency, payment.cost_centre, payment.account,
            payment.account_description, payment.description, payment.status,
            payment.is_spend, payment.line_number,
        )
        if number % PROGRESS_EVERY_ROWS == 0:
            share = min(0.95, number / max(expected_rows, 1))
            progress(int(5 + 60 * share), f"Read {number:,} rows")


def _copy(cursor: Any, table: str, columns: Sequence[str], types: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> None:
    """Stream rows to a binary COPY: memory stays flat however long the file is."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def _copy_suppliers_and_sites(cursor: Any, seen: _Seen) -> None:
    _copy(cursor, "spend_staging_supplier",
          ("supplier_number", "supplier_name", "name_key", "payment_date"),
          ("text", "text", "text", "date"),
          ((number, name, name_key(name), day)
           for number, (day, name) in seen.suppliers.items()))
    _copy(cursor, "spend_staging_site",
          ("supplier_number", "site_code", "postcode", "address_line", "city", "district"),
          ("text",) * 6,
          (site + details for site, details in seen.sites.items()))


def _account_categories(cursor: Any) -> None:
    """Map each account code in the file to a category by the longest matching rule."""
    from spend.models import CategoryRule

    rules = sorted(CategoryRule.objects.values_list("account_prefix", "category_id"),
                   key=lambda rule: -len(rule[0]))
    cursor.execute("SELECT DISTINCT account FROM spend_staging WHERE account IS NOT NULL")
    accounts = [row[0] for row in cursor.fetchall()]
    cursor.execute("CREATE TEMPORARY TABLE spend_account_category "
                   "(account text PRIMARY KEY, category_id bigint) ON COMMIT DROP")
    mapping = []
    for account in accounts:
        for prefix, category_id in rules:
            if account.startswith(prefix):
                mapping.append((account, category_id))
                break
    if mapping:
        cursor.executemany("INSERT INTO spend_account_category VALUES (%s, %s)", mapping)


def rebuild_summaries(years: Iterable[int]) -> None:
    """Recompute the dashboard summary rows for these financial years from the ledger."""
    years = sorted(set(years))
    if years:
        with connection.cursor() as cursor:
            cursor.execute(REBUILD_SUMMARY, {"years": years})


def load_file(
    file: str | os.PathLike[str] | IO[bytes],
    *,
    file_name: str,
    batch_id: int,
    layout_hint: str = "auto",
    mapping: Mapping[str, str] | None = None,
    size_bytes: int = 0,
    progress: Progress | None = None,
) -> tuple[ImportHeader, LoadResult]:
    """Load one file in one transaction. Raises ``ImportRejected`` (and rolls back) if bad."""
    report: Progress = progress or (lambda percent, message: None)
    seen = _Seen()
    result = LoadResult()
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
        # Sorting a million staged keys in memory, not in temporary files (this import only).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        header, payments = iter_payments(file, file_name, layout_hint, mapping)
        result.layout = header.layout
        result.column_mapping = header.column_mapping
        report(5, f"Reading {header.layout} file ({header.kind}, header on line "
                  f"{header.header_line})")
        # Inside an enclosing transaction (tests, a command importing several files) the
        # previous file's temporary tables are still there until the outer commit.
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLES}")
        cursor.execute(CREATE_STAGING)
        expected = max(size_bytes // BYTES_PER_ROW_ESTIMATE, 1)
        _copy(cursor, "spend_staging", STAGING_COLUMNS, STAGING_TYPES,
              _staging_rows(payments, seen, report, expected))
        _copy_suppliers_and_sites(cursor, seen)
        result.rows_read = header.payment_rows
        result.rows_skipped = header.skipped_rows
        result.rows_not_spend = seen.not_spend
        report(65, f"Read {result.rows_read:,} payment rows; matching suppliers")

        cursor.execute(RESOLVE_ALIASES)
        cursor.execute("ANALYZE spend_staging")
        cursor.execute(UPSERT_SUPPLIERS)
        cursor.execute(UPSERT_SITES, {"home_region": settings.HOME_REGION})
        _account_categories(cursor)
        # Fresh statistics for what was just written, or the planner expects a handful of
        # rows and probes the category table a million times instead of hashing it once.
        cursor.execute("ANALYZE spend_supplier, spend_suppliersite, spend_account_category")
        report(75, "Adding new payments to the ledger")
        cursor.execute(INSERT_PAYMENTS, {"batch_id": batch_id})
        result.rows_added = max(cursor.rowcount, 0)
        result.rows_already_present = result.rows_read - result.rows_added
        cursor.execute(MARK_VOIDED)
        result.rows_voided_later = max(cursor.rowcount, 0)
        cursor.execute(
            "SELECT coalesce(sum(amount_pence) FILTER (WHERE is_spend), 0) FROM spend_payment "
            "WHERE batch_id = %s", [batch_id])
        result.total_added_pence = int(cursor.fetchone()[0])
        cursor.execute("SELECT DISTINCT financial_year FROM spend_staging ORDER BY 1")
        result.financial_years = [int(row[0]) for row in cursor.fetchall()]
        if result.rows_added or result.rows_voided_later:  # else the summaries still hold
            report(88, "Updating the dashboard summaries for "
                       + ", ".join(f"{y}/{(y + 1) % 100:02d}" for y in result.financial_years))
            rebuild_summaries(result.financial_years)
    return header, result
