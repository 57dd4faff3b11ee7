"""OCDS 1.1 release and record packages into the register (any publisher: Contracts Finder,
Find a Tender, the portal's own publications).

- The package is checked against the OCDS 1.1.5 schema (kept in ``ocds_schema/``, read
  offline); what fails is reported in words (where and what), and the fields the register
  uses are checked again as they are read, so a bad one refuses the file naming the release
  and field.
- Releases are compiled per ``ocid`` as OCDS merging does: in date order, later releases
  win field by field, objects merge, arrays of objects with ``id`` merge by id, other
  arrays are replaced. A record package's ``compiledRelease`` is used as it is.
- One contract per ocid: the active awards' values added up, their suppliers joined with
  the parties for identifiers (``GB-COH``, ``GB-CHC``, ``GB-PPON``), postcode and SME/VCSE.
  The Reference is the portal's own (from its publications) or the ocid; a re-import finds
  the contract by ocid first, so it updates rather than duplicates.
- Skipped, with the reason: planning or tender only, no active award (cancelled,
  unsuccessful, pending), no value, no award date, a currency other than pounds.
- Pseudo-suppliers ("Contract not awarded", "Multiple suppliers…", "TBC") never become
  suppliers: the contract comes in as a draft, flagged for an officer to complete.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from contracts import layout
from contracts.layout import LayoutError, ParsedRow
from contracts.models import Category, Route
from portal.suppliers import clean_company_number

SCHEMA_DIR = Path(__file__).parent / "ocds_schema"
SCHEMA_BASE = "https://standard.open-contracting.org/schema/1__1__5/"
# The portal's own publications carry the register's columns OCDS has no field for here.
REGISTER_KEY = "register"
SCHEMA_ERRORS_SHOWN = 20
PUBLISHERS = {
    "ocds-b5fd17": "Contracts Finder",
    "ocds-h6vhtk": "Find a Tender",
}
# Award statuses (OCDS codelist): only active awards are contracts.
AWARD_ACTIVE = {"active", ""}


@dataclass
class MappedReleases:
    rows: list[ParsedRow] = field(default_factory=list)
    ocids: dict[str, str] = field(default_factory=dict)  # Reference (upper) → ocid
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_ocds(data: Any) -> bool:
    return isinstance(data, dict) and ("releases" in data or "records" in data or "ocid" in data)


# --- Schema -------------------------------------------------------------------------------


@cache
def _validators() -> dict[str, Any]:
    from jsonschema import Draft4Validator  # noqa: PLC0415  (only OCDS imports load the schema validator)
    from referencing import Registry, Resource  # noqa: PLC0415  (only OCDS imports load the schema validator)
    from referencing.jsonschema import DRAFT4  # noqa: PLC0415  (only OCDS imports load the schema validator)

    schemas = {
        name: json.loads((SCHEMA_DIR / name).read_text())
        for name in (
            "release-package-schema.json",
            "release-schema.json",
            "record-package-schema.json",
        )
    }
    registry: Registry[Any] = Registry().with_resources(
        (SCHEMA_BASE + name, Resource.from_contents(schema, default_specification=DRAFT4))
        for name, schema in schemas.items()
    )
    return {
        kind: Draft4Validator(schemas[f"{kind}-package-schema.json"], registry=registry)
        for kind in ("release", "record")
    }


def schema_problems(data: dict[str, Any]) -> list[str]:
    """What the 1.1.5 schema finds wrong, in words: "releases/3/awards/0/value/amount: 'abc'
    is not of type 'number'"."""
    kind = "record" if "records" in data else "release"
    validator = _validators()[kind]
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "the package"
        message = error.message if len(error.message) < 200 else error.message[:200] + "…"
        problems.append(f"{where}: {message}")
    return problems


# --- Compiling ------------------------------------------------------------------------------


def merge(earlier: Any, later: Any) -> Any:
    """OCDS merging of one release into the compiled one (``later`` wins)."""
    if isinstance(earlier, dict) and isinstance(later, dict):
        merged = dict(earlier)
        for key, value in later.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = value
        return merged
    if (
        isinstance(earlier, list)
        and isinstance(later, list)
        and all(isinstance(i, dict) and "id" in i for i in [*earlier, *later])
    ):
        by_id: dict[str, Any] = {str(i["id"]): i for i in earlier}
        for item in later:
            key = str(item["id"])
            by_id[key] = merge(by_id[key], item) if key in by_id else item
        return list(by_id.values())
    return later


