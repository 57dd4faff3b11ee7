"""Staging tables: where one chunk of a file's payments waits to be merged into the ledger.

A chunk is three tables named from one prefix: ``P`` (payment rows), ``P_supplier`` (each
supplier met, with its newest name) and ``P_site`` (each supplier site met, first address
wins). The import's own process stages into temporary tables; chunk processes
(``spend.ingest.chunks``) stage into unlogged tables the import's transaction reads.

Django-free on purpose: a chunk process imports only this, the parser and psycopg.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.periods import financial_year_of
from portal.suppliers import name_key
from spend.ingest.parse import Payment

PROGRESS_EVERY_ROWS = 50_000
# Prefixes are made by the import (``spend_chunk_<hex>_<n>`` or ``spend_staging``), never
# from user input; checked anyway since they are spliced into SQL.
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,40}$")

# The payment rows. Supplier names and site addresses are not repeated on every row: each
# row names its supplier site by ``site_ref``, a number within the chunk, and the sites (with
# their supplier) and the suppliers (with their newest name) go to the two small tables,
# which keeps the copy and the merge lean. ``repeated`` marks a natural key met earlier in
# the same chunk (a file's first line of a key counts).
PAYMENT_COLUMNS = (
    "natural_key",
    "layout",
    "site_ref",
    "payment_date",
    "financial_year",
    "invoice_number",
    "invoice_date",
    "payment_reference",
    "amount_pence",
    "currency",
    "cost_centre",
    "account",
    "account_description",
    "description",
    "status",
    "is_spend",
    "category_id",
    "repeated",
    "line_number",
    "order_reference",
    "received_date",
    "terms_date",
    "due_date",
)
# Binary COPY: psycopg's C dumpers format dates and numbers faster than text would.
PAYMENT_TYPES = (
    "text",
    "text",
    "int4",
    "date",
    "int2",
    "text",
    "date",
    "text",
    "int8",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "bool",
    "int8",
    "bool",
    "int4",
    "text",
    "date",
    "date",
    "date",
)

_CREATE = """
CREATE {kind} TABLE {p} (
    natural_key text NOT NULL, layout text NOT NULL, site_ref integer NOT NULL,
    payment_date date NOT NULL, financial_year smallint NOT NULL, invoice_number text,
    invoice_date date, payment_reference text, amount_pence bigint NOT NULL, currency text,
    cost_centre text, account text, account_description text, description text, status text,
    is_spend boolean NOT NULL, category_id bigint, repeated boolean NOT NULL,
    line_number integer NOT NULL, order_reference text, received_date date, terms_date date,
    due_date date
){on_commit};
CREATE {kind} TABLE {p}_supplier (
    supplier_number text NOT NULL, supplier_name text NOT NULL, name_key text NOT NULL,
    payment_date date NOT NULL, aliased boolean NOT NULL DEFAULT false
){on_commit};
CREATE {kind} TABLE {p}_site (
    site_ref integer NOT NULL, supplier_number text NOT NULL, site_code text NOT NULL,
    postcode text NOT NULL, address_line text NOT NULL, city text NOT NULL,
    district text NOT NULL
){on_commit};
CREATE {kind} TABLE {p}_sum (
    financial_year smallint NOT NULL, month date NOT NULL, site_ref integer NOT NULL,
    category_id bigint, total_pence bigint NOT NULL, payment_count bigint NOT NULL
){on_commit};
CREATE {kind} TABLE {p}_void (natural_key text NOT NULL, status text NOT NULL){on_commit}
"""

# The chunk's spend by summary row (sites not yet known as the ledger's), worked out where
# the chunk was staged: the import adds it to the summary when none of the chunk's payments
# were in the ledger already.
_SUM = """
INSERT INTO {p}_sum
SELECT financial_year, date_trunc('month', payment_date)::date, site_ref, category_id,
       sum(amount_pence), count(*)
FROM {p} WHERE is_spend AND NOT repeated
GROUP BY 1, 2, 3, 4
"""


def table_names(prefix: str) -> tuple[str, str, str, str, str]:
    """The payment, supplier, site, spend-sum and not-spend tables of one chunk. The last
    holds the few rows that are not spend (voided, spoiled): a table the planner sees is
    small, so they are looked up in the ledger by its index, never by scanning it."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"not a staging table prefix: {prefix!r}")
    return prefix, f"{prefix}_supplier", f"{prefix}_site", f"{prefix}_sum", f"{prefix}_void"


def create_tables(cursor: Any, prefix: str, *, temporary: bool) -> None:
    """Create a chunk's tables: temporary ones dropped at commit, or unlogged ones (crash-safe
    scratch space other sessions can read; the import drops them when it has merged them)."""
    names = table_names(prefix)
    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(names)}")
    cursor.execute(
        _CREATE.format(
            kind="TEMPORARY" if temporary else "UNLOGGED",
            p=prefix,
            on_commit=" ON COMMIT DROP" if temporary else "",
        )
    )


