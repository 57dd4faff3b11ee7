"""Supplier data quality: duplicate candidates, merge and undo, Companies House enrichment.

The writes behind issue 9 (the reads are in ``suppliers.selectors``):

- ``duplicates_refresh``: candidate pairs found set-based in SQL (normalised names, their
  trading-as parts and the name without its legal form; the same company number, VAT number
  or postcode) and by trigram similarity of name keys (``suppliers.similar``, pg_trgm's measure
  without needing the extension), ranked, with the reasons; pairs marked not the same are
  never offered again. Also the ``spend.duplicates`` job.
- ``supplier_merge`` / ``supplier_merge_undo``: payments, sites and summaries move to the
  survivor; the old supplier number becomes a ``SupplierNumberAlias`` so later imports land
  on the survivor; the ``SupplierMerge`` record holds who, when, why, and all undo needs.
- ``supplier_not_duplicate_mark`` and ``supplier_quality_update`` (size band override, SME and
  VCFS flags, company and VAT numbers).
- ``companies_house_load``: the free company data file streamed, the candidate rows COPYed
  into a staging table, matched in SQL (company number first, then name key and registered
  postcode), one ``CompaniesHouseRecord`` per matched supplier. Also the
  ``spend.companies_house`` job.

Contract register rows keep the supplier number they were entered with; after a merge that
number resolves to the survivor through the alias (``suppliers.selectors.supplier_for_number``),
so a merge never edits the register and undo never has to put it back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from portal import services as portal_services
from portal.jobs import JobFailed, Progress
from portal.models import Job, User
from portal.suppliers import company_number_sql, name_key, normalise_company_number
from spend.ingest.load import IMPORT_LOCK_ID, rebuild_summaries
from spend.ingest.normalise import REDACTED_SUPPLIER_NUMBER, normalise_postcode
from spend.models import (
    CompaniesHouseImport,
    CompaniesHouseRecord,
    DuplicateCandidate,
    Payment,
    SizeBand,
    SpendSummary,
    Supplier,
    SupplierMerge,
    SupplierNotDuplicate,
    SupplierNumberAlias,
    SupplierSite,
)
from suppliers.similar import similar_pairs, similarity, trigrams

DUPLICATES_JOB_KIND = "spend.duplicates"
COMPANIES_HOUSE_JOB_KIND = "spend.companies_house"

# Trigram similarity (0-1) above which two name keys are a candidate pair.
SIMILARITY_THRESHOLD = 0.6
# A postcode shared by more suppliers than this (a business park, a PO box) says nothing.
POSTCODE_GROUP_LIMIT = 10


class QualityError(Exception):
    """A data-quality action refused; the message says why, in plain words."""


# --- Size bands ----------------------------------------------------------------------------------

# Companies House ``Accounts.AccountCategory`` → size band. The accounts a company may file
# depend on its size (Companies Act thresholds), so the category is a size hint, not a
# measurement; an officer can override it per supplier.
ACCOUNTS_SIZE_BANDS: dict[str, str] = {
    "MICRO ENTITY": SizeBand.MICRO,
    "SMALL": SizeBand.SMALL,
    "TOTAL EXEMPTION SMALL": SizeBand.SMALL,
    "TOTAL EXEMPTION FULL": SizeBand.SMALL,  # audit-exempt: only small companies may be
    "UNAUDITED ABRIDGED": SizeBand.SMALL,  # abridged accounts: small companies only
    "AUDITED ABRIDGED": SizeBand.SMALL,
    "PARTIAL EXEMPTION": SizeBand.SMALL,
    "MEDIUM": SizeBand.MEDIUM,
    "FULL": SizeBand.LARGE,
    "GROUP": SizeBand.LARGE,
    # Subsidiaries exempt because a parent guarantees them, dormant companies, and no
    # accounts yet: the category says nothing about size.
    "AUDIT EXEMPTION SUBSIDIARY": SizeBand.UNKNOWN,
    "FILING EXEMPTION SUBSIDIARY": SizeBand.UNKNOWN,
    "DORMANT": SizeBand.UNKNOWN,
    "NO ACCOUNTS FILED": SizeBand.UNKNOWN,
    "ACCOUNTS TYPE NOT AVAILABLE": SizeBand.UNKNOWN,
    "INITIAL": SizeBand.UNKNOWN,
}
SME_BANDS = {SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM}
# CompanyCategory values that are voluntary, community or faith sector bodies by their form.
VCFS_CATEGORY_PATTERNS = (
    "COMMUNITY INTEREST",
    "CHARITABLE",
    "REGISTERED SOCIETY",
    "INDUSTRIAL AND PROVIDENT",
    "CHARITY",
)
# Companies limited by guarantee are often charities but not always: unknown.
UNSURE_CATEGORY_PATTERNS = ("GUARANT", "GUAR")


def size_band_for(accounts_category: str) -> str:
    """The size band an accounts category implies ('unknown' when it implies none)."""
    return ACCOUNTS_SIZE_BANDS.get(" ".join(accounts_category.upper().split()), SizeBand.UNKNOWN)


def derived_is_sme(band: str) -> bool | None:
    if band in SME_BANDS:
        return True
    if band == SizeBand.LARGE:
        return False
    return None


def derived_is_vcfs(company_category: str) -> bool | None:
    category = company_category.upper()
    if not category:
        return None
    if any(pattern in category for pattern in VCFS_CATEGORY_PATTERNS):
        return True
    if any(pattern in category for pattern in UNSURE_CATEGORY_PATTERNS):
        return None
    return False


def normalise_vat_number(text: str) -> str:
    """'GB 123 4567 89' → '123456789' (spaces and the GB prefix dropped)."""
    compact = re.sub(r"[\s.\-]+", "", text or "").upper()
    return compact[2:] if compact.startswith("GB") else compact


# --- Duplicate candidates ------------------------------------------------------------------------

# The name in words without its legal form: "SMITH AND SONS LTD" and "SMITH AND SONS" meet.
_LEGAL_FORM = r"\m(LTD|PLC|LLP|LP|CIC|CO|COMPANY|UK|CYF|CYFYNGEDIG|INC|CORP)\M"


_DIFFERENT_COMPANIES = (
    f"(a.company_number <> '' AND b.company_number <> '' AND "
    f"{company_number_sql('a.company_number')} <> "
    f"{company_number_sql('b.company_number')})"
)

CANDIDATE_PAIRS_SQL = f"""
CREATE TEMPORARY TABLE quality_keys ON COMMIT DROP AS
SELECT id AS supplier_id, name_key AS key, 'name' AS kind FROM spend_supplier
 WHERE length(name_key) >= 3
