"""Loading one file into the ledger: staged in chunks, each merged by natural key.

Everything for one file happens in one database transaction, so a file is either in the
ledger whole or not at all: a bad row found halfway, a database error, or a worker killed
mid-file leaves the ledger exactly as it was (PostgreSQL discards the open transaction).

The file is read in chunks (``spend.ingest.staging``), each merged in file order:
1. the chunk's payments are ``COPY``-ed into unindexed staging tables: by this process for
   a small file, an XLSX workbook or a published spend file; for a large Oracle CSV extract
   by child processes that parse later chunks while this transaction merges earlier ones
   (``spend.ingest.chunks``);
2. supplier numbers left behind by merges (``spend_suppliernumberalias``) resolve to the
   surviving supplier's number; suppliers and supplier sites (classified by postcode) the
   ledger lacks are added, and once the whole file is in, the newest name in it wins (a row
   that came in under an alias never renames the survivor);
3. payments whose natural key the ledger does not have are inserted (the first line of a key
   repeated within the file counts), and payments voided since an earlier extract stop
   counting as spend;
4. the spend each chunk adds, by financial year, month, supplier, locality and category, is
   kept as the chunk merges and added to ``spend_spendsummary`` once the whole file is in,
   then what voids take from it: the dashboards' summary changes with the file instead of
   being rebuilt.

Steps are timed and logged at DEBUG (``LOG_LEVEL=DEBUG manage.py import_spend FILE``).

Imports take a transaction-level advisory lock, so two files never merge at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from spend.ingest.chunks import (
    ChunkJob,
    ChunkPlan,
    ChunkWorkers,
    chunk_rows,
    plan_chunks,
)
from spend.ingest.errors import ImportRejected
from spend.ingest.layouts import FUSION, R12
from spend.ingest.parse import ImportHeader, _payments, iter_payments
from spend.ingest.readers import OpenedFile, sniff_kind
from spend.ingest.staging import (
    Categoriser,
    StagedChunk,
    create_tables,
    stage_payments,
    table_names,
)

logger = logging.getLogger(__name__)

IMPORT_LOCK_ID = 7_340_001  # any fixed number: pg_advisory_xact_lock key for spend imports
# Rows this process stages before merging them (memory stays flat however long the file).
ROWS_PER_CHUNK = 100_000
# Typical bytes per extract row, to turn rows read into a rough share of the file.
BYTES_PER_ROW_ESTIMATE = 220
IN_PROCESS_PREFIX = "spend_staging"

# A number merged into another supplier keeps resolving to it (suppliers.quality merges suppliers):
# rewrite such staged rows to the survivor's number before anything joins on supplier_number.
RESOLVE_ALIASES = """
UPDATE {suppliers} st
   SET supplier_number = s.supplier_number, aliased = true
  FROM spend_suppliernumberalias a
  JOIN spend_supplier s ON s.id = a.supplier_id
 WHERE a.supplier_number = st.supplier_number;
UPDATE {sites} st
   SET supplier_number = s.supplier_number
  FROM spend_suppliernumberalias a
  JOIN spend_supplier s ON s.id = a.supplier_id
 WHERE a.supplier_number = st.supplier_number
"""

# The SQL twin of portal.locality.classify_postcode (tests/spend/test_home_area.py pins the
# two together): the home area is the portal's data, read here as there.
LOCALITY_CASE = """
CASE
    WHEN d.district IS NULL OR d.local_authority = '' THEN 'unknown'
    WHEN lower(d.local_authority) IN (SELECT lower(local_authority)
                                        FROM portal_homeareadistrict) THEN 'home'
    WHEN d.region <> ''
     AND lower(d.region) = (SELECT lower(trim(region)) FROM portal_homearea WHERE id = 1)
        THEN 'region'
    ELSE 'uk'
END
"""

# A changed home area: every site's class again, from the same CASE as new sites get.
RECLASSIFY_SITES = """
UPDATE spend_suppliersite ss
   SET locality_class = c.locality_class
  FROM (SELECT s.id, {locality} AS locality_class
          FROM spend_suppliersite s
          LEFT JOIN spend_postcodedistrict d ON d.district = s.district) c
 WHERE c.id = ss.id AND ss.locality_class <> c.locality_class