class Categoriser:
    """Account code -> category id by the longest matching prefix rule (cached per code)."""

    def __init__(self, rules: Iterable[tuple[str, int]]) -> None:
        self.rules = sorted(rules, key=lambda rule: -len(rule[0]))
        self.cache: dict[str, int | None] = {}

    def __call__(self, account: str) -> int | None:
        try:
            return self.cache[account]
        except KeyError:
            found = (
                next((cid for prefix, cid in self.rules if account.startswith(prefix)), None)
                if account
                else None
            )
            self.cache[account] = found
            return found


@dataclass
class StagedChunk:
    """What one chunk put into its staging tables."""

    prefix: str
    rows: int = 0
    not_spend: int = 0
    financial_years: set[int] = field(default_factory=set)
    min_key: str | None = None  # in the database's collation, as the ledger's index has it
    max_key: str | None = None


Progress = Callable[[int], None]


def stage_payments(
    cursor: Any,
    prefix: str,
    payments: Iterable[Payment],
    categorise: Categoriser,
    progress: Progress | None = None,
    freeze: bool = False,
) -> StagedChunk:
    """COPY payments into a chunk's tables (already created); memory stays flat.

    ``freeze``: the tables were created in this transaction, so rows can be written frozen
    and the import's transaction reads them without checking who wrote them."""
    table, supplier_table, site_table, _, void_table = table_names(prefix)
    staged = StagedChunk(prefix)
    suppliers: dict[str, tuple[dt.date, str]] = {}
    # (supplier number, site code, postcode) -> (site_ref, address line, city, district)
    sites: dict[tuple[str, str, str], tuple[int, str, str, str]] = {}
    keys: set[str] = set()
    voids: list[tuple[str, str]] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        # The hot loop of a chunk process: a payment is unpacked in one step (not field by
        # field), and years and categories come from per-value caches.
        years_of_day: dict[dt.date, int] = {}
        categories = categorise.cache
        not_spend = 0
        number = 0
        for number, payment in enumerate(payments, start=1):
            (
                layout,
                key,
                supplier_number,
                name,
                site_code,
                address,
                city,
                postcode,
                district,
                day,
                invoice_number,
                invoice_date,
                reference,
                amount,
                currency,
                cost_centre,
                account,
                account_description,
                description,
                status,
                is_spend,
                line,
                order_reference,
                received_date,
                terms_date,
                due_date,
            ) = payment
            known = suppliers.get(supplier_number)
            if known is None or day >= known[0]:
                suppliers[supplier_number] = (day, name)
            site_key = (supplier_number, site_code, postcode)
            site = sites.get(site_key)
            if site is None:
                site = sites[site_key] = (len(sites), address, city, district)
            if not is_spend:
                not_spend += 1
                voids.append((key, status))
            known_keys = len(keys)
            keys.add(key)
            year = years_of_day.get(day)
            if year is None:
                year = years_of_day[day] = financial_year_of(day)
            category = categories[account] if account in categories else categorise(account)
            yield (
                key,
                layout,
                site[0],
                day,
                year,
                invoice_number,
                invoice_date,
                reference,
                amount,
                currency,
                cost_centre,
                account,
                account_description,
                description,
                status,
                is_spend,
                category,
                len(keys) == known_keys,
                line,
                order_reference,
                received_date,
                terms_date,
                due_date,
            )
            if progress is not None and number % PROGRESS_EVERY_ROWS == 0:
                progress(number)
        staged.financial_years.update(years_of_day.values())
        staged.rows = number
        staged.not_spend = not_spend

    _copy(cursor, table, PAYMENT_COLUMNS, PAYMENT_TYPES, rows(), freeze)
    _copy(
        cursor,
        supplier_table,
        ("supplier_number", "supplier_name", "name_key", "payment_date"),
        ("text", "text", "text", "date"),
        ((number, name, name_key(name), day) for number, (day, name) in suppliers.items()),
        freeze,
    )
    _copy(
        cursor,
        site_table,
        (
            "site_ref",
            "supplier_number",
            "site_code",
            "postcode",
            "address_line",
            "city",
            "district",
        ),
        ("int4",) + ("text",) * 6,
        (site[:1] + site_key + site[1:] for site_key, site in sites.items()),
        freeze,
    )
    _copy(cursor, void_table, ("natural_key", "status"), ("text", "text"), voids, freeze)
    # No ANALYZE: the merge joins the chunk whole, and the planner reads its size from disk.
    cursor.execute(_SUM.format(p=prefix))
    cursor.execute(f"SELECT min(natural_key), max(natural_key) FROM {table}")  # noqa: S608
    staged.min_key, staged.max_key = cursor.fetchone()
    return staged


def _copy(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
    freeze: bool = False,
) -> None:
    """Stream rows to a binary COPY."""
    options = "FORMAT binary, FREEZE" if freeze else "FORMAT binary"
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN ({options})") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