UNION ALL
SELECT id, trim(split_part(name_key, ' TA ', 2)), 'trading' FROM spend_supplier
 WHERE name_key LIKE '%% TA %%'
UNION ALL
SELECT id, trim(split_part(name_key, ' TA ', 1)), 'trading' FROM spend_supplier
 WHERE name_key LIKE '%% TA %%'
UNION ALL
SELECT id, btrim(regexp_replace(regexp_replace(name_key, '{_LEGAL_FORM}', '', 'g'),
                                '\\s+', ' ', 'g')), 'core'
  FROM spend_supplier WHERE length(name_key) >= 3;
DELETE FROM quality_keys WHERE length(key) < 3;

CREATE TEMPORARY TABLE quality_numbers ON COMMIT DROP AS
SELECT id AS supplier_id, 'company' AS kind, {company_number_sql("company_number")} AS value
  FROM spend_supplier WHERE company_number <> ''
UNION
SELECT supplier_id, 'company', company_number FROM spend_companieshouserecord
 WHERE company_number <> ''
UNION
SELECT id, 'vat', vat_number FROM spend_supplier WHERE vat_number <> ''
UNION
SELECT supplier_id, 'postcode', postcode FROM spend_suppliersite WHERE postcode LIKE '%% %%'
UNION
SELECT supplier_id, 'postcode', reg_postcode FROM spend_companieshouserecord
 WHERE reg_postcode LIKE '%% %%';
DELETE FROM quality_numbers q USING (
    SELECT value FROM quality_numbers WHERE kind = 'postcode'
     GROUP BY value HAVING count(DISTINCT supplier_id) > %(postcode_limit)s) crowded
 WHERE q.kind = 'postcode' AND q.value = crowded.value;

CREATE TEMPORARY TABLE quality_pairs (low bigint, high bigint, reason text, weight numeric)
    ON COMMIT DROP;

INSERT INTO quality_pairs
SELECT DISTINCT least(a.supplier_id, b.supplier_id), greatest(a.supplier_id, b.supplier_id),
       CASE WHEN a.kind = 'name' AND b.kind = 'name'
                THEN 'Same name once normalised (case, punctuation, Ltd/Limited, &/and)'
            WHEN a.kind = 'trading' OR b.kind = 'trading'
                THEN 'Trading name (t/a) matches the other''s name'
            ELSE 'Same name apart from the legal form (Ltd, plc, LLP, UK)' END,
       CASE WHEN a.kind = 'name' AND b.kind = 'name' THEN 0.9
            WHEN a.kind = 'trading' OR b.kind = 'trading' THEN 0.8 ELSE 0.75 END
  FROM quality_keys a JOIN quality_keys b ON a.key = b.key AND a.supplier_id <> b.supplier_id
 WHERE NOT (a.kind = 'core' AND b.kind <> 'core') AND NOT (b.kind = 'core' AND a.kind <> 'core');