"""

# Each chunk adds the suppliers the ledger lacks; the names of all the file's suppliers are
# settled once at the end (SETTLE_SUPPLIER_NAMES), not rewritten chunk after chunk.
ADD_NEW_SUPPLIERS = """
INSERT INTO spend_supplier (supplier_number, name, name_key, name_as_of, company_number,
                            created_at)
SELECT DISTINCT ON (supplier_number)
       supplier_number, left(supplier_name, 240), left(name_key, 240), payment_date, '', now()
FROM {suppliers} st
WHERE NOT aliased
  -- The ledger's suppliers are left out first: cheaper than a conflict for each of them.
  AND NOT EXISTS (SELECT 1 FROM spend_supplier s WHERE s.supplier_number = st.supplier_number)
ORDER BY supplier_number, payment_date DESC
ON CONFLICT (supplier_number) DO NOTHING
"""

CREATE_FILE_SUPPLIERS = """
DROP TABLE IF EXISTS spend_file_supplier;
CREATE TEMPORARY TABLE spend_file_supplier (
    supplier_number text NOT NULL, supplier_name text NOT NULL, name_key text NOT NULL,
    payment_date date NOT NULL, chunk integer NOT NULL
) ON COMMIT DROP
"""

KEEP_SUPPLIER_NAMES = """
INSERT INTO spend_file_supplier
SELECT supplier_number, supplier_name, name_key, payment_date, %(chunk)s
FROM {suppliers} WHERE NOT aliased
"""

# The newest name in the file wins (the later line on the same day), and renames a supplier
# whose name is no newer; a row that came in under an alias never renames the survivor.
SETTLE_SUPPLIER_NAMES = """
INSERT INTO spend_supplier (supplier_number, name, name_key, name_as_of, company_number,
                            created_at)
SELECT DISTINCT ON (supplier_number)
       supplier_number, left(supplier_name, 240), left(name_key, 240), payment_date, '', now()
FROM spend_file_supplier
ORDER BY supplier_number, payment_date DESC, chunk DESC
ON CONFLICT (supplier_number) DO UPDATE
   SET name = EXCLUDED.name, name_key = EXCLUDED.name_key, name_as_of = EXCLUDED.name_as_of
 WHERE spend_supplier.name_as_of IS NULL OR EXCLUDED.name_as_of >= spend_supplier.name_as_of
"""

# LOCALITY_CASE is a constant of this module; the values themselves are bound parameters.
ADD_NEW_SITES = """
INSERT INTO spend_suppliersite (supplier_id, site_code, address_line, city, postcode, district,
                                locality_class)
SELECT DISTINCT ON (s.id, left(st.site_code, 60), left(st.postcode, 12))
       s.id, left(st.site_code, 60), left(st.address_line, 240), left(st.city, 100),
       left(st.postcode, 12), st.district, {locality}
FROM {sites} st
JOIN spend_supplier s ON s.supplier_number = st.supplier_number
LEFT JOIN spend_postcodedistrict d ON d.district = st.district
WHERE NOT EXISTS (SELECT 1 FROM spend_suppliersite known
                   WHERE known.supplier_id = s.id AND known.site_code = left(st.site_code, 60)
                     AND known.postcode = left(st.postcode, 12))
ORDER BY s.id, left(st.site_code, 60), left(st.postcode, 12)
ON CONFLICT (supplier_id, site_code, postcode) DO NOTHING
"""

# The chunk's site_ref -> the ledger's supplier and site: payments join on one integer.
MAP_SITES = """
DROP TABLE IF EXISTS spend_site_map;
CREATE TEMPORARY TABLE spend_site_map ON COMMIT DROP AS
SELECT st.site_ref, s.id AS supplier_id, ss.id AS site_id, ss.locality_class
FROM {sites} st
JOIN spend_supplier s ON s.supplier_number = st.supplier_number
JOIN spend_suppliersite ss ON ss.supplier_id = s.id
     AND ss.site_code = left(st.site_code, 60) AND ss.postcode = left(st.postcode, 12);
ANALYZE spend_site_map
"""

# Imports hold the advisory lock, so nothing else inserts payments meanwhile: a plain insert
# of the keys the ledger lacks is safe, and cheaper than ON CONFLICT's speculative insertion.
INSERT_PAYMENTS = """
INSERT INTO spend_payment (natural_key, layout, batch_id, supplier_id, site_id, category_id,
    payment_date, financial_year, amount_pence, currency, is_spend, status, invoice_number,
    invoice_date, payment_reference, cost_centre, account, account_description, description,
    source_line, order_reference, received_date, terms_date, due_date)