def _releases(data: Any) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """(label, compiled release) per ocid, and what could not be used."""
    skipped: list[str] = []
    if isinstance(data, dict) and "records" in data:
        records = data["records"]
        if not isinstance(records, list):
            raise LayoutError("the record package's 'records' is not a list.")
        out = []
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise LayoutError(f"record {number}: is not an object.")
            ocid = str(record.get("ocid") or "")
            label = f"record {number} ({ocid or 'no ocid'})"
            compiled = record.get("compiledRelease")
            if isinstance(compiled, dict):
                out.append((label, compiled))
                continue
            full = [r for r in record.get("releases") or [] if isinstance(r, dict) and "tag" in r]
            linked = [r for r in full if set(r) <= {"url", "date", "tag"}]
            if not full or linked:
                skipped.append(f"{label}: its releases are links only, with no compiledRelease")
                continue
            out.append((label, _compile(full)))
        return out, skipped
    if isinstance(data, dict) and "releases" in data:
        releases = data["releases"]
    elif isinstance(data, dict) and "ocid" in data:
        releases = [data]  # a single release
    elif isinstance(data, list):
        releases = data
    else:
        raise LayoutError("the JSON file is not an OCDS release or record package.")
    if not isinstance(releases, list):
        raise LayoutError("the package's 'releases' is not a list.")
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    first: dict[str, int] = {}
    for number, release in enumerate(releases, start=1):
        if not isinstance(release, dict):
            raise LayoutError(f"release {number}: is not an object (OCDS releases are objects).")
        found = release.get("ocid")
        if not isinstance(found, str) or not found.strip():
            raise LayoutError(f"release {number}: field 'ocid' is missing or not text.")
        by_ocid.setdefault(found.strip(), []).append(release)
        first.setdefault(found.strip(), number)
    out = []
    for ocid, group in by_ocid.items():
        count = f", {len(group)} releases" if len(group) > 1 else ""
        out.append((f"release {first[ocid]} ({ocid}{count})", _compile(group)))
    return out, skipped