-- Similar names: quality_similar is filled beforehand (suppliers/similar.py).
INSERT INTO quality_pairs
SELECT a.id, b.id, 'Similar name (' || round(p.similarity * 100) || '%% alike)',
       0.5 + 0.4 * p.similarity
  FROM quality_similar p
  JOIN spend_supplier a ON a.id = p.low
  JOIN spend_supplier b ON b.id = p.high
 WHERE a.name_key <> b.name_key;

INSERT INTO quality_pairs
SELECT DISTINCT least(a.supplier_id, b.supplier_id), greatest(a.supplier_id, b.supplier_id),
       CASE a.kind WHEN 'company' THEN 'Same company number ' || a.value
                   WHEN 'vat' THEN 'Same VAT number ' || a.value
                   ELSE 'Same postcode ' || a.value END,
       CASE a.kind WHEN 'company' THEN 1.0 WHEN 'vat' THEN 0.95 ELSE 0.3 END
  FROM quality_numbers a JOIN quality_numbers b
    ON a.kind = b.kind AND a.value = b.value AND a.supplier_id < b.supplier_id;
"""  # noqa: S608  (_LEGAL_FORM is a constant of this module)

# quality_pair_similarity holds the name similarity of every pair found (suppliers/similar.py).
SCORES_SQL = f"""
DELETE FROM spend_duplicatecandidate;
INSERT INTO spend_duplicatecandidate (supplier_low_id, supplier_high_id, score, similarity,
                                      reasons, found_at)
SELECT p.low, p.high,
       greatest(0, least(1, max(p.weight)
            + 0.05 * (count(DISTINCT p.reason) - 1)
            + CASE WHEN bool_and(p.weight = 0.3) THEN 0.4 * s.similarity ELSE 0 END
            - CASE WHEN {_DIFFERENT_COMPANIES} THEN 0.4 ELSE 0 END)),
       s.similarity,
       to_jsonb(array_agg(DISTINCT p.reason ORDER BY p.reason))
         || CASE WHEN {_DIFFERENT_COMPANIES}
                 THEN '["But different company numbers"]'::jsonb ELSE '[]'::jsonb END,
       now()
  FROM quality_pairs p
  JOIN quality_pair_similarity s ON s.low = p.low AND s.high = p.high
  JOIN spend_supplier a ON a.id = p.low
  JOIN spend_supplier b ON b.id = p.high
 WHERE NOT EXISTS (SELECT 1 FROM spend_suppliernotduplicate n
                    WHERE n.supplier_low_id = p.low AND n.supplier_high_id = p.high)
 GROUP BY p.low, p.high, s.similarity, a.company_number, b.company_number;
"""  # noqa: S608  (constants of this module only)


_NUMBER = re.compile(r"\d+")


def _numbers_differ(first: str, second: str) -> bool:
    """Both names carry numbers, and not the same ones: "Unit 4 Ltd" and "Unit 5 Ltd",
    "St Mary's 2 Academy" and "St Mary's 3 Academy" are other organisations, however alike
    the rest of the name reads."""
    a, b = set(_NUMBER.findall(first)), set(_NUMBER.findall(second))
    return bool(a and b and a != b)


@transaction.atomic
def duplicates_refresh(*, threshold: float = SIMILARITY_THRESHOLD) -> int:
    """Replace the candidate pairs with a fresh set; returns how many there are."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TABLE IF EXISTS quality_keys, quality_numbers, quality_pairs, "
            "quality_similar, quality_pair_similarity"
        )
        cursor.execute("SELECT id, name_key FROM spend_supplier")
        keys = dict(cursor.fetchall())
        names = {pk: trigrams(key) for pk, key in keys.items()}
        cursor.execute(
            "CREATE TEMPORARY TABLE quality_similar "
            "(low bigint, high bigint, similarity real) ON COMMIT DROP"
        )
        with cursor.copy("COPY quality_similar (low, high, similarity) FROM STDIN") as copy:
            for low, high, alike in similar_pairs(
                [(pk, grams) for pk, grams in names.items() if grams], threshold
            ):
                if not _numbers_differ(keys[low], keys[high]):
                    copy.write_row((low, high, alike))
        cursor.execute(CANDIDATE_PAIRS_SQL, {"postcode_limit": POSTCODE_GROUP_LIMIT})
        cursor.execute("SELECT DISTINCT low, high FROM quality_pairs")
        pairs = cursor.fetchall()
        cursor.execute(
            "CREATE TEMPORARY TABLE quality_pair_similarity "
            "(low bigint, high bigint, similarity real) ON COMMIT DROP"
        )
        with cursor.copy("COPY quality_pair_similarity (low, high, similarity) FROM STDIN") as copy:
            for low, high in pairs:
                copy.write_row((low, high, similarity(names[low], names[high])))
        cursor.execute(SCORES_SQL)
        # Redacted payments are many people, never one supplier to merge.
        cursor.execute(
            "DELETE FROM spend_duplicatecandidate WHERE supplier_low_id IN (SELECT id FROM "
            "spend_supplier WHERE supplier_number = %(n)s) OR supplier_high_id IN (SELECT id "
            "FROM spend_supplier WHERE supplier_number = %(n)s)",
            {"n": REDACTED_SUPPLIER_NUMBER},
        )
    return DuplicateCandidate.objects.count()