SELECT st.natural_key, st.layout, %(batch_id)s, m.supplier_id, m.site_id, st.category_id,
    st.payment_date, st.financial_year, st.amount_pence, coalesce(st.currency, 'GBP'),
    st.is_spend, left(coalesce(st.status, ''), 40), left(coalesce(st.invoice_number, ''), 100),
    st.invoice_date, left(coalesce(st.payment_reference, ''), 100),
    left(coalesce(st.cost_centre, ''), 100), left(coalesce(st.account, ''), 60),
    left(coalesce(st.account_description, ''), 240), coalesce(st.description, ''),
    st.line_number, left(coalesce(st.order_reference, ''), 100), st.received_date, st.terms_date,
    st.due_date
FROM {payments} st
JOIN spend_site_map m ON m.site_ref = st.site_ref
WHERE NOT st.repeated {not_in_ledger}
"""

# What payments voided since an earlier extract take from spend, by summary row; applied at
# the end of the file (APPLY_VOIDS), when every chunk's spend is in the summary.
CREATE_SUMMARY_CHANGES = """
DROP TABLE IF EXISTS spend_summary_change;
CREATE TEMPORARY TABLE spend_summary_change (
    financial_year smallint NOT NULL, month date NOT NULL, supplier_id bigint NOT NULL,
    locality_class text NOT NULL, category_id bigint, total_pence bigint NOT NULL,
    payment_count bigint NOT NULL
) ON COMMIT DROP
"""

# Asked only when some ledger key lies between the chunk's lowest and highest key.
NOT_IN_LEDGER = """
AND NOT EXISTS (SELECT 1 FROM spend_payment p WHERE p.natural_key = st.natural_key)
"""

# The spend each chunk adds, by summary row, is kept in this unindexed table as the chunk
# merges and added to the summary once per file (ADD_FILE_SUMS): a key that several chunks
# touch (a month spans chunks) is upserted once, not once per chunk.
CREATE_FILE_SUMS = """
DROP TABLE IF EXISTS spend_file_sum;
CREATE TEMPORARY TABLE spend_file_sum (
    financial_year smallint NOT NULL, month date NOT NULL, supplier_id bigint NOT NULL,
    locality_class text NOT NULL, category_id bigint, total_pence bigint NOT NULL,
    payment_count bigint NOT NULL
) ON COMMIT DROP
"""

# A chunk's spend by summary row: from the rows the insert takes (so asked before it) when
# some may be in the ledger already, else from the sums staged with the chunk (one per site).
_KEEP_CHUNK_SUMS = """
WITH added AS (
    SELECT st.financial_year, {month} AS month, m.supplier_id, m.locality_class,
           st.category_id, sum({total}) AS total_pence, sum({count}) AS payment_count
    FROM {source} st
    JOIN spend_site_map m ON m.site_ref = st.site_ref
    {where}
    GROUP BY 1, 2, 3, 4, 5
), kept AS (
    INSERT INTO spend_file_sum SELECT * FROM added
)
SELECT coalesce(sum(total_pence), 0) FROM added
"""
SUM_ADDED = _KEEP_CHUNK_SUMS.format(
    month="date_trunc('month', st.payment_date)::date",
    total="st.amount_pence",
    count="1",
    source="{payments}",
    where="WHERE st.is_spend AND NOT st.repeated {not_in_ledger}",
)
SUM_STAGED = _KEEP_CHUNK_SUMS.format(
    month="st.month", total="st.total_pence", count="st.payment_count", source="{sums}", where=""
)

# The file's spend into the summary, added to the row of its key; in key order, so the
# summary's unique index is walked once instead of hit at random.
ADD_FILE_SUMS = """
INSERT INTO spend_spendsummary AS s (financial_year, month, supplier_id, locality_class,
                                     category_id, total_pence, payment_count)
SELECT financial_year, month, supplier_id, locality_class, category_id, sum(total_pence),
       sum(payment_count)
FROM spend_file_sum
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT ON CONSTRAINT spend_sum_key DO UPDATE
   SET total_pence = s.total_pence + EXCLUDED.total_pence,
       payment_count = s.payment_count + EXCLUDED.payment_count
