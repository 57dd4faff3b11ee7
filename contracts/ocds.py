"""OCDS 1.1: the release package each publication carries, and mapping Contracts Finder
notices into the register.

Release package: one release per published contract (tags award and contract), with the
council as buyer and each awarded supplier as a party; the package fields that 1.1 required
before 1.1.5 (uri, publishedDate, publisher, license) are included too. The ocid prefix is
``settings.OCDS_OCID_PREFIX`` when set (the Open Contracting Partnership assigns one per
publisher); until then ``ocds-unregistered``. Notices imported from Contracts Finder keep
their own ocid (``ocds-b5fd17-…``).

Contracts Finder: the simplified notice export (``{meta, stats, contracts[]}``, the file in
``tests/data/contracts_lancashire_cc_contracts_finder``) maps into register rows; see
``contracts_finder_rows`` for each decision. Real OCDS packages (Contracts Finder, Find a
Tender, our own) are read by ``contracts.ocds_import``; the ``register`` block of our releases
carries the columns OCDS has no field for, so our file imports back as the same register.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from contracts.layout import MONEY_LIMIT, LayoutError, ParsedRow, clean_text, is_pseudo_supplier
from contracts.models import Publication, PublishedContract, Route
from portal.money import two_places

OCDS_LICENSE = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CONTRACTS_FINDER_PREFIX = "ocds-b5fd17"
# Procurement route → OCDS method codelist (open, selective, limited, direct).
ROUTE_METHOD = {
    Route.OPEN: "open",
    Route.RESTRICTED: "selective",
    Route.COMPETITIVE_FLEXIBLE: "selective",
    Route.DIRECT_AWARD: "direct",
    Route.CALL_OFF: "limited",
    Route.QUOTATION: "limited",
    Route.PSR: "direct",
    Route.WAIVER: "direct",
}


def ocid_prefix() -> str:
    return str(getattr(settings, "OCDS_OCID_PREFIX", "") or "ocds-unregistered")


def _datetime(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "contract"


def site_url() -> str:
    origins = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []) or [])
    if origins:
        return str(origins[0]).rstrip("/")
    hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
    return f"https://{hosts[0] if hosts else 'localhost'}"


def release(contract: PublishedContract, published: datetime) -> dict[str, Any]:
    ocid = contract.ocid or f"{ocid_prefix()}-{_slug(contract.reference)}"
    value = {"amount": _amount(contract.awarded_value), "currency": "GBP"}
    period: dict[str, str] = {"startDate": _datetime(contract.start_date)}
    if contract.end_date:
        period["endDate"] = _datetime(contract.end_date)
    buyer = {"id": "buyer", "name": settings.COUNCIL_NAME}
    parties: list[dict[str, Any]] = [{**buyer, "roles": ["buyer", "procuringEntity"]}]
    suppliers: list[dict[str, str]] = []
    for number, supplier in enumerate(contract.suppliers.all(), start=1):
        party: dict[str, Any] = {
            "id": f"supplier-{number}",
            "name": supplier.name,
            "roles": ["supplier"],
        }
        if supplier.company_number:
            party["id"] = f"GB-COH-{supplier.company_number}"
            party["identifier"] = {
                "scheme": "GB-COH",
                "id": supplier.company_number,
                "legalName": supplier.name,
            }
        if supplier.charity_number:
            party.setdefault("additionalIdentifiers", []).append(
                {"scheme": "GB-CHC", "id": supplier.charity_number}
            )
        if supplier.ppon:
            party.setdefault("additionalIdentifiers", []).append(
                {"scheme": "GB-PPON", "id": supplier.ppon}
            )
        if supplier.postcode:
            party["address"] = {"postalCode": supplier.postcode, "countryName": "United Kingdom"}
        details: dict[str, Any] = {
            key: flag
            for key, flag in (("sme", supplier.sme), ("vcse", supplier.vcfs))
            if flag is not None
        }
        if supplier.supplier_number:
            details["supplierNumber"] = supplier.supplier_number
        if details:
            party["details"] = details
        if any(p["id"] == party["id"] for p in parties):
            party["id"] = f"{party['id']}-{number}"
        parties.append(party)
        suppliers.append({"id": party["id"], "name": supplier.name})
    tender: dict[str, Any] = {"id": f"{ocid}-tender", "title": contract.title}
    if contract.description:
        tender["description"] = contract.description
    if contract.procurement_route:
        tender["procurementMethod"] = ROUTE_METHOD[Route(contract.procurement_route)]
        tender["procurementMethodDetails"] = contract.procurement_route
    if contract.cpv_code:
        tender["items"] = [
            {"id": "1", "classification": {"scheme": "CPV", "id": contract.cpv_code}}
        ]
    award = {
        "id": f"{ocid}-award",
        "title": contract.title,
        "status": "active",
        "date": _datetime(contract.award_date),
        "value": value,
        "suppliers": suppliers,
        "contractPeriod": period,
    }
    terminated = contract.end_date is not None and contract.end_date < published.date()
    ocds_contract: dict[str, Any] = {
        "id": f"{ocid}-contract",
        "awardID": award["id"],
        "title": contract.title,
        "status": "terminated" if terminated else "active",
        "period": period,
        "value": value,
    }
    if contract.description:
        ocds_contract["description"] = contract.description
    # The register's columns OCDS has no field for, so the file imports back as the same
    # register (``contracts.ocds_import``); other readers ignore it.
    register: dict[str, Any] = {
        "reference": contract.reference,
        "department": contract.department,
        "framework": contract.framework,
        "vatNotRecoverable": str(contract.vat_not_recoverable),
    }
    if contract.category:
        register["category"] = contract.category
    if contract.procurement_route:
        register["procurementRoute"] = contract.procurement_route
    if contract.review_date:
        register["reviewDate"] = contract.review_date.isoformat()
    return {
        "ocid": ocid,
        "id": f"{_slug(contract.reference)}-{contract.publication.quarter}"
        f"-v{contract.publication.version}",
        "date": published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": "en",
        "buyer": buyer,
        "parties": parties,
        "tender": tender,
        "awards": [award],
        "contracts": [ocds_contract],
        "register": register,
    }


def release_package(publication: Publication) -> dict[str, Any]:
    published = publication.published_at or datetime.now(UTC)
    contracts = (
        publication.contracts.select_related("publication")
        .prefetch_related("suppliers")
        .order_by("reference")
    )
    return {
        "uri": f"{site_url()}/register/publications/{publication.pk}/ocds/",
        "version": "1.1",
        "publishedDate": published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publisher": {"name": settings.COUNCIL_NAME},
        "license": OCDS_LICENSE,
        "publicationPolicy": f"{site_url()}/register/",
        "releases": [release(contract, published) for contract in contracts.iterator(2000)],
    }


# --- Contracts Finder notices into the register ---------------------------------------------

_LOT = re.compile(r"^Lot\s+\d+\s*-\s*(?:.*?\s-\s)?", re.IGNORECASE)
# A lot that was not awarded, within a list of suppliers ("Lot 4 - North - No Award").
_NO_AWARD_LOT = re.compile(r"^(no award|not awarded)$", re.IGNORECASE)


@dataclass
class MappedNotices:
    rows: list[ParsedRow] = field(default_factory=list)
    ocids: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def split_suppliers(text: str) -> list[str]:
    """Contracts Finder puts several suppliers in one string: "A Ltd,B Ltd,Lot 2 - C Ltd".

    A comma followed directly by a letter separates suppliers; a comma and a space is part of
    a name ("Beever and Struthers, Chartered Accountants"). Lot prefixes are dropped, "No
    Award" lots and repeats of the same supplier are left out.
    """
    names: list[str] = []
    for part in re.split(r",(?=\S)", clean_text(text)):
        name = _LOT.sub("", part.strip()).strip(" ,")
        if not name or _NO_AWARD_LOT.match(name):
            continue
        if name.upper() not in {n.upper() for n in names}:
            names.append(name)
    return names


def contracts_finder_rows(data: Any) -> MappedNotices:
    """Awarded Contracts Finder notices as register rows.

    - Reference: ``CF-`` and the notice id (the file has no council reference); the ocid is
      ``ocds-b5fd17-`` and the id, as Contracts Finder publishes it.
    - Department: not in the notice, so "Not recorded (Contracts Finder)".
    - Award date = start date = the notice's award date; the end date is left blank (the
      notice does not give it) and the review date too.
    - Awarded value: ``awarded_value``; notices with no positive value, no award date or no
      real supplier (open, closed, withdrawn, "N/A EVENT DAY", "Tender abandoned") are
      skipped and listed in the result.
    - CPV: the first of the notice's codes. Framework: the title or description says so.
    - Suppliers: split (see ``split_suppliers``); SME is the notice's ``awarded_to_sme`` for
      each of them; VCFS unknown. The notice's postcode is the buyer's, so suppliers get none.
    """
    if not isinstance(data, dict) or not isinstance(data.get("contracts"), list):
        raise LayoutError(
            "the JSON file is not a Contracts Finder notice export (it has no 'contracts' list)."
        )
    mapped = MappedNotices()
    for number, notice in enumerate(data["contracts"], start=1):
        if not isinstance(notice, dict):
            raise LayoutError(f"notice {number}: is not an object (each notice is {{...}}).")
        row = _notice_row(number, notice, mapped)
        if row is not None:
            mapped.rows.extend(row)
    return mapped


def _notice_text(number: int, notice: dict[str, Any], key: str, limit: int | None = None) -> str:
    value = notice.get(key)
    if value is not None and (not isinstance(value, (str, int)) or isinstance(value, bool)):
        raise LayoutError(f"notice {number}, field '{key}': is not text.")
    text = clean_text(value)
    if limit is not None and len(text) > limit:
        raise LayoutError(
            f"notice {number}, field '{key}': '{text[:40]}…' is {len(text)} characters; "
            f"the register keeps at most {limit}."
        )
    return text


def _notice_row(
    number: int, notice: dict[str, Any], mapped: MappedNotices
) -> list[ParsedRow] | None:
    # The ocid (ocds-b5fd17- and the id) must fit the register's 100 characters.
    notice_id = _notice_text(number, notice, "id", limit=60)
    title = _notice_text(number, notice, "title", limit=500)
    label = f"notice {number} ({title[:60] or notice_id})"
    if not notice_id or not title:
        mapped.skipped.append(f"{label}: no id or title")
        return None
    award_date = notice.get("awarded_date")
    raw_value = notice.get("awarded_value") or 0
    try:
        if isinstance(raw_value, bool):
            raise InvalidOperation
        value = Decimal(str(raw_value))
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise LayoutError(
            f"{label}, field 'awarded_value': '{str(raw_value)[:40]}' is not an amount."
        ) from None
    if value >= MONEY_LIMIT:
        raise LayoutError(
            f"{label}, field 'awarded_value': {raw_value} is more than the register can hold."
        )
    supplier_text = _notice_text(number, notice, "awarded_supplier")
    if notice.get("status") != "awarded" or not award_date:
        mapped.skipped.append(f"{label}: not awarded ({notice.get('status')})")
        return None
    if value <= 0:
        mapped.skipped.append(f"{label}: no awarded value")
        return None
    named = split_suppliers(supplier_text)
    suppliers = [n for n in named if not is_pseudo_supplier(n)]
    pseudo = [n for n in named if is_pseudo_supplier(n)] or ([] if suppliers else ["blank"])
    try:
        awarded = date.fromisoformat(str(award_date)[:10])
    except ValueError:
        raise LayoutError(f"{label}, field 'awarded_date': '{award_date}' is not a date.") from None
    description = _notice_text(number, notice, "description")
    cpv = next(
        (c for c in str(notice.get("cpv_codes") or "").split() if re.fullmatch(r"\d{8}", c)), ""
    )
    reference = f"CF-{notice_id}"
    contract = {
        "title": title[:500],
        "description": description,
        "department": "Not recorded (Contracts Finder)",
        "category": "",
        "procurement_route": "",
        "cpv_code": cpv,
        "award_date": awarded,
        "start_date": awarded,
        "end_date": None,
        "review_date": None,
        "awarded_value": two_places(value),
        "vat_not_recoverable": Decimal("0.00"),
        "framework": "framework" in f"{title} {description}".lower(),
    }
    attention = ""
    if pseudo:
        names = ", ".join(f"'{n}'" for n in pseudo)
        attention = (
            f"The notice names {names} as the supplier. Add the awarded suppliers, then "
            "register the contract."
        )
    sme = notice.get("awarded_to_sme")
    rows = [
        ParsedRow(
            number,
            reference,
            dict(contract),
            {
                "name": name[:300],
                "supplier_number": "",
                "company_number": "",
                "charity_number": "",
                "postcode": "",
                "sme": bool(sme) if sme is not None else None,
                "vcfs": None,
                "ppon": "",
            },
            place=label,
            attention=attention,
        )
        for name in suppliers
    ] or [ParsedRow(number, reference, contract, {}, place=label, attention=attention)]
    mapped.ocids[reference.upper()] = f"{CONTRACTS_FINDER_PREFIX}-{notice_id}"
    return rows