def duplicates_start(*, user: User | None) -> Job:
    return portal_services.job_start(
        kind=DUPLICATES_JOB_KIND, title="Find duplicate suppliers", user=user
    )


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@transaction.atomic
def supplier_not_duplicate_mark(
    *, first: Supplier, second: Supplier, user: User | None, reason: str = ""
) -> SupplierNotDuplicate:
    """Record that two suppliers are not the same: the pair is never offered again."""
    if first.pk == second.pk:
        raise QualityError("A supplier cannot be marked as different from itself.")
    low, high = _ordered(first.pk, second.pk)
    mark, _ = SupplierNotDuplicate.objects.get_or_create(
        supplier_low_id=low, supplier_high_id=high, defaults={"decided_by": user, "reason": reason}
    )
    DuplicateCandidate.objects.filter(supplier_low_id=low, supplier_high_id=high).delete()
    return mark


# --- Merge and undo ------------------------------------------------------------------------------

# Survivor fields a merge fills in from the merged supplier when the survivor's are blank.
FILLED_FIELDS = ("company_number", "vat_number", "is_sme", "is_vcfs")


class _ExactEncoder(DjangoJSONEncoder):
    """Keeps microseconds (DjangoJSONEncoder drops them), so undo restores times exactly."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.date | dt.time):
            return o.isoformat()
        return super().default(o)


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=_ExactEncoder))


def _row(instance: Any) -> dict[str, Any]:
    return _as_json(
        {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    )


def _from_row(model: Any, row: dict[str, Any]) -> Any:
    values = {}
    for f in model._meta.concrete_fields:
        if f.attname in row:
            value = row[f.attname]
            values[f.attname] = value if f.is_relation else f.to_python(value)
    return model(**values)


def _lock_ledger() -> None:
    """Merges and imports never interleave: both take the import lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])


@transaction.atomic
def supplier_merge(
    *, survivor: Supplier, merged: Supplier, user: User | None, reason: str = ""
) -> SupplierMerge:
    """Merge ``merged`` into ``survivor``: its spend, sites and numbers now belong to it."""
    if survivor.pk == merged.pk:
        raise QualityError("Choose two different suppliers to merge.")
    _lock_ledger()
    found = {
        s.pk: s
        for s in Supplier.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    }
    if len(found) != 2:
        raise QualityError("One of the suppliers no longer exists (merged already?).")
    survivor, merged = found[survivor.pk], found[merged.pk]

    payments = Payment.objects.filter(supplier=merged)
    payment_ids = sorted(payments.values_list("id", flat=True))
    years = sorted(set(payments.values_list("financial_year", flat=True)))
    total = payments.filter(is_spend=True).aggregate(t=Sum("amount_pence"))["t"] or 0

    survivor_sites = {(s.site_code, s.postcode): s.pk for s in survivor.sites.all()}
    moved_sites: list[int] = []
    folded: list[dict[str, Any]] = []
    for site in merged.sites.order_by("pk"):
        target = survivor_sites.get((site.site_code, site.postcode))
        if target is None:
            moved_sites.append(site.pk)
            continue
        on_site = sorted(Payment.objects.filter(site=site).values_list("id", flat=True))
        Payment.objects.filter(site=site).update(site_id=target)
        folded.append({"site": _row(site), "into": target, "payment_ids": on_site})
    SupplierSite.objects.filter(pk__in=moved_sites).update(supplier=survivor)
    payments.update(supplier=survivor)
    SpendSummary.objects.filter(supplier=merged).delete()

    filled: dict[str, Any] = {}
    for name in FILLED_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if mine in ("", None) and theirs not in ("", None):
            filled[name] = mine
            setattr(survivor, name, theirs)
    if filled:
        survivor.save(update_fields=list(filled))

    record = CompaniesHouseRecord.objects.filter(supplier=merged).first()
    companies_house = None
    if record is not None:
        companies_house = {"row": _row(record), "moved": not _has_ch(survivor)}
        if companies_house["moved"]:
            CompaniesHouseRecord.objects.filter(pk=record.pk).update(supplier=survivor)
    marks = SupplierNotDuplicate.objects.filter(
        supplier_low=merged
    ) | SupplierNotDuplicate.objects.filter(supplier_high=merged)
    alias_numbers = sorted(merged.aliases.values_list("supplier_number", flat=True))

    merge = SupplierMerge.objects.create(
        survivor=survivor,
        survivor_fields=_as_json(filled),
        merged_supplier_id=merged.pk,
        merged_number=merged.supplier_number,
        merged_name=merged.name,
        merged_fields=_row(merged),
        payment_ids=payment_ids,
        site_ids=moved_sites,
        folded_sites=folded,
        alias_numbers=alias_numbers,
        companies_house=companies_house,
        not_duplicates=[_row(mark) for mark in marks],
        financial_years=years,
        total_pence=total,
        reason=reason,
        performed_by=user,
    )
    merged.aliases.update(supplier=survivor)
    SupplierNumberAlias.objects.create(
        supplier_number=merged.supplier_number, supplier=survivor, merge=merge
    )
    merged.delete()
    rebuild_summaries(years)
    return merge