"""

# A payment the ledger holds as spend that a later extract shows voided stops counting.
MARK_VOIDED = """
WITH voided AS (
    UPDATE spend_payment p
       SET is_spend = false, status = left(coalesce(st.status, ''), 40)
      FROM {voids} st
     WHERE p.natural_key = st.natural_key AND p.is_spend
    RETURNING p.financial_year, p.payment_date, p.supplier_id, p.site_id, p.category_id,
              p.amount_pence
), kept AS (
    INSERT INTO spend_summary_change
    SELECT v.financial_year, date_trunc('month', v.payment_date)::date, v.supplier_id,
           ss.locality_class, v.category_id, -sum(v.amount_pence), -count(*)
    FROM voided v
    JOIN spend_suppliersite ss ON ss.id = v.site_id
    GROUP BY 1, 2, 3, 4, 5
)
SELECT count(*) FROM voided
"""

# The voids, netted per summary row, taken from the summary: rows left with no payments
# deleted, the others updated. (The file's additions are in by then: ADD_FILE_SUMS.)
APPLY_VOIDS = """
CREATE TEMPORARY TABLE spend_summary_net ON COMMIT DROP AS
SELECT financial_year, month, supplier_id, locality_class, category_id,
       sum(total_pence) AS total_pence, sum(payment_count) AS payment_count
FROM spend_summary_change GROUP BY 1, 2, 3, 4, 5;
ANALYZE spend_summary_net;
-- Deleted first: the update would change the counts the delete goes by.
DELETE FROM spend_spendsummary s
 USING spend_summary_net n
 WHERE s.financial_year = n.financial_year AND s.month = n.month
   AND s.supplier_id = n.supplier_id AND s.locality_class = n.locality_class
   AND s.category_id IS NOT DISTINCT FROM n.category_id
   AND s.payment_count + n.payment_count <= 0;
UPDATE spend_spendsummary s
   SET total_pence = s.total_pence + n.total_pence,
       payment_count = s.payment_count + n.payment_count
  FROM spend_summary_net n
 WHERE s.financial_year = n.financial_year AND s.month = n.month
   AND s.supplier_id = n.supplier_id AND s.locality_class = n.locality_class
   AND s.category_id IS NOT DISTINCT FROM n.category_id;
DROP TABLE spend_summary_net
"""

# Every write to the summary bumps its version in the same transaction (spend.selectors keys
# the dashboards' cache on it): an update in place changes the figures as much as new rows do.
BUMP_SUMMARY_VERSION = """
INSERT INTO spend_summaryversion (id, version) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET version = spend_summaryversion.version + 1
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

# The indexes of spend_payment an import may drop and build again (_IndexesSetAside): all
# but the primary key's and the natural key's, which the merge itself asks (no unique one).
SECONDARY_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'spend_payment'::regclass AND NOT i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""

# Scratch tables of chunk processes whose import stopped before dropping them.
LEFTOVER_CHUNK_TABLES = """
SELECT c.relname FROM pg_class c
 WHERE c.relname LIKE 'spend\\_chunk\\_%%' AND c.relkind = 'r' AND c.relpersistence = 'u'
   AND pg_table_is_visible(c.oid)
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


class _StepClock:
    """Seconds each step of a load took, logged at DEBUG (``LOG_LEVEL=DEBUG``) for tuning."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.last = time.perf_counter()
        self.totals: dict[str, float] = {}

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.totals[step] = self.totals.get(step, 0.0) + now - self.last
        self.last = now

    def log(self) -> None:
        for step, seconds in self.totals.items():
            logger.debug("import %s: %s took %.2f s", self.file_name, step, seconds)


def rebuild_summaries(years: Iterable[int]) -> None:
    """Recompute the dashboard summary rows for these financial years from the ledger."""
    years = sorted(set(years))
    with connection.cursor() as cursor:
        if years:
            cursor.execute(REBUILD_SUMMARY, {"years": years})
        cursor.execute(BUMP_SUMMARY_VERSION)


def _category_rules() -> list[tuple[str, int]]:
    from spend.models import CategoryRule  # noqa: PLC0415  (chunk processes import this module before Django is set up)

    return list(CategoryRule.objects.values_list("account_prefix", "category_id"))


