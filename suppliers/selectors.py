"""Reads for supplier data quality: candidates, merges, size and head-office figures.

``supplier_for_number`` resolves a supplier number through merge aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from portal.formatting import pounds
from portal.locality import LOCALITY_LABELS, classify_postcode, home_area
from portal.locality import LocalityClass as Locality
from spend.models import (
    CompaniesHouseImport,
    CompaniesHouseRecord,
    DuplicateCandidate,
    SizeBand,
    SpendSummary,
    Supplier,
    SupplierMerge,
    SupplierNumberAlias,
)

SIZE_ORDER = [SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM, SizeBand.LARGE, SizeBand.UNKNOWN]


def duplicate_candidates() -> QuerySet[DuplicateCandidate]:
    return DuplicateCandidate.objects.select_related("supplier_low", "supplier_high")


def duplicate_candidate(low: int, high: int) -> DuplicateCandidate | None:
    low, high = min(low, high), max(low, high)
    return duplicate_candidates().filter(supplier_low_id=low, supplier_high_id=high).first()


def duplicates_last_found() -> object:
    latest = DuplicateCandidate.objects.order_by("-found_at").values_list("found_at", flat=True)
    return latest.first()


def supplier_merges() -> QuerySet[SupplierMerge]:
    return SupplierMerge.objects.select_related("performed_by", "undone_by")


@dataclass
class SupplierSide:
    """One supplier of a candidate pair, as the merge page compares them."""

    supplier: Supplier
    payments: int
    spend_pence: int
    sites: int
    postcodes: list[str]
    aliases: list[str]
    companies_house: CompaniesHouseRecord | None

    @property
    def spend(self) -> str:
        return pounds(self.spend_pence)


def supplier_side(supplier: Supplier) -> SupplierSide:
    totals = supplier.payments.aggregate(
        n=Count("id"), t=Sum("amount_pence", filter=Q(is_spend=True))
    )
    postcodes = sorted({p for p in supplier.sites.values_list("postcode", flat=True) if p})
    return SupplierSide(
        supplier=supplier,
        payments=totals["n"] or 0,
        spend_pence=totals["t"] or 0,
        sites=supplier.sites.count(),
        postcodes=postcodes[:10],
        aliases=sorted(supplier.aliases.values_list("supplier_number", flat=True)),
        companies_house=CompaniesHouseRecord.objects.filter(supplier=supplier).first(),
    )


def supplier_for_number(supplier_number: str) -> Supplier | None:
    """The supplier a number belongs to now: its own, or the survivor of a merge."""
    number = (supplier_number or "").strip()
    if not number:
        return None
    supplier = Supplier.objects.filter(supplier_number=number).first()
    if supplier is not None:
        return supplier
    alias = (
        SupplierNumberAlias.objects.select_related("supplier")
        .filter(supplier_number=number)
        .first()
    )
    return alias.supplier if alias else None


def supplier_search(query: str, limit: int = 50) -> QuerySet[Supplier]:
    text = query.strip()
    suppliers = Supplier.objects.select_related("companies_house")
    if not text:
        return suppliers.none()
    return (
        suppliers.filter(
            Q(name__icontains=text)
            | Q(supplier_number__iexact=text)
            | Q(company_number__iexact=text)
            | Q(aliases__supplier_number__iexact=text)
        )
        .distinct()
        .order_by("name")[:limit]
    )


def companies_house_imports() -> QuerySet[CompaniesHouseImport]:
    return CompaniesHouseImport.objects.select_related("job", "uploaded_by")


def companies_house_coverage() -> dict[str, int]:
    return {
        "suppliers": Supplier.objects.count(),
        "matched": CompaniesHouseRecord.objects.count(),
        "by_number": CompaniesHouseRecord.objects.filter(matched_by="number").count(),
        "by_name": CompaniesHouseRecord.objects.filter(matched_by="name").count(),
    }


def summary_years() -> list[int]:
    return sorted(
        SpendSummary.objects.values_list("financial_year", flat=True).distinct(), reverse=True
    )


@dataclass
class SizeRow:
    band: str
    label: str
    sme: str
    suppliers: int
    total_pence: int
    share: float

    @property
    def total(self) -> str:
        return pounds(self.total_pence)


def spend_by_size(fy: int) -> tuple[list[SizeRow], list[SizeRow], int]:
    """Spend in a financial year by supplier size band, and by SME status.

    Returns (rows by band, rows by SME status, total pence). Share is a percentage for
    display only; the money stays in integer pence.
    """
    rows = (
        SpendSummary.objects.filter(financial_year=fy)
        .values("supplier__size_band", "supplier__is_sme")
        .annotate(total=Sum("total_pence"), suppliers=Count("supplier", distinct=True))
    )
    total = sum(r["total"] for r in rows)
    by_band: dict[str, list[int]] = {band: [0, 0] for band in SIZE_ORDER}
    by_sme: dict[str, list[int]] = {"yes": [0, 0], "no": [0, 0], "unknown": [0, 0]}
    for r in rows:
        band = r["supplier__size_band"] or SizeBand.UNKNOWN
        by_band[band][0] += r["suppliers"]
        by_band[band][1] += r["total"]
        sme = {True: "yes", False: "no"}.get(r["supplier__is_sme"], "unknown")
        by_sme[sme][0] += r["suppliers"]
        by_sme[sme][1] += r["total"]

    def share(pence: int) -> float:
        return round(100 * pence / total, 1) if total else 0.0

    band_rows = [
        SizeRow(band, SizeBand(band).label, "", n, t, share(t)) for band, (n, t) in by_band.items()
    ]
    labels = {"yes": "SME", "no": "Not an SME", "unknown": "Not known"}
    sme_rows = [SizeRow("", labels[key], key, n, t, share(t)) for key, (n, t) in by_sme.items()]
    return band_rows, sme_rows, total


@dataclass
class LocalityRow:
    locality: str
    label: str
    site_pence: int
    site_share: float
    office_pence: int
    office_share: float
    office_suppliers: int

    @property
    def site(self) -> str:
        return pounds(self.site_pence)

    @property
    def office(self) -> str:
        return pounds(self.office_pence)


def locality_by_head_office(fy: int) -> tuple[list[LocalityRow], int]:
    """Spend in a year by where suppliers were paid (site) beside where they are registered.

    The site figure is the ledger's (payment site postcode); the head-office figure classifies
    each supplier's Companies House registered office postcode with
    ``portal.locality.classify_postcode``; suppliers with no record count as unknown.
    """
    summaries = SpendSummary.objects.filter(financial_year=fy)
    by_site = dict(
        summaries.values("locality_class")
        .annotate(t=Sum("total_pence"))
        .values_list("locality_class", "t")
    )
    per_supplier = summaries.values("supplier_id").annotate(t=Sum("total_pence"))
    offices = dict(
        CompaniesHouseRecord.objects.filter(
            supplier_id__in=summaries.values("supplier_id")
        ).values_list("supplier_id", "reg_postcode")
    )
    by_office: dict[str, int] = {}
    office_count: dict[str, int] = {}
    area = home_area()
    for row in per_supplier:
        locality = str(classify_postcode(offices.get(row["supplier_id"], ""), area))
        by_office[locality] = by_office.get(locality, 0) + row["t"]
        office_count[locality] = office_count.get(locality, 0) + 1
    total = sum(by_site.values())

    def share(pence: int) -> float:
        return round(100 * pence / total, 1) if total else 0.0

    rows = []
    for locality in Locality:
        site, office = by_site.get(str(locality), 0), by_office.get(str(locality), 0)
        rows.append(
            LocalityRow(
                str(locality),
                LOCALITY_LABELS[locality],
                site,
                share(site),
                office,
                share(office),
                office_count.get(str(locality), 0),
            )
        )
    return rows, total