def _has_ch(supplier: Supplier) -> bool:
    return CompaniesHouseRecord.objects.filter(supplier=supplier).exists()


def merge_blocker(merge: SupplierMerge) -> str:
    """Why this merge cannot be undone now ('' when it can)."""
    if merge.undone_at is not None:
        return "This merge has already been undone."
    if not Supplier.objects.filter(pk=merge.survivor_id).exists():
        later = SupplierMerge.objects.filter(
            merged_supplier_id=merge.survivor_id, undone_at__isnull=True
        ).first()
        name = f" (into {later.survivor})" if later else ""
        return f"The surviving supplier was itself merged later{name}: undo that merge first."
    later = SupplierMerge.objects.filter(
        survivor_id=merge.survivor_id, undone_at__isnull=True, pk__gt=merge.pk
    ).first()
    if later is not None:
        return (
            f"{later.merged_name} was merged into the same supplier later: undo that merge first."
        )
    return ""


@transaction.atomic
def supplier_merge_undo(*, merge: SupplierMerge, user: User | None, reason: str = "") -> Supplier:
    """Put a merged supplier back exactly as it was, with its payments, sites and numbers.

    Payments imported after the merge under the old number onto a site that came with the
    merged supplier go back with that site; ones that landed on one of the survivor's own
    sites stay with the survivor (nothing records which number they came in under).
    """
    _lock_ledger()
    merge = SupplierMerge.objects.select_for_update().get(pk=merge.pk)
    blocker = merge_blocker(merge)
    if blocker:
        raise QualityError(blocker)
    survivor = Supplier.objects.select_for_update().get(pk=merge.survivor_id)
    restored = _from_row(Supplier, merge.merged_fields)
    restored.save(force_insert=True)
    SupplierNumberAlias.objects.filter(supplier_number=merge.merged_number).delete()
    SupplierNumberAlias.objects.filter(supplier_number__in=merge.alias_numbers).update(
        supplier=restored
    )

    SupplierSite.objects.filter(pk__in=merge.site_ids).update(supplier=restored)
    folded_site_ids = []
    for fold in merge.folded_sites:
        site = _from_row(SupplierSite, fold["site"])
        site.save(force_insert=True)
        folded_site_ids.append(site.pk)
        Payment.objects.filter(pk__in=fold["payment_ids"]).update(site=site)
    Payment.objects.filter(pk__in=merge.payment_ids).update(supplier=restored)
    Payment.objects.filter(site_id__in=merge.site_ids).update(supplier=restored)

    for name, value in merge.survivor_fields.items():
        setattr(survivor, name, value)
    if merge.survivor_fields:
        survivor.save(update_fields=list(merge.survivor_fields))
    if merge.companies_house:
        if merge.companies_house["moved"]:
            CompaniesHouseRecord.objects.filter(supplier=survivor).update(supplier=restored)
        else:
            _from_row(CompaniesHouseRecord, merge.companies_house["row"]).save(force_insert=True)
    for row in merge.not_duplicates:
        _from_row(SupplierNotDuplicate, row).save(force_insert=True)

    years = set(merge.financial_years) | set(
        Payment.objects.filter(supplier=restored).values_list("financial_year", flat=True)
    )
    rebuild_summaries(years)
    merge.undone_at = timezone.now()
    merge.undone_by = user
    merge.undo_reason = reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    return restored


# --- Supplier data edits -------------------------------------------------------------------------


def supplier_effective_band(supplier: Supplier) -> str:
    if supplier.size_band_override:
        return supplier.size_band_override
    record = CompaniesHouseRecord.objects.filter(supplier=supplier).first()
    return record.size_band if record else ""