def _conninfo() -> str:
    """How a chunk process reaches the database this connection uses (the test database
    too); passed on its stdin, so a password never shows in a process list."""
    from psycopg.conninfo import make_conninfo  # noqa: PLC0415  (chunk processes import this module before Django is set up)

    db = connection.settings_dict
    params: dict[str, Any] = {
        # Connection options from DATABASE_URL (sslmode, sslrootcert, ...) apply to them too;
        # the few that are Django's or psycopg's own, not libpq's, are left out.
        key: value
        for key, value in (db.get("OPTIONS") or {}).items()
        if isinstance(value, (str, int))
        and not isinstance(value, bool)
        and key not in _NOT_LIBPQ_OPTIONS
    }
    params.update(
        dbname=db["NAME"],
        user=db.get("USER"),
        password=db.get("PASSWORD"),
        host=db.get("HOST"),
        port=str(db["PORT"]) if db.get("PORT") else None,
    )
    return make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})


_NOT_LIBPQ_OPTIONS = frozenset(
    {
        "isolation_level",
        "server_side_binding",
        "assume_role",
        "prepare_threshold",
        "cursor_factory",
        "pool",
        "autocommit",
    }
)


class _Merger:
    """Merges staged chunks into the ledger, in this transaction, in file order."""

    def __init__(
        self,
        cursor: Any,
        batch_id: int,
        result: LoadResult,
        clock: _StepClock,
    ) -> None:
        self.cursor = cursor
        self.batch_id = batch_id
        self.result = result
        self.clock = clock
        self.years: set[int] = set()
        self.total_added = 0
        self.chunks = 0
        self.counted = self._counted()
        self.unanalysed = 0  # suppliers and sites added since the statistics were taken
        cursor.execute("SELECT EXISTS (SELECT 1 FROM spend_suppliernumberalias)")
        self.any_aliases = bool(cursor.fetchone()[0])
        cursor.execute(CREATE_SUMMARY_CHANGES)
        cursor.execute(CREATE_FILE_SUPPLIERS)
        cursor.execute(CREATE_FILE_SUMS)

    def _counted(self) -> int:
        """Suppliers and sites as the planner's statistics count them (-1: never counted)."""
        self.cursor.execute(
            "SELECT sum(greatest(reltuples, 0)) FROM pg_class"
            " WHERE oid IN ('spend_supplier'::regclass, 'spend_suppliersite'::regclass)"
        )
        return int(self.cursor.fetchone()[0] or 0)

    def merge(self, staged: StagedChunk) -> None:
        cursor = self.cursor
        payments, suppliers, sites, sums, voids = table_names(staged.prefix)
        names = {
            "payments": payments,
            "suppliers": suppliers,
            "sites": sites,
            "sums": sums,
            "voids": voids,
        }
        self.years |= staged.financial_years
        self.result.rows_not_spend += staged.not_spend
        self.chunks += 1
        if not staged.rows:
            return
        if self.any_aliases:
            cursor.execute(RESOLVE_ALIASES.format(**names))
        cursor.execute(ADD_NEW_SUPPLIERS.format(**names))
        new_rows = max(cursor.rowcount, 0)
        cursor.execute(KEEP_SUPPLIER_NAMES.format(**names), {"chunk": self.chunks})
        cursor.execute(ADD_NEW_SITES.format(locality=LOCALITY_CASE, **names))
        new_rows += max(cursor.rowcount, 0)
        self.unanalysed += new_rows
        if analyse_due(self.unanalysed, self.counted):
            cursor.execute("ANALYZE spend_supplier, spend_suppliersite")
            self.counted, self.unanalysed = self._counted(), 0
        cursor.execute(MAP_SITES.format(**names))
        self.clock.done("suppliers and sites")

        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM spend_payment WHERE natural_key BETWEEN %s AND %s)",
            [staged.min_key, staged.max_key],
        )
        overlaps = bool(cursor.fetchone()[0])
        if overlaps:  # summed from the rows themselves, before they are in the ledger
            cursor.execute(SUM_ADDED.format(not_in_ledger=NOT_IN_LEDGER, **names))
            self.total_added += int(cursor.fetchone()[0])
        cursor.execute(
            INSERT_PAYMENTS.format(not_in_ledger=NOT_IN_LEDGER if overlaps else "", **names),
            {"batch_id": self.batch_id},
        )
        added = max(cursor.rowcount, 0)
        self.result.rows_added += added
        self.clock.done("insert payments")
        if added and not overlaps:  # every row not repeated went in: the staged sums hold
            cursor.execute(SUM_STAGED.format(**names))
            self.total_added += int(cursor.fetchone()[0])
            self.clock.done("sum what was added")
        if staged.not_spend and (overlaps or added):
            cursor.execute(MARK_VOIDED.format(**names))
            self.result.rows_voided_later += int(cursor.fetchone()[0])
            self.clock.done("mark voided")

    def finish(self) -> None:
        result = self.result
        result.rows_already_present = result.rows_read - result.rows_added
        result.total_added_pence = self.total_added
        result.financial_years = sorted(self.years)
        self.cursor.execute(SETTLE_SUPPLIER_NAMES)
        self.clock.done("supplier names")
        if result.rows_added:
            self.cursor.execute(ADD_FILE_SUMS)
        if result.rows_added or result.rows_voided_later:
            self.cursor.execute(BUMP_SUMMARY_VERSION)
        if result.rows_voided_later:
            self.cursor.execute(APPLY_VOIDS)
        self.clock.done("summaries")