def _compile(releases: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(releases, key=lambda r: str(r.get("date") or ""))
    compiled: dict[str, Any] = {}
    for release in ordered:
        compiled = merge(compiled, release)
    return compiled


# --- Mapping --------------------------------------------------------------------------------


class _Reader:
    """Typed reads of one compiled release; a bad field refuses the file naming it."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, where: str, problem: str) -> LayoutError:
        return LayoutError(f"{self.label}, field '{where}': {problem}.")

    def text(self, value: Any, where: str, limit: int | None = None) -> str:
        if value is None:
            return ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise self.fail(where, "is not text")
        text = str(value).strip()
        if limit is not None and len(text) > limit:
            raise self.fail(
                where, f"'{text[:40]}…' is {len(text)} characters; the register keeps {limit}"
            )
        return text

    def amount(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise self.fail(where, f"'{str(value)[:40]}' is not an amount")
        try:
            return layout.clean_money(str(value), positive=False)
        except ValueError as problem:
            raise self.fail(where, str(problem)) from None

    def day(self, value: Any, where: str) -> date | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
            raise self.fail(where, f"'{str(value)[:40]}' is not a date and time (ISO 8601)")
        try:
            return layout.clean_date(value[:10])
        except ValueError as problem:
            raise self.fail(where, str(problem)) from None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _scheme_id(value: Any) -> str:
    # Spreadsheet-made data writes numbers as "11111111.0".
    return re.sub(r"\.0$", "", str(value or "").strip())


def _identifiers(party: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for ident in [
        _dict(party.get("identifier")),
        *map(_dict, _list(party.get("additionalIdentifiers"))),
    ]:
        scheme = str(ident.get("scheme") or "").upper()
        if scheme and ident.get("id") not in (None, ""):
            found.setdefault(scheme, _scheme_id(ident["id"]))
    party_id = str(party.get("id") or "")
    for scheme in ("GB-COH", "GB-CHC", "GB-PPON"):
        if scheme not in found and party_id.upper().startswith(scheme + "-"):
            found[scheme] = party_id[len(scheme) + 1 :]
    return found


def _flag(details: dict[str, Any], *keys: str) -> bool | None:
    for key in keys:
        value = details.get(key)
        if isinstance(value, bool):
            return value
    return None


def _supplier(reference: dict[str, Any], parties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    party = parties.get(str(reference.get("id") or ""), {})
    ids = _identifiers(party)
    details = _dict(party.get("details"))
    scale = str(details.get("scale") or "").lower()
    sme = _flag(details, "sme")
    if sme is None and scale:
        sme = scale in {"sme", "micro", "small", "medium"}
    try:
        company = clean_company_number(ids.get("GB-COH", ""))
    except ValueError:
        company = ""  # not a Companies House number the register can hold
    try:
        postcode = layout.clean_postcode(str(_dict(party.get("address")).get("postalCode") or ""))
    except ValueError:
        postcode = ""
    name = " ".join(str(reference.get("name") or party.get("name") or "").split())
    return {
        "name": name[:300],
        "supplier_number": str(details.get("supplierNumber") or "")[:50],
        "company_number": company,
        "charity_number": ids.get("GB-CHC", "")[:20],
        "postcode": postcode,
        "sme": sme,
        "vcfs": _flag(details, "vcse", "vcfs"),
        "ppon": ids.get("GB-PPON", "")[:20],
    }


def _cpv(release: dict[str, Any]) -> str:
    tender = _dict(release.get("tender"))
    candidates = [_dict(tender.get("classification"))]
    for holder in [tender, *map(_dict, _list(release.get("awards")))]:
        for item in map(_dict, _list(holder.get("items"))):
            candidates.append(_dict(item.get("classification")))
    for classification in candidates:
        if str(classification.get("scheme") or "").upper() == "CPV":
            code = _scheme_id(classification.get("id"))
            if re.fullmatch(r"\d{8}(-\d)?", code):
                return code[:8]
    return ""


def _route(tender: dict[str, Any], extra: dict[str, Any]) -> str:
    for text in (extra.get("procurementRoute"), tender.get("procurementMethodDetails")):
        if text:
            try:
                return layout.clean_choice(str(text), Route)
            except ValueError:
                continue
    return ""


def _department(ocid: str) -> str:
    source = next((name for prefix, name in PUBLISHERS.items() if ocid.startswith(prefix)), "")
    return f"Not recorded ({source or 'OCDS'})"


def map_release(label: str, release: dict[str, Any]) -> tuple[list[ParsedRow], str]:
    """Register rows for one compiled release, or ``([], reason)`` when it is skipped."""
    read = _Reader(label)
    ocid = read.text(release.get("ocid"), "ocid", limit=100)
    tender = _dict(release.get("tender"))
    extra = _dict(release.get(REGISTER_KEY))
    tags = {str(t) for t in _list(release.get("tag"))}
    awards = [a for a in map(_dict, _list(release.get("awards"))) if a]
    if not awards:
        stage = ", ".join(sorted(tags)) or "no tag"
        return [], f"{label}: no award ({stage} only)"
    active = [a for a in awards if str(a.get("status") or "").lower() in AWARD_ACTIVE]
    if not active:
        statuses = ", ".join(sorted({str(a.get("status")) for a in awards}))
        return [], f"{label}: no active award ({statuses})"
    if str(tender.get("status") or "").lower() == "cancelled":
        return [], f"{label}: the tender was cancelled"
    contracts = [c for c in map(_dict, _list(release.get("contracts"))) if c]
    total = Decimal("0.00")
    valued = False
    for number, award in enumerate(active):
        value = _dict(award.get("value"))
        if value.get("amount") is None:
            continue
        currency = str(value.get("currency") or "GBP").upper()
        if currency != "GBP":
            return [], f"{label}: the award is in {currency}, not pounds"
        total += read.amount(value["amount"], f"awards/{number}/value/amount")
        valued = True
    if not valued:
        for number, contract in enumerate(contracts):
            value = _dict(contract.get("value"))
            if value.get("amount") is not None:
                total += read.amount(value["amount"], f"contracts/{number}/value/amount")
                valued = True
    if not valued or total <= 0:
        return [], f"{label}: the award has no value"
    if total >= layout.MONEY_LIMIT:
        raise read.fail("awards/value/amount", "the awards add up to more than £100 trillion")
    award_dates = [
        d
        for n, a in enumerate(active)
        if (d := read.day(a.get("date"), f"awards/{n}/date")) is not None
    ]
    signed = [
        d
        for n, c in enumerate(contracts)
        if (d := read.day(c.get("dateSigned"), f"contracts/{n}/dateSigned")) is not None
    ]
    if not (award_dates or signed):
        return [], f"{label}: the award has no date"
    award_date = min(award_dates or signed)
    period = next(
        (
            (_dict(holder.get(key)), where)
            for holder, key, where in (
                *((c, "period", f"contracts/{n}/period") for n, c in enumerate(contracts)),
                *(
                    (a, "contractPeriod", f"awards/{n}/contractPeriod")
                    for n, a in enumerate(active)
                ),
                (tender, "contractPeriod", "tender/contractPeriod"),
            )
            if _dict(holder.get(key)).get("startDate") or _dict(holder.get(key)).get("endDate")
        ),
        ({}, ""),
    )
    start = read.day(period[0].get("startDate"), f"{period[1]}/startDate") or award_date
    end = read.day(period[0].get("endDate"), f"{period[1]}/endDate")
    attention: list[str] = []
    if end is not None and end <= start:
        attention.append(
            f"The notice's contract period ends ({end:%-d %B %Y}) on or before it starts "
            f"({start:%-d %B %Y}); the end date was left blank."
        )
        end = None
    title = read.text(
        tender.get("title")
        or release.get("title")
        or active[0].get("title")
        or (contracts[0].get("title") if contracts else ""),
        "tender/title",
        limit=500,
    )
    if not title:
        return [], f"{label}: no title"
    description = layout.clean_lines(
        read.text(tender.get("description") or active[0].get("description"), "tender/description")
    )
    reference = read.text(extra.get("reference") or ocid, f"{REGISTER_KEY}/reference", limit=64)
    parties = {
        str(p.get("id")): p for p in map(_dict, _list(release.get("parties"))) if p.get("id")
    }
    suppliers: list[dict[str, Any]] = []
    pseudo: list[str] = []
    for award in active:
        for reference_ in map(_dict, _list(award.get("suppliers"))):
            supplier = _supplier(reference_, parties)
            if not supplier["name"] or layout.is_pseudo_supplier(supplier["name"]):
                pseudo.append(supplier["name"] or "blank")
                continue
            key = layout_key(supplier["name"])
            if all(layout_key(s["name"]) != key for s in suppliers):
                suppliers.append(supplier)
    if pseudo:
        names = ", ".join(f"'{n}'" for n in pseudo)
        attention.append(
            f"The notice names {names} as the supplier. Add the awarded suppliers, then "
            "register the contract."
        )
    elif not suppliers:
        attention.append(
            "The notice names no supplier. Add the awarded suppliers, then register the contract."
        )
    text = f"{title} {description}".lower()
    framework = extra.get("framework")
    if not isinstance(framework, bool):
        techniques = _dict(tender.get("techniques"))
        framework = bool(techniques.get("hasFrameworkAgreement")) or "framework" in text
    contract = {
        "title": title[:500],
        "description": description,
        "department": read.text(extra.get("department"), f"{REGISTER_KEY}/department", limit=200)
        or _department(ocid),
        "category": _choice(read, extra.get("category")),
        "procurement_route": _route(tender, extra),
        "cpv_code": _cpv(release),
        "award_date": award_date,
        "start_date": start,
        "end_date": end,
        "review_date": read.day(extra.get("reviewDate"), f"{REGISTER_KEY}/reviewDate"),
        "awarded_value": total,
        "vat_not_recoverable": (
            read.amount(extra["vatNotRecoverable"], f"{REGISTER_KEY}/vatNotRecoverable")
            if extra.get("vatNotRecoverable") is not None
            else Decimal("0.00")
        ),
        "framework": framework,
    }
    note = " ".join(attention)
    rows = [
        ParsedRow(0, reference, dict(contract), supplier, place=label, attention=note)
        for supplier in suppliers
    ] or [ParsedRow(0, reference, contract, {}, place=label, attention=note)]
    if note:
        for row in rows:
            row.attention = note
    return rows, ""


def layout_key(name: str) -> str:
    return " ".join(name.upper().split())


def _choice(read: _Reader, value: Any) -> str:
    if not value:
        return ""
    try:
        return layout.clean_choice(str(value), Category)
    except ValueError as problem:
        raise read.fail(f"{REGISTER_KEY}/category", str(problem)) from None


def releases_rows(data: Any) -> MappedReleases:
    """Register rows for every awarded contract in an OCDS package, and what was skipped."""
    mapped = MappedReleases()
    if isinstance(data, dict):
        problems = schema_problems(data)
        if problems:
            shown = problems[:SCHEMA_ERRORS_SHOWN]
            more = len(problems) - len(shown)
            mapped.warnings.append(
                f"The package does not fully meet the OCDS 1.1.5 schema ({len(problems)} "
                "problem"
                + ("s" if len(problems) != 1 else "")
                + "): "
                + "; ".join(shown)
                + (f"; and {more} more" if more else "")
            )
    compiled, skipped = _releases(data)
    mapped.skipped.extend(skipped)
    for label, release in compiled:
        rows, reason = map_release(label, release)
        if reason:
            mapped.skipped.append(reason)
            continue
        mapped.rows.extend(rows)
        mapped.ocids[rows[0].reference.upper()] = str(release["ocid"]).strip()
    return mapped