@transaction.atomic
def supplier_quality_update(
    *,
    supplier: Supplier,
    size_band_override: str,
    sme: str,
    vcfs: str,
    company_number: str,
    vat_number: str,
) -> Supplier:
    """Save an officer's corrections. ``sme``/``vcfs``: 'auto' (from Companies House data),
    'yes' or 'no'."""
    if size_band_override not in {"", *SizeBand.values}:
        raise QualityError(f"Unknown size band {size_band_override!r}.")
    supplier.size_band_override = size_band_override
    supplier.company_number = normalise_company_number(company_number)
    supplier.vat_number = normalise_vat_number(vat_number)[:20]
    supplier.size_band = supplier_effective_band(supplier)
    record = CompaniesHouseRecord.objects.filter(supplier=supplier).first()
    supplier.sme_set_by_officer = sme in {"yes", "no"}
    supplier.is_sme = {"yes": True, "no": False}.get(sme, derived_is_sme(supplier.size_band))
    supplier.vcfs_set_by_officer = vcfs in {"yes", "no"}
    supplier.is_vcfs = {"yes": True, "no": False}.get(
        vcfs, derived_is_vcfs(record.category) if record else None
    )
    supplier.save(
        update_fields=[
            "size_band_override",
            "company_number",
            "vat_number",
            "size_band",
            "is_sme",
            "sme_set_by_officer",
            "is_vcfs",
            "vcfs_set_by_officer",
        ]
    )
    return supplier


# --- Companies House enrichment ------------------------------------------------------------------

CH_COLUMNS = {
    "name": "CompanyName",
    "number": "CompanyNumber",
    "postcode": "RegAddress.PostCode",
    "category": "CompanyCategory",
    "status": "CompanyStatus",
    "accounts": "Accounts.AccountCategory",
}
CH_SIC_COLUMNS = tuple(f"SICCode.SicText_{n}" for n in range(1, 5))
CH_REQUIRED = ("name", "number")
CH_PROGRESS_EVERY = 200_000
CH_COPY_CHUNK = 5_000

CH_STAGING = """
CREATE TEMPORARY TABLE ch_staging (
    company_number text NOT NULL, company_name text, name_key text, postcode text,
    category text, status text, accounts_category text, size_band text, sic_codes jsonb
) ON COMMIT DROP
"""
CH_STAGING_COLUMNS = (
    "company_number",
    "company_name",
    "name_key",
    "postcode",
    "category",
    "status",
    "accounts_category",
    "size_band",
    "sic_codes",
)

CH_MATCH = """
CREATE INDEX ON ch_staging (company_number);
CREATE INDEX ON ch_staging (name_key, postcode);
ANALYZE ch_staging;

CREATE TEMPORARY TABLE ch_match ON COMMIT DROP AS
SELECT DISTINCT ON (s.id) s.id AS supplier_id, c.*, 'number'::text AS matched_by
  FROM spend_supplier s
  JOIN ch_staging c ON c.company_number =
       CASE WHEN s.company_number ~ '^[0-9]+$' THEN lpad(s.company_number, 8, '0')
            ELSE upper(s.company_number) END
 WHERE s.company_number <> ''
 ORDER BY s.id, (c.status = 'Active') DESC;

INSERT INTO ch_match
SELECT DISTINCT ON (s.id) s.id, c.*, 'name'
  FROM spend_supplier s
  JOIN ch_staging c ON c.name_key = s.name_key AND c.postcode <> ''
 WHERE s.company_number = ''
   AND EXISTS (SELECT 1 FROM spend_suppliersite ss
                WHERE ss.supplier_id = s.id AND ss.postcode = c.postcode)
   AND (SELECT count(DISTINCT c2.company_number) FROM ch_staging c2
         JOIN spend_suppliersite ss2 ON ss2.postcode = c2.postcode AND ss2.supplier_id = s.id
        WHERE c2.name_key = s.name_key) = 1
 ORDER BY s.id;

INSERT INTO spend_companieshouserecord (supplier_id, company_number, company_name, status,
    category, reg_postcode, accounts_category, size_band, sic_codes, matched_by, source_id,
    updated_at)
SELECT supplier_id, company_number, left(coalesce(company_name, ''), 240),
       left(coalesce(status, ''), 80), left(coalesce(category, ''), 120),
       left(coalesce(postcode, ''), 12), left(coalesce(accounts_category, ''), 60),
       size_band, coalesce(sic_codes, '[]'::jsonb), matched_by, %(import_id)s, now()
  FROM ch_match
ON CONFLICT (supplier_id) DO UPDATE SET
    company_number = EXCLUDED.company_number, company_name = EXCLUDED.company_name,
    status = EXCLUDED.status, category = EXCLUDED.category,
    reg_postcode = EXCLUDED.reg_postcode, accounts_category = EXCLUDED.accounts_category,
    size_band = EXCLUDED.size_band, sic_codes = EXCLUDED.sic_codes,
    matched_by = EXCLUDED.matched_by, source_id = EXCLUDED.source_id,
    updated_at = EXCLUDED.updated_at;
"""