# Statistics on suppliers and sites are refreshed once the file has added this many of them,
# and a tenth of what the statistics last counted (at once, into tables counted empty), so the
# planner never takes them for much smaller than they are; a monthly file adding a few
# thousand sites to a ledger's hundred thousand does not pay for an ANALYZE per chunk (about
# 80 ms each at 10M payments).
ANALYZE_AFTER_NEW_ROWS = 1_000
ANALYZE_AFTER_SHARE = 10


def analyse_due(added: int, counted: int) -> bool:
    """Whether suppliers and sites added since the statistics were taken (``counted`` rows)
    call for new statistics before the next chunk's joins are planned."""
    if counted <= 0:
        return added > 0
    return added >= max(ANALYZE_AFTER_NEW_ROWS, counted // ANALYZE_AFTER_SHARE)


class _IndexesSetAside:
    """spend_payment's secondary indexes, dropped for a file much larger than the ledger and
    built again from their own definitions before the transaction ends (DDL is transactional:
    a file that fails leaves them as they were). Building an index over the whole table after
    the insert is a sort; inserting the rows one by one into each of them costs more when the
    ledger is small beside the file (decision 0009). Dropping takes the table's exclusive
    lock: pages that read payments wait until the file is in, so it is kept to big loads."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        cursor.execute(SECONDARY_INDEXES)
        self.definitions: list[tuple[str, str]] = list(cursor.fetchall())
        if self.definitions:
            cursor.execute("DROP INDEX " + ", ".join(f'"{name}"' for name, _ in self.definitions))

    @staticmethod
    def wanted(cursor: Any, expected_rows: int) -> bool:
        """Whether the file is big enough, and the ledger small enough beside it."""
        least = settings.SPEND_IMPORT_INDEX_REBUILD_ROWS
        if least <= 0 or expected_rows < least:
            return False
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'spend_payment'::regclass")
        if float(cursor.fetchone()[0]) * 2 >= expected_rows:  # statistics: clearly not
            return False
        cutoff = expected_rows // 2
        cursor.execute("SELECT count(*) FROM (SELECT 1 FROM spend_payment LIMIT %s) held", [cutoff])
        return int(cursor.fetchone()[0]) < cutoff

    def rebuild(self) -> None:
        if not self.definitions:
            return
        # The sorts of the builds in memory (the server's, not this process's).
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in self.definitions:
            self.cursor.execute(definition)


def _may_split(file: Any, mapping: Mapping[str, str] | None) -> bool:
    """Whether the file is a CSV file large enough, and given as a path, to be read by child
    processes (a workbook is not opened twice to find out)."""
    if not (
        settings.SPEND_IMPORT_WORKERS >= 1
        and mapping is None
        and isinstance(file, (str, os.PathLike))
        and os.path.getsize(file) >= 2 * settings.SPEND_IMPORT_CHUNK_BYTES
    ):
        return False
    with open(file, "rb") as handle:
        head = handle.read(8192)
    try:
        return sniff_kind(head) == "csv"
    except ImportRejected:
        return False  # reading it in this process says why


def _is_cut(header: ImportHeader) -> bool:
    """Only Oracle CSV extracts are cut (a published file numbers repeated rows across the
    whole file; a workbook is read as a whole)."""
    return header.kind == "csv" and header.layout in (R12.name, FUSION.name)


def _in_process_chunks(
    cursor: Any,
    payments: Iterator[Any],
    categorise: Categoriser,
    report: Progress,
    expected_rows: int,
    rows_before: int = 0,
) -> Iterator[StagedChunk]:
    """Stage the payments here, ROWS_PER_CHUNK at a time, into temporary tables."""
    read = rows_before

    def progress(rows: int) -> None:
        share = min(0.95, (read + rows) / max(expected_rows, 1))
        report(int(5 + 85 * share), f"Read {read + rows:,} rows")

    while True:
        create_tables(cursor, IN_PROCESS_PREFIX, temporary=True)
        staged = stage_payments(
            cursor, IN_PROCESS_PREFIX, islice(payments, ROWS_PER_CHUNK), categorise, progress
        )
        read += staged.rows
        yield staged
        if staged.rows < ROWS_PER_CHUNK:
            return


def _drop_chunk_tables(cursor: Any, prefix: str | None = None) -> None:
    if prefix is None:
        cursor.execute(LEFTOVER_CHUNK_TABLES)
        names = [row[0] for row in cursor.fetchall()]
    else:
        names = list(table_names(prefix))
    for start in range(0, len(names), 100):
        cursor.execute(
            "DROP TABLE IF EXISTS " + ", ".join(f'"{name}"' for name in names[start : start + 100])
        )


def load_file(
    file: str | os.PathLike[str] | IO[bytes],
    *,
    file_name: str,
    batch_id: int,
    layout_hint: str = "auto",
    mapping: Mapping[str, str] | None = None,
    size_bytes: int = 0,
    progress: Progress | None = None,
    redaction_markers: Iterable[str] | None = None,
    sundry_numbers: Iterable[str] = (),
    good_rows_only: bool = False,
) -> tuple[ImportHeader, LoadResult]:
    """Load one file in one transaction. Raises ``ImportRejected`` (and rolls back) if bad.

    ``redaction_markers`` (default: the parser's list) and ``sundry_numbers`` say which
    payees are redacted and which supplier numbers many payees share. ``good_rows_only``: bad
    rows are set aside (``header.refused_rows``) instead of refusing the file; read here."""
    report: Progress = progress or (lambda percent, message: None)
    result = LoadResult()
    clock = _StepClock(file_name)
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
        # Summing a chunk's changes by summary row in memory, not in temporary files.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        split = not good_rows_only and _may_split(file, mapping)
        options: dict[str, Any] = {
            "sundry_numbers": tuple(sundry_numbers),
            "good_rows_only": good_rows_only,
        }
        if redaction_markers is not None:
            options["redaction_markers"] = tuple(redaction_markers)
        header, payments = iter_payments(
            file, file_name, layout_hint, mapping, header_only=split, **options
        )
        result.layout = header.layout
        result.column_mapping = header.column_mapping
        report(
            5, f"Reading {header.layout} file ({header.kind}, header on line {header.header_line})"
        )
        _drop_chunk_tables(cursor)  # left by an import that was stopped
        merger = _Merger(cursor, batch_id, result, clock)
        rules = _category_rules()
        clock.done("header")
        expected_rows = max(_file_size(file, size_bytes) // BYTES_PER_ROW_ESTIMATE, 1)
        set_aside = None
        if _IndexesSetAside.wanted(cursor, expected_rows):
            set_aside = _IndexesSetAside(cursor)
            clock.done("set indexes aside")
        resume: ChunkPlan | None = None
        in_parts = split and _is_cut(header)
        if in_parts:
            in_parts, resume = _merge_parallel(cursor, merger, header, file, rules, report, clock)
            if resume is not None:
                payments = _payments_from(header, file, resume)
        if split and not in_parts:  # not cut after all: read it here
            header, payments = iter_payments(file, file_name, layout_hint, mapping, **options)
        if not in_parts or resume is not None:
            _merge_in_process(
                cursor,
                merger,
                header,
                payments,
                Categoriser(rules),
                report,
                clock,
                expected_rows,
            )
        report(90, f"Read {result.rows_read:,} payment rows; updating the dashboard summaries")
        merger.finish()
        if set_aside is not None:
            set_aside.rebuild()
            clock.done("rebuild indexes")
    clock.done("commit")
    clock.log()
    return header, result


def _file_size(file: Any, size_bytes: int) -> int:
    if size_bytes or not isinstance(file, (str, os.PathLike)):
        return size_bytes
    return os.path.getsize(file)


def _merge_in_process(
    cursor: Any,
    merger: _Merger,
    header: ImportHeader,
    payments: Iterator[Any],
    categorise: Categoriser,
    report: Progress,
    clock: _StepClock,
    expected_rows: int,
) -> None:
    """Read (the rest of) the file in this process; ``header`` counts what it reads."""
    rows_before = merger.result.rows_read
    for staged in _in_process_chunks(
        cursor, payments, categorise, report, expected_rows, rows_before
    ):
        clock.done("read and stage")
        merger.merge(staged)
    merger.result.rows_read = rows_before + header.payment_rows
    merger.result.rows_skipped += header.skipped_rows


def _payments_from(header: ImportHeader, file: Any, plan: ChunkPlan) -> Iterator[Any]:
    """The payments from the start of a chunk to the end of the file, counted on ``header``
    (reset here: the counts so far came from the children)."""
    header.payment_rows = header.skipped_rows = 0
    opened = OpenedFile(file)
    rows = chunk_rows(
        opened.handle,
        header.encoding,
        header.delimiter,
        ChunkPlan(plan.index, plan.start_byte, plan.start_line, None),
        header.header_line,
    )
    return _payments(header, rows, opened, False)


def _merge_parallel(
    cursor: Any,
    merger: _Merger,
    header: ImportHeader,
    file: Any,
    rules: list[tuple[str, int]],
    report: Progress,
    clock: _StepClock,
) -> tuple[bool, ChunkPlan | None]:
    """Cut the file and merge the chunks child processes stage. Returns whether it was cut
    (not if it is a single chunk) and the chunk to read on from here if a cut turned out not
    to be at a record boundary."""
    workers = ChunkWorkers(settings.SPEND_IMPORT_WORKERS)
    try:
        plans = plan_chunks(file, settings.SPEND_IMPORT_CHUNK_BYTES)
        clock.done("plan")
        if len(plans) < 2:
            return False, None
        resume = _merge_chunks(cursor, merger, header, file, plans, rules, workers, report, clock)
    finally:
        workers.close()
    if resume is not None:
        _drop_chunk_tables(cursor)  # the stopped children's tables, no longer wanted
    return True, resume


def _merge_chunks(
    cursor: Any,
    merger: _Merger,
    header: ImportHeader,
    file: Any,
    plans: list[ChunkPlan],
    rules: list[tuple[str, int]],
    workers: ChunkWorkers,
    report: Progress,
    clock: _StepClock,
) -> ChunkPlan | None:
    job = ChunkJob(
        conninfo=_conninfo(),
        path=os.fspath(file),
        file_name=header.file_name,
        encoding=header.encoding,
        delimiter=header.delimiter,
        layout=header.layout,
        columns=dict(header.mapping.columns),
        headers=list(header.mapping.headers),
        header_line=header.header_line,
        category_rules=rules,
        table_token=secrets.token_hex(4),
        redaction_keys=sorted(header.redaction_keys),
        sundry_numbers=sorted(header.sundry_numbers),
    )
    workers.start(job, plans)
    logger.info(
        "import %s: reading %d parts in %d processes",
        header.file_name,
        len(plans),
        len(workers.workers),
    )
    for plan in plans:
        chunk = workers.report(plan.index)
        clock.done("wait for the first chunk" if plan.index == 0 else "wait for chunks")
        if chunk.get("mismatch"):
            logger.info(
                "import %s: part %d of %d was not cut at a record boundary; "
                "reading on in one process",
                header.file_name,
                plan.index + 1,
                len(plans),
            )
            return plan
        if "rejected" in chunk:
            refusal = chunk["rejected"]
            raise ImportRejected(
                refusal["reason"],
                file_name=header.file_name,
                line_number=refusal["line_number"],
                column=refusal["column"],
            )
        staged = StagedChunk(
            chunk["prefix"],
            rows=chunk["rows"],
            not_spend=chunk["not_spend"],
            financial_years=set(chunk["financial_years"]),
            min_key=chunk["min_key"],
            max_key=chunk["max_key"],
        )
        merger.result.rows_read += staged.rows
        merger.result.rows_skipped += chunk["skipped"]
        merger.merge(staged)
        _drop_chunk_tables(cursor, staged.prefix)
        report(
            int(5 + 85 * (plan.index + 1) / len(plans)),
            f"Read {merger.result.rows_read:,} rows (part {plan.index + 1} of {len(plans)})",
        )
    return None