# The SQL twins of size_band_for/derived_is_sme/derived_is_vcfs, for every matched supplier.
_BAND = "(CASE WHEN s.size_band_override <> '' THEN s.size_band_override ELSE r.size_band END)"
CH_UPDATE_SUPPLIERS = f"""
UPDATE spend_supplier s SET
    company_number = CASE WHEN s.company_number = '' THEN r.company_number
                          ELSE s.company_number END,
    size_band = {_BAND},
    is_sme = CASE WHEN s.sme_set_by_officer THEN s.is_sme
                  WHEN {_BAND} IN ('micro', 'small', 'medium') THEN true
                  WHEN {_BAND} = 'large' THEN false END,
    is_vcfs = CASE WHEN s.vcfs_set_by_officer THEN s.is_vcfs
                   WHEN r.category = '' THEN NULL
                   WHEN upper(r.category) ~ %(vcfs)s THEN true
                   WHEN upper(r.category) ~ %(unsure)s THEN NULL
                   ELSE false END
  FROM spend_companieshouserecord r
 WHERE r.supplier_id = s.id AND r.source_id = %(import_id)s
"""  # noqa: S608  (_BAND is a constant of this module)


@contextmanager
def _open_text(path: Path) -> Iterator[tuple[IO[str], IO[bytes], int]]:
    """The CSV as text (a BOM dropped), the binary stream under it, and its size in bytes.

    Companies House publishes the file zipped; a .zip is read from its first .csv member.
    """
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
            if not members:
                raise JobFailed("The zip file holds no CSV file.")
            with archive.open(members[0]) as binary:
                yield (
                    io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline=""),
                    binary,
                    members[0].file_size,
                )
        return
    with path.open("rb") as binary:
        yield (
            io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline=""),
            binary,
            path.stat().st_size,
        )


def _column_indexes(header: list[str]) -> tuple[dict[str, int], list[int]]:
    cleaned = [cell.strip().lstrip("\ufeff").strip() for cell in header]
    positions = {name: i for i, name in enumerate(cleaned)}
    missing = [CH_COLUMNS[key] for key in CH_REQUIRED if CH_COLUMNS[key] not in positions]
    if missing:
        raise JobFailed(
            "This is not a Companies House company data file: the header has no "
            + " or ".join(missing)
            + " column. Upload BasicCompanyDataAsOneFile (CSV or zip)."
        )
    indexes = {key: positions.get(column, -1) for key, column in CH_COLUMNS.items()}
    sics = [positions[c] for c in CH_SIC_COLUMNS if c in positions]
    return indexes, sics


def _match_sets() -> tuple[set[str], set[str]]:
    numbers = {
        normalise_company_number(n)
        for n in Supplier.objects.exclude(company_number="").values_list(
            "company_number", flat=True
        )
    }
    keys = set(
        Supplier.objects.filter(company_number="")
        .exclude(name_key="")
        .values_list("name_key", flat=True)
    )
    return numbers, keys


def _ch_rows(
    reader: Iterator[list[str]],
    header: list[str],
    binary: IO[bytes],
    size: int,
    progress: Progress,
    counts: dict[str, int],
) -> Iterator[tuple[Any, ...]]:
    """Stream the file; yield only rows whose number or name key a supplier has.

    Runs while COPY holds the connection: no queries in here (the sets are read before).
    """
    idx, sics = _column_indexes(header)
    numbers, keys = _match_sets()
    i_name, i_number, i_postcode = idx["name"], idx["number"], idx["postcode"]
    i_category, i_status, i_accounts = idx["category"], idx["status"], idx["accounts"]
    width = max([*idx.values(), *sics]) + 1
    read = 0

    def cell(row: list[str], i: int) -> str:
        return row[i].strip() if i >= 0 else ""

    for row in reader:
        read += 1
        if read % CH_PROGRESS_EVERY == 0:
            counts["read"] = read
            share = min(0.95, binary.tell() / max(size, 1)) if size else 0
            progress(int(5 + 75 * share), f"Read {read:,} companies")
        if len(row) < width:
            continue
        number = normalise_company_number(row[i_number])
        name = row[i_name]
        key = name_key(name)
        if number not in numbers and key not in keys:
            continue
        accounts = cell(row, i_accounts)
        yield (
            number,
            name.strip(),
            key,
            normalise_postcode(cell(row, i_postcode))[0],
            cell(row, i_category),
            cell(row, i_status),
            accounts,
            size_band_for(accounts),
            json.dumps([row[i].strip() for i in sics if row[i].strip()]),
        )
        counts["staged"] += 1
    counts["read"] = read


def _copy_rows(cursor: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ", ".join(CH_STAGING_COLUMNS)
    with cursor.copy(f"COPY ch_staging ({columns}) FROM STDIN (FORMAT csv)") as copy:
        pending = 0
        for row in rows:
            writer.writerow(row)
            pending += 1
            if pending == CH_COPY_CHUNK:
                copy.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        if pending:
            copy.write(buffer.getvalue())


def companies_house_load(
    *, path: Path, ch_import: CompaniesHouseImport, progress: Progress | None = None
) -> CompaniesHouseImport:
    """Match a Companies House company data file to suppliers, in one transaction."""
    report: Progress = progress or (lambda percent, message="": None)
    counts = {"read": 0, "staged": 0}
    vcfs = "(" + "|".join(VCFS_CATEGORY_PATTERNS) + ")"
    unsure = "(" + "|".join(UNSURE_CATEGORY_PATTERNS) + ")"
    with (
        transaction.atomic(),
        connection.cursor() as django_cursor,
        _open_text(path) as (text, binary, size),
    ):
        cursor = django_cursor.cursor
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise JobFailed("The file is empty.") from None
        _column_indexes(header)  # refuse a file that is not company data before staging
        rows = _ch_rows(reader, header, binary, size, report, counts)
        next_row = next(rows, None)  # reads the suppliers' numbers and names before COPY
        cursor.execute("DROP TABLE IF EXISTS ch_staging, ch_match")
        cursor.execute(CH_STAGING)
        if next_row is not None:
            _copy_rows(cursor, itertools.chain([next_row], rows))
        report(85, f"Read {counts['read']:,} companies; matching {counts['staged']:,} to suppliers")
        cursor.execute(CH_MATCH, {"import_id": ch_import.pk})
        cursor.execute("SELECT matched_by, count(*) FROM ch_match GROUP BY 1")
        matched = dict(cursor.fetchall())
        cursor.execute(
            CH_UPDATE_SUPPLIERS, {"import_id": ch_import.pk, "vcfs": vcfs, "unsure": unsure}
        )
    CompaniesHouseImport.objects.filter(pk=ch_import.pk).update(
        rows_read=counts["read"],
        rows_staged=counts["staged"],
        matched_by_number=matched.get("number", 0),
        matched_by_name=matched.get("name", 0),
        finished_at=timezone.now(),
        error="",
    )
    ch_import.refresh_from_db()
    return ch_import


def companies_house_path(ch_import: CompaniesHouseImport) -> Path:
    path = Path(ch_import.stored_file)
    return path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path


def companies_house_receive(
    *, source: IO[bytes], file_name: str, user: User | None, keep_path: Path | None = None
) -> CompaniesHouseImport:
    """Record an uploaded Companies House file (copied under MEDIA_ROOT/companies-house/)."""
    name = Path(file_name).name[:255]
    if not name.lower().endswith((".csv", ".zip")):
        raise QualityError(f"{name}: upload the Companies House file as CSV or zip.")
    if keep_path is not None:
        return CompaniesHouseImport.objects.create(
            file_name=name,
            stored_file=str(keep_path.resolve()),
            size_bytes=keep_path.stat().st_size,
            uploaded_by=user,
        )
    folder = Path(settings.MEDIA_ROOT) / "companies-house" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / ("data" + Path(name).suffix.lower())
    size = 0
    with stored.open("wb") as out:
        while chunk := source.read(1024 * 1024):
            size += len(chunk)
            out.write(chunk)
    return CompaniesHouseImport.objects.create(
        file_name=name,
        stored_file=str(stored.relative_to(settings.MEDIA_ROOT)),
        size_bytes=size,
        uploaded_by=user,
    )


def companies_house_start(*, ch_import: CompaniesHouseImport, user: User | None) -> Job:
    job = portal_services.job_start(
        kind=COMPANIES_HOUSE_JOB_KIND,
        title=f"Companies House data from {ch_import.file_name}",
        params={"import_id": ch_import.pk},
        user=user,
    )
    CompaniesHouseImport.objects.filter(pk=ch_import.pk).update(job=job)
    return job


def companies_house_paths(*, path: Path, user: User | None = None) -> CompaniesHouseImport:
    """Load a file from disk in this process (``manage.py load_companies_house``)."""
    with path.open("rb") as source:
        ch_import = companies_house_receive(
            source=source, file_name=path.name, user=user, keep_path=path
        )
    job = Job.objects.create(
        kind=COMPANIES_HOUSE_JOB_KIND,
        title=f"Companies House data from {path.name}",
        params={"import_id": ch_import.pk},
        created_by=user,
    )
    CompaniesHouseImport.objects.filter(pk=ch_import.pk).update(job=job)
    portal_services.job_run(job_id=job.pk)
    ch_import.refresh_from_db()
    return ch_import
