"""Writes to the contract register: officers' edits, imports, and quarterly publications.

Job kinds: ``contracts.import`` (params ``path``, ``name``: a stored upload) and
``contracts.publish`` (params ``quarter``, e.g. "2024Q1"; without it, the quarter that has
just ended). ``manage.py import_register`` and ``build_report register`` call the same
services in-process.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from contracts import layout, notices, ocds, ocds_import, publishing, selectors
from contracts.layout import LayoutError, ParsedRow, clean_text
from contracts.models import (
    ACT_REGIMES,
    NAME_KEY_LENGTH,
    AwardedSupplier,
    Contract,
    ContractChange,
    ContractPaymentLink,
    Kpi,
    KpiAssessment,
    Notice,
    PerformanceFailure,
    PipelineNotice,
    PlannedProcurement,
    Publication,
    PublishedContract,
    PublishedSupplier,
    RegisterColumnMapping,
    RegisterUpload,
)
from portal.jobs import Progress
from portal.models import User
from portal.periods import Quarter
from portal.services import job_start
from portal.suppliers import clean_company_number, name_key
from spend.models import Payment
from spend.services import header_signature

CONTRACT_FIELDS = (
    "title",
    "description",
    "department",
    "category",
    "procurement_route",
    "cpv_code",
    "award_date",
    "start_date",
    "end_date",
    "review_date",
    "awarded_value",
    "vat_not_recoverable",
    "framework",
)
# The Procurement Act's fields: kept on the live register only (the layout has no column).
ACT_FIELDS = ("awarded_value_gross", "procurement_start_date", "regime", "main_category")
SUPPLIER_ACT_FIELDS = ("email", "address", "supported_employment", "public_service_mutual")
SUPPLIER_FIELDS = (
    "name",
    "supplier_number",
    "company_number",
    "charity_number",
    "postcode",
    "sme",
    "vcfs",
    "ppon",
)

# ---------------------------------------------------------------------------------------------
# Officers' edits


def _check_contract(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if data.get("description"):
        data["description"] = layout.clean_lines(data["description"])
    try:
        layout.check_dates(data["start_date"], data.get("end_date"))
    except ValueError as problem:
        errors["end_date"] = layout.sentence(problem)
    if data["awarded_value"] is None or data["awarded_value"] <= 0:
        errors["awarded_value"] = "The value must be more than £0."
    gross = data.get("awarded_value_gross")
    if gross is not None and data["awarded_value"] is not None and gross < data["awarded_value"]:
        errors["awarded_value_gross"] = (
            "The value including VAT cannot be less than the value excluding VAT."
        )
    try:
        data["cpv_code"] = layout.clean_cpv(data.get("cpv_code") or "")
    except ValueError as problem:
        errors["cpv_code"] = layout.sentence(problem)
    if errors:
        raise ValidationError(errors)


def _check_supplier(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    for name, clean in (
        ("company_number", clean_company_number),
        ("postcode", layout.clean_postcode),
    ):
        try:
            data[name] = clean(data.get(name) or "")
        except ValueError as problem:
            errors[name] = layout.sentence(problem)
    if not (data.get("name") or "").strip():
        errors["name"] = "Enter the supplier's name."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contract_create(
    *,
    reference: str,
    contract: dict[str, Any],
    supplier: dict[str, Any],
    user: User | None,
    draft: bool = False,
) -> Contract:
    """A new contract with its first awarded supplier."""
    reference = reference.strip()
    if Contract.objects.filter(reference__iexact=reference).exists():
        raise ValidationError({"reference": f"A contract with reference {reference} exists."})
    _check_contract(contract)
    _check_supplier(supplier)
    record = Contract.objects.create(
        reference=reference,
        updated_by=user,
        source="Entered by an officer",
        status=Contract.Status.DRAFT if draft else Contract.Status.REGISTERED,
        **{name: contract[name] for name in (*CONTRACT_FIELDS, *ACT_FIELDS) if name in contract},
    )
    supplier_add(contract=record, supplier=supplier, user=user)
    return record


@transaction.atomic
def contract_update(*, contract: Contract, data: dict[str, Any], user: User | None) -> Contract:
    """Change contract-level fields (and status, re-procurement) of a contract.

    A change to the value or end date is kept as a ``ContractChange`` and needs its ground
    (``data["change_ground"]``): s.75 counts every change since award."""
    merged = {name: getattr(contract, name) for name in (*CONTRACT_FIELDS, *ACT_FIELDS)} | data
    _check_contract(merged)
    value_changed = merged["awarded_value"] != contract.awarded_value
    end_changed = merged["end_date"] != contract.end_date
    if (value_changed or end_changed) and contract.status == Contract.Status.REGISTERED:
        ground = clean_text(data.get("change_ground") or "")
        if not ground:
            raise ValidationError(
                {
                    "change_ground": "Say why the value or end date may change (the ground, "
                    "for example a Schedule 8 paragraph): every change is kept for the "
                    "change notice test."
                }
            )
        if (
            value_changed
            and contract.awarded_value_gross is not None
            and merged["awarded_value_gross"] == contract.awarded_value_gross
        ):
            raise ValidationError(
                {
                    "awarded_value_gross": "The value excluding VAT changes: give the value "
                    "including VAT after the change too, so the notices do not show the old one."
                }
            )
        ContractChange.objects.create(
            contract=contract,
            value_gross_after=merged["awarded_value_gross"] if value_changed else None,
            changed_on=data.get("changed_on") or timezone.localdate(),
            ground=ground[:500],
            value_before=contract.awarded_value,
            value_after=merged["awarded_value"],
            end_before=contract.end_date,
            end_after=merged["end_date"],
            recorded_by=user,
        )
    for name in (*CONTRACT_FIELDS, *ACT_FIELDS, "status", "reprocurement_started"):
        if name in merged:
            setattr(contract, name, merged[name])
    # An import's flag is done with once an officer registers the contract with suppliers.
    if contract.status == Contract.Status.REGISTERED and contract.suppliers.exists():
        contract.needs_attention = ""
    contract.updated_by = user
    contract.save()
    return contract


@transaction.atomic
def contract_end(*, contract: Contract, ended_on: date, reason: str, user: User | None) -> Contract:
    """End a contract early (terminated, or no longer needed)."""
    if ended_on < contract.start_date:
        raise ValidationError({"ended_on": "A contract cannot end before it starts."})
    if contract.end_date and ended_on > contract.end_date:
        raise ValidationError(
            {
                "ended_on": "The contract already ends on "
                f"{contract.end_date:%-d %B %Y}; choose a date before that."
            }
        )
    contract.ended_on = ended_on
    contract.end_reason = reason.strip()
    contract.updated_by = user
    contract.save(update_fields=["ended_on", "end_reason", "updated_by", "updated_at"])
    if contract.regime in ACT_REGIMES and ended_on <= timezone.localdate():
        notice_draft(
            contract=contract, kind=Notice.Kind.TERMINATION, user=user, proposed_automatically=True
        )
    return contract


@transaction.atomic
def supplier_add(
    *, contract: Contract, supplier: dict[str, Any], user: User | None
) -> AwardedSupplier:
    _check_supplier(supplier)
    key = name_key(supplier["name"])[:NAME_KEY_LENGTH]
    if contract.suppliers.filter(name_key=key).exists():
        raise ValidationError({"name": "This supplier is already on the contract."})
    record = AwardedSupplier.objects.create(
        contract=contract,
        name_key=key,
        **{
            name: supplier[name]
            for name in (*SUPPLIER_FIELDS, *SUPPLIER_ACT_FIELDS)
            if name in supplier
        },
    )
    Contract.objects.filter(pk=contract.pk).update(updated_by=user, updated_at=timezone.now())
    return record


@transaction.atomic
def supplier_update(
    *, supplier: AwardedSupplier, data: dict[str, Any], user: User | None
) -> AwardedSupplier:
    fields = (*SUPPLIER_FIELDS, *SUPPLIER_ACT_FIELDS)
    merged = {name: getattr(supplier, name) for name in fields} | data
    _check_supplier(merged)
    key = name_key(merged["name"])[:NAME_KEY_LENGTH]
    if supplier.contract.suppliers.exclude(pk=supplier.pk).filter(name_key=key).exists():
        raise ValidationError({"name": "This supplier is already on the contract."})
    for name in fields:
        setattr(supplier, name, merged[name])
    supplier.name_key = key
    supplier.save()
    return supplier


@transaction.atomic
def supplier_remove(*, supplier: AwardedSupplier, user: User | None) -> None:
    if supplier.contract.suppliers.count() <= 1:
        raise ValidationError("A contract keeps at least one supplier; end the contract instead.")
    supplier.delete()


# ---------------------------------------------------------------------------------------------
# Payments an officer links to a contract (the strongest rule of
# ``selectors.payments_for_contract``)


@transaction.atomic
def payment_link(
    *, contract: Contract, payment: Any, reason: str, user: User | None
) -> ContractPaymentLink:
    """Link one ledger payment to ``contract``; a payment linked elsewhere moves here."""
    link, _ = ContractPaymentLink.objects.update_or_create(
        payment_id=payment.pk,
        defaults={"contract": contract, "reason": reason.strip()[:300], "linked_by": user},
    )
    return link


def payments_link_by_invoice(
    *, contract: Contract, invoice_number: str, reason: str, user: User | None
) -> int:
    """Link every spend payment of an invoice number to ``contract``; how many were linked.

    Refuses (``ValidationError``) when the ledger has no such invoice, so nothing is linked
    by a mistyped number."""

    invoice_number = invoice_number.strip()
    payments = list(Payment.objects.spend().filter(invoice_number=invoice_number))
    if not payments:
        raise ValidationError(
            {
                "invoice_number": f"The ledger has no payment with invoice number "
                f"{invoice_number!r}. Check the number on the payments page and try again."
            }
        )
    with transaction.atomic():
        for payment in payments:
            payment_link(contract=contract, payment=payment, reason=reason, user=user)
    return len(payments)


@transaction.atomic
def payment_unlink(*, link: ContractPaymentLink, user: User | None) -> None:
    link.delete()


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class ImportResult:
    rows: int = 0
    contracts_created: int = 0
    contracts_updated: int = 0
    suppliers_created: int = 0
    suppliers_updated: int = 0
    skipped: list[str] = field(default_factory=list)
    # Contracts that came in as drafts for an officer to complete (no real supplier named).
    flagged: list[str] = field(default_factory=list)
    # What the reader noticed without refusing: schema problems, stand-in columns, sheets
    # not read.
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "contracts_created": self.contracts_created,
            "contracts_updated": self.contracts_updated,
            "suppliers_created": self.suppliers_created,
            "suppliers_updated": self.suppliers_updated,
            "skipped": self.skipped,
            "flagged": self.flagged,
            "notes": self.notes,
        }


def _group(rows: Iterable[ParsedRow]) -> dict[str, tuple[ParsedRow, list[ParsedRow]]]:
    """Rows by Reference; a Reference's contract-level columns must agree on every row."""
    grouped: dict[str, tuple[ParsedRow, list[ParsedRow]]] = {}
    for row in rows:
        key = row.reference.upper()
        if key not in grouped:
            grouped[key] = (row, [row])
            continue
        first, members = grouped[key]
        for name in CONTRACT_FIELDS:
            if row.contract[name] != first.contract[name]:
                column = layout.CONTRACT_COLUMNS[CONTRACT_FIELDS.index(name)]
                raise LayoutError(
                    f"{row.place}, column '{column}': it differs from {first.place} "
                    f"for the same Reference {row.reference}; contract columns repeat unchanged "
                    "on each of a contract's rows."
                )
        if row.attention and not first.attention:
            first.attention = row.attention
        members.append(row)
    return grouped


def _imported_change(
    record: Contract, row: ParsedRow, source: str, result: "ImportResult"
) -> list[ContractChange]:
    """A file that changes a registered contract's value or end date: kept as a change like
    an officer's, its ground to be confirmed (the file does not say), and flagged."""
    value, end = row.contract["awarded_value"], row.contract["end_date"]
    if record.status != Contract.Status.REGISTERED or (
        value == record.awarded_value and end == record.end_date
    ):
        return []
    note = f"{record.reference}: the import changed the value or end date; confirm the ground"
    if value != record.awarded_value and record.awarded_value_gross is not None:
        note += " and the value including VAT, which still says the old one"
    result.flagged.append(note + ".")
    return [
        ContractChange(
            contract=record,
            ground=f"Changed by the import of {source[:200]} (ground not recorded: confirm it)",
            value_before=record.awarded_value,
            value_after=value,
            end_before=record.end_date,
            end_after=end,
        )
    ]


def _save_rows(
    rows: Iterable[ParsedRow], *, source: str, ocids: dict[str, str] | None = None
) -> ImportResult:
    """Create or update contracts and suppliers (Reference + supplier name is the key; a
    contract with an ocid is found by its ocid first)."""
    grouped = _group(rows)
    ocids = ocids or {}
    result = ImportResult(rows=sum(len(members) for _, members in grouped.values()))
    existing: dict[str, Contract] = {}
    known_ocids = {ocid: key for key, ocid in ocids.items() if ocid}
    if known_ocids:
        for c in Contract.objects.filter(ocid__in=list(known_ocids)):
            existing[known_ocids[c.ocid]] = c
    for c in Contract.objects.filter(
        reference__in=[g[0].reference for k, g in grouped.items() if k not in existing]
    ):
        existing.setdefault(c.reference.upper(), c)
    # References differ only in case? Match them case-insensitively as well.
    missing = [k for k in grouped if k not in existing]
    if missing:
        for c in Contract.objects.filter(
            Q(*[Q(reference__iexact=k) for k in missing], _connector=Q.OR)
        ):
            existing.setdefault(c.reference.upper(), c)
    with_suppliers = set(
        AwardedSupplier.objects.filter(contract__in=[c.pk for c in existing.values()])
        .values_list("contract_id", flat=True)
        .distinct()
    )
    now = timezone.now()
    to_create: list[Contract] = []
    to_update: list[Contract] = []
    changes: list[ContractChange] = []
    for key, (first, _) in grouped.items():
        record = existing.get(key)
        if record is None:
            record = Contract(reference=first.reference, source=source[:200], created_at=now)
            to_create.append(record)
        else:
            to_update.append(record)
            changes.extend(_imported_change(record, first, source, result))
        for name in CONTRACT_FIELDS:
            setattr(record, name, first.contract[name])
        if key in ocids:
            record.ocid = ocids[key]
        # A notice with no real supplier: a draft for an officer to complete. One an officer
        # has completed since (it has suppliers) is left as they made it.
        if first.attention and (record.pk is None or record.pk not in with_suppliers):
            record.status = Contract.Status.DRAFT
            record.needs_attention = first.attention[:500]
            result.flagged.append(f"{record.reference}: {first.attention}")
        elif not first.attention and record.needs_attention:
            record.needs_attention = ""
        record.updated_at = now
        existing[key] = record
    Contract.objects.bulk_create(to_create, batch_size=1000)
    Contract.objects.bulk_update(
        to_update,
        [*CONTRACT_FIELDS, "ocid", "status", "needs_attention", "updated_at"],
        batch_size=1000,
    )
    result.contracts_created, result.contracts_updated = len(to_create), len(to_update)
    ContractChange.objects.bulk_create(changes, batch_size=1000)

    contract_ids = [existing[key].pk for key in grouped]
    current = {
        (s.contract_id, s.name_key): s
        for s in AwardedSupplier.objects.filter(contract_id__in=contract_ids)
    }
    new_suppliers: list[AwardedSupplier] = []
    changed: dict[int, AwardedSupplier] = {}
    for key, (_, members) in grouped.items():
        contract = existing[key]
        for row in members:
            name = row.supplier.get("name", "") if row.supplier else ""
            if not name or layout.is_pseudo_supplier(name):
                continue  # never an awarded supplier; the contract is flagged instead
            supplier_key = name_key(row.supplier["name"])[:NAME_KEY_LENGTH]
            supplier = current.get((contract.pk, supplier_key))
            if supplier is None:
                supplier = AwardedSupplier(contract=contract, name_key=supplier_key)
                new_suppliers.append(supplier)
                current[(contract.pk, supplier_key)] = supplier
            elif supplier.pk:
                changed[supplier.pk] = supplier
            for name in SUPPLIER_FIELDS:
                setattr(supplier, name, row.supplier.get(name, ""))
    AwardedSupplier.objects.bulk_create(new_suppliers, batch_size=2000)
    AwardedSupplier.objects.bulk_update(
        list(changed.values()), list(SUPPLIER_FIELDS), batch_size=2000
    )
    result.suppliers_created, result.suppliers_updated = len(new_suppliers), len(changed)
    result.rows = sum(len(m) for _, m in grouped.values())
    return result


def _parse_file(
    path: Path, mapping: dict[str, str] | None = None
) -> tuple[list[ParsedRow], list[str]]:
    rows: list[ParsedRow] = []
    notes: list[str] = []
    stand_ins: set[str] = set()
    unmatched: dict[tuple[str, str], list[str]] = {}
    for sheet in layout.read_sheets(path, mapping):
        if sheet.note:
            notes.append(sheet.note)
            continue
        for line, values in sheet.rows:
            cells = {
                column: layout._cell_text(values[position]) if position < len(values) else ""
                for column, position in sheet.columns.items()
            }
            filled = [v.strip() for v in cells.values() if v.strip()]
            if not filled:
                continue
            reference = cells.get("Reference", "").strip().lower()
            if len(filled) == 1 or (
                reference.startswith("total") and not cells.get("Supplier name", "").strip()
            ):
                # A note ("Data as at 31 March") or a totals line under the register.
                notes.append(f"{sheet.place(line)}: not a contract, not read ('{filled[0][:60]}').")
                continue
            row = layout.parse_row(line, cells, sheet.place(line))
            stand_ins.update(row.stand_ins)
            for column, value in row.unmatched:
                unmatched.setdefault((column, value), []).append(row.place)
            rows.append(row)
    if not rows:
        raise LayoutError("the file has a heading row but no contracts.")
    for (column, value), places in unmatched.items():
        more = f" and {len(places) - 3} more" if len(places) > 3 else ""
        notes.append(
            f"{column} '{value}' ({', '.join(places[:3])}{more}) is not one of the register's; "
            "left blank."
        )
    for column in sorted(stand_ins):
        stand_in = layout.FALLBACKS[column]
        notes.append(
            f"The file has no '{column}' column: "
            + (
                f"'{stand_in}' was used instead."
                if stand_in != "Not recorded"
                else "recorded as 'Not recorded'."
            )
        )
    return rows, notes


def _read_json(path: Path) -> Any:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise LayoutError(
            f"the JSON file is not UTF-8 text (byte {problem.start + 1}); save it as UTF-8."
        ) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as problem:
        raise LayoutError(
            f"line {problem.lineno}, column {problem.colno}: the file is not readable JSON "
            f"({problem.msg})."
        ) from None
    except RecursionError:
        raise LayoutError("the JSON file is nested too deeply to be a register.") from None


def register_file_kind(path: Path) -> str:
    """``json``, ``xlsx`` or ``csv``, from the first bytes (the extension is not trusted)."""
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "csv"


@transaction.atomic
def register_import(
    *, path: Path, name: str = "", mapping: dict[str, str] | None = None
) -> ImportResult:
    """Import a register file: the CSV/XLSX layout (or a council's own headings, through the
    synonyms or a saved column mapping), an OCDS release or record package, or the
    simplified Contracts Finder export.

    All or nothing: a row that breaks the layout raises ``LayoutError`` (naming the line and
    column, or the release and field) and nothing is saved.
    """
    name = name or path.name
    if register_file_kind(path) == "json":
        data = _read_json(path)
        if ocds_import.is_ocds(data):
            releases = ocds_import.releases_rows(data)
            result = _save_rows(releases.rows, source=f"OCDS: {name}", ocids=releases.ocids)
            result.skipped = releases.skipped
            result.notes = releases.warnings
            return result
        mapped = ocds.contracts_finder_rows(data)
        result = _save_rows(
            mapped.rows, source=f"Contracts Finder notices: {name}", ocids=mapped.ocids
        )
        result.skipped = mapped.skipped
        return result
    rows, notes = _parse_file(path, mapping)
    result = _save_rows(rows, source=f"Imported from {name}")
    result.notes = notes
    return result


def register_mapping_for(path: Path) -> RegisterColumnMapping | None:
    """A saved column mapping for files with this file's headings."""

    headings = layout.file_headings(path)
    if not headings:
        return None
    return RegisterColumnMapping.objects.filter(header_signature=header_signature(headings)).first()


def register_upload_import(*, upload: RegisterUpload) -> ImportResult:
    """Import a kept upload; on success the file is let go, on refusal it is kept (with the
    reason) so it can be mapped or corrected and run again."""
    path = upload.path
    if upload.status == RegisterUpload.Status.DISCARDED or not path.is_file():
        raise LayoutError(
            "the uploaded file is no longer kept (it was discarded); upload it again."
        )
    mapping = upload.mapping or register_mapping_for(path)
    try:
        result = register_import(
            path=path, name=upload.file_name, mapping=mapping.mapping if mapping else None
        )
    except LayoutError as problem:
        RegisterUpload.objects.filter(pk=upload.pk).update(
            status=RegisterUpload.Status.FAILED, error=str(problem)[:5000]
        )
        raise
    RegisterUpload.objects.filter(pk=upload.pk).update(
        status=RegisterUpload.Status.IMPORTED, error="", mapping=mapping, result=result.as_dict()
    )
    path.unlink(missing_ok=True)
    return result


@transaction.atomic
def register_upload_start(*, upload: Any, user: User | None) -> RegisterUpload:
    """Keep an uploaded register file and start its import job."""

    suffix = Path(upload.name).suffix.lower()
    stored = default_storage.save(f"contracts/imports/upload{suffix}", upload)
    record = RegisterUpload.objects.create(
        file_name=Path(upload.name).name[:255],
        stored_file=default_storage.path(stored),
        uploaded_by=user,
    )
    return register_upload_retry(upload=record, user=user)


@transaction.atomic
def register_upload_retry(*, upload: RegisterUpload, user: User | None) -> RegisterUpload:
    """Run the import of a kept upload (again)."""

    if upload.status in (RegisterUpload.Status.IMPORTED, RegisterUpload.Status.DISCARDED):
        raise ValidationError(f"{upload.file_name} is {upload.get_status_display().lower()}.")
    job = job_start(
        kind="contracts.import",
        title=f"Import contract register {upload.file_name}",
        params={"upload": upload.pk},
        user=user,
    )
    upload.job = job
    upload.status = RegisterUpload.Status.WAITING
    upload.save(update_fields=["job", "status"])
    return upload


@transaction.atomic
def register_upload_discard(*, upload: RegisterUpload, user: User | None) -> None:
    """Let go of a kept upload that will not be imported."""
    if upload.status == RegisterUpload.Status.IMPORTED:
        raise ValidationError(f"{upload.file_name} was imported; there is nothing to discard.")
    upload.path.unlink(missing_ok=True)
    upload.status = RegisterUpload.Status.DISCARDED
    upload.save(update_fields=["status"])


@transaction.atomic
def register_mapping_save(
    *, upload: RegisterUpload, name: str, mapping: dict[str, str], user: User | None
) -> RegisterUpload:
    """Save a column mapping for files with this upload's headings and import it again."""

    headings = layout.file_headings(upload.path)
    saved, _ = RegisterColumnMapping.objects.update_or_create(
        header_signature=header_signature(headings),
        defaults={"name": name, "mapping": mapping, "created_by": user},
    )
    upload.mapping = saved
    upload.save(update_fields=["mapping"])
    return register_upload_retry(upload=upload, user=user)


# ---------------------------------------------------------------------------------------------
# Quarterly publication


def publication_contracts(quarter: Quarter) -> Any:
    """The registered contracts a quarter's publication holds: awarded by its end and not
    ended before it began."""
    ended_before = Q(ended_on__lt=quarter.start) | Q(
        ended_on__isnull=True, end_date__lt=quarter.start
    )
    return (
        Contract.objects.filter(status=Contract.Status.REGISTERED, award_date__lte=quarter.end)
        .exclude(ended_before)
        .order_by("reference")
    )


def _freeze(publication: Publication, quarter: Quarter) -> None:
    contracts = list(
        publication_contracts(quarter).values(
            "id", "reference", *CONTRACT_FIELDS, "ocid", "ended_on"
        )
    )
    suppliers: dict[int, list[dict[str, Any]]] = {}
    for row in (
        AwardedSupplier.objects.filter(contract_id__in=[c["id"] for c in contracts])
        .order_by("name_key")
        .values("contract_id", *SUPPLIER_FIELDS)
    ):
        suppliers.setdefault(row.pop("contract_id"), []).append(row)
    frozen: list[PublishedContract] = []
    for row in contracts:
        names = [s["name"] for s in suppliers.get(row["id"], [])]
        values = {name: row[name] for name in (*CONTRACT_FIELDS, "reference", "ocid")}
        if row["ended_on"] and (values["end_date"] is None or row["ended_on"] < values["end_date"]):
            values["end_date"] = row["ended_on"]
        frozen.append(
            PublishedContract(
                publication=publication,
                supplier_names="; ".join(names),
                supplier_count=len(names),
                search_text=" ".join(
                    [row["reference"], row["title"], row["department"], *names]
                ).casefold(),
                **values,
            )
        )
    PublishedContract.objects.bulk_create(frozen, batch_size=2000)
    published_suppliers = [
        PublishedSupplier(contract=published, **supplier)
        for published, row in zip(frozen, contracts, strict=True)
        for supplier in suppliers.get(row["id"], [])
    ]
    PublishedSupplier.objects.bulk_create(published_suppliers, batch_size=4000)
    publication.contract_count = len(frozen)
    publication.supplier_count = len(published_suppliers)


@transaction.atomic
def publication_build(
    *, quarter: Quarter, user: User | None, progress: Progress | None = None
) -> Publication:
    """Freeze the register for a quarter and render its PDF, XLSX, CSV and OCDS files.

    Everything happens in one transaction: a failure leaves no half-built publication.
    Publishing a quarter again makes a new version; the latest version is the public one.
    """

    def report(percent: int, message: str) -> None:
        if progress:
            progress(percent, message)

    version = (
        Publication.objects.filter(quarter=quarter.code).aggregate(v=Max("version"))["v"] or 0
    ) + 1
    publication = Publication.objects.create(
        quarter=quarter.code,
        version=version,
        period_start=quarter.start,
        period_end=quarter.end,
        created_by=user,
        published_at=timezone.now(),
    )
    report(5, "Freezing the register.")
    _freeze(publication, quarter)
    publication.save(update_fields=["contract_count", "supplier_count"])
    stem = f"contract-register-{quarter.code}-v{version}"
    report(10, "Starting the PDF file.")
    pdf = publishing.start_pdf(publication)
    try:
        for percent, kind, render in (
            (20, "csv", publishing.render_csv),
            (35, "xlsx", publishing.render_xlsx),
            (50, "ocds", publishing.render_ocds),
            (60, "pdf", lambda _: pdf.result()),
        ):
            report(percent, f"Writing the {kind.upper()} file.")
            content = render(publication)
            extension = "json" if kind == "ocds" else kind
            getattr(publication, kind).save(f"{stem}.{extension}", ContentFile(content), save=False)
    finally:
        pdf.cancel()  # a no-op once the PDF is in; stops the child if anything failed
    publication.status = Publication.Status.PUBLISHED
    publication.published_at = timezone.now()
    publication.save()
    return publication


# ---------------------------------------------------------------------------------------------
# Procurement Act 2023 notices (UK7 contract details, UK10 change, UK11 termination)


def _act_contract(contract: Contract) -> None:
    if contract.regime not in ACT_REGIMES:
        regime = contract.get_regime_display() or "not recorded"
        raise ValidationError(
            f"{contract.reference} is not recorded as procured under the Procurement Act 2023 "
            f"(procurement law: {regime}), so it has no Act notices. Change the contract's "
            "procurement law first if that is wrong."
        )


@transaction.atomic
def notice_draft(
    *,
    contract: Contract,
    kind: str,
    user: User | None,
    change: ContractChange | None = None,
    description: str = "",
    termination_reason: str = "",
    proposed_automatically: bool = False,
) -> Notice:
    """Draft a notice (or return the draft already there). Nothing is public until published."""
    _act_contract(contract)
    period: tuple[date | None, date | None] = (None, None)
    if kind == Notice.Kind.CHANGE:
        if change is None or change.contract_id != contract.pk:
            raise ValidationError("A change notice is for one recorded change to this contract.")
        existing = Notice.objects.filter(kind=kind, change=change).first()
    elif kind == Notice.Kind.PERFORMANCE:
        existing = Notice.objects.filter(
            kind=kind, contract=contract, status=Notice.Status.DRAFT
        ).first()
        last = (
            Notice.objects.filter(kind=kind, contract=contract, status=Notice.Status.PUBLISHED)
            .order_by("-period_end")
            .first()
        )
        start = last.period_end + timedelta(days=1) if last and last.period_end else None
        period = (start or contract.start_date, timezone.localdate())
    else:
        existing = Notice.objects.filter(kind=kind, contract=contract).first()
    if existing:
        return existing
    if kind == Notice.Kind.TERMINATION:
        if contract.effective_end is None:
            raise ValidationError(
                f"{contract.reference} has no end date: record the end date, or end it early, "
                "before drafting its termination notice."
            )
        termination_reason = termination_reason or contract.end_reason or "Contract expired"
    return Notice.objects.create(
        contract=contract,
        kind=kind,
        change=change if kind == Notice.Kind.CHANGE else None,
        description=clean_text(description),
        termination_reason=clean_text(termination_reason)[:500],
        terminated_on=contract.effective_end if kind == Notice.Kind.TERMINATION else None,
        period_start=period[0],
        period_end=period[1],
        proposed_automatically=proposed_automatically,
        created_by=user,
    )


@transaction.atomic
def notice_publish(*, notice: Notice, user: User | None) -> Notice:
    """Publish a draft: freeze its OCDS release with who and when. A termination notice's
    final value is the ledger's spend under the contract on the day it is published."""

    notice = Notice.objects.select_for_update().select_related("contract").get(pk=notice.pk)
    if notice.status == Notice.Status.PUBLISHED:
        raise ValidationError("This notice is already published; it cannot change.")
    if not settings.COUNCIL_PPON:
        raise ValidationError(
            "The council's PPON is not set (setting COUNCIL_PPON): Find a Tender identifies "
            "the council by it. Ask an administrator to set it, then publish."
        )
    _act_contract(notice.contract)
    if notice.kind == Notice.Kind.PERFORMANCE and not (
        notices.performance_assessments(notice) or notices.performance_failures(notice)
    ):
        raise ValidationError(
            "This performance notice has nothing to report: no verified KPI assessment ends, "
            "and no breach or failure was decided, in its period. Verify the assessments first."
        )
    now = timezone.now()
    if notice.kind == Notice.Kind.TERMINATION:
        notice.final_value_pence = selectors.contract_spend(
            notice.contract, today=timezone.localdate()
        ).spend_pence
    notice.release = notices.notice_release(
        notice, published=now, final_value_pence=notice.final_value_pence
    )
    notice.status = Notice.Status.PUBLISHED
    notice.published_at, notice.published_by = now, user
    notice.save()
    return notice


def termination_notices_propose(*, today: date) -> list[Notice]:
    """Draft a termination notice for each Act contract that has ended (expiry included)
    and has none yet: s.80 needs one within 30 days of any contract ending."""
    ended = (
        Contract.objects.filter(status=Contract.Status.REGISTERED, regime__in=ACT_REGIMES)
        .filter(Q(ended_on__lte=today) | Q(ended_on__isnull=True, end_date__lt=today))
        .exclude(notices__kind=Notice.Kind.TERMINATION)
    )
    return [
        notice_draft(
            contract=contract,
            kind=Notice.Kind.TERMINATION,
            user=None,
            proposed_automatically=True,
        )
        for contract in ended
    ]


# ---------------------------------------------------------------------------------------------
# KPIs, their assessments, and breaches or failures to perform (PA 2023 s.52, s.71)


def kpi_add(
    *, contract: Contract, title: str, target: str, description: str = "", unit: str = ""
) -> Kpi:
    title, target = clean_text(title), clean_text(target)
    errors = {}
    if not title:
        errors["title"] = "Enter the KPI's title."
    if not target:
        errors["target"] = "Enter the KPI's target, for example 95% of visits on time."
    if errors:
        raise ValidationError(errors)
    return Kpi.objects.create(
        contract=contract,
        title=title[:300],
        target=target[:300],
        description=clean_text(description),
        unit=clean_text(unit)[:100],
    )


def assessment_enter(
    *,
    kpi: Kpi,
    period_start: date,
    period_end: date,
    rating: str,
    measure: str = "",
    notes: str = "",
    user: User | None,
    by_supplier: bool = False,
) -> KpiAssessment:
    """An assessment as entered: an officer's is verified at once; a supplier's return waits
    for an officer to verify it."""
    if rating not in KpiAssessment.Rating.values:
        raise ValidationError(
            {
                "rating": "Choose a rating: Good, Approaching target, "
                "Requires improvement, Inadequate or Other."
            }
        )
    if period_end < period_start:
        raise ValidationError({"period_end": "The period must end after it starts."})
    if period_end - period_start > timedelta(days=366):
        raise ValidationError(
            {"period_end": "An assessment covers at most 12 months (s.71 asks for one a year)."}
        )
    now = timezone.now()
    return KpiAssessment.objects.create(
        kpi=kpi,
        period_start=period_start,
        period_end=period_end,
        rating=rating,
        measure=clean_text(measure)[:300],
        notes=clean_text(notes),
        returned_by_supplier=by_supplier,
        entered_by=None if by_supplier else user,
        verified_by=None if by_supplier else user,
        verified_at=None if by_supplier else now,
    )


def assessment_verify(*, assessment: KpiAssessment, user: User | None) -> KpiAssessment:
    if assessment.verified_at is None:
        assessment.verified_by, assessment.verified_at = user, timezone.now()
        assessment.save(update_fields=["verified_by", "verified_at"])
    return assessment


def failure_record(
    *, contract: Contract, data: dict[str, Any], user: User | None
) -> PerformanceFailure:
    requirement = clean_text(data.get("requirement") or "")
    description = clean_text(data.get("description") or "")
    errors = {}
    if not requirement:
        errors["requirement"] = "Say which obligation was not met."
    if not description:
        errors["description"] = "Describe the failure: its nature, impact and how long it lasted."
    if not data.get("decision_date"):
        errors["decision_date"] = "Enter the date the council decided the supplier had failed."
    if errors:
        raise ValidationError(errors)
    return PerformanceFailure.objects.create(
        contract=contract,
        requirement=requirement[:500],
        description=description,
        decision_date=data["decision_date"],
        penalty_date=data.get("penalty_date"),
        penalty_type=data.get("penalty_type") or "",
        penalty_value=data.get("penalty_value"),
        partial_termination=clean_text(data.get("partial_termination") or "")[:500],
        recorded_by=user,
    )


def planned_procurement_add(*, data: dict[str, Any], user: User | None) -> PlannedProcurement:
    errors = {}
    if not clean_text(data.get("title") or ""):
        errors["title"] = "Enter the planned procurement's title."
    value = data.get("estimated_value_gross")
    if value is None or value <= 0:
        errors["estimated_value_gross"] = "Enter the estimated value including VAT, over £0."
    if not data.get("tender_notice_on"):
        errors["tender_notice_on"] = "Enter when the tender or transparency notice is expected."
    try:
        cpv = layout.clean_cpv(data.get("cpv_code") or "")
    except ValueError as problem:
        errors["cpv_code"] = layout.sentence(problem)
    if errors or value is None:
        raise ValidationError(errors)
    return PlannedProcurement.objects.create(
        title=clean_text(data["title"])[:500],
        description=clean_text(data.get("description") or ""),
        department=clean_text(data.get("department") or "")[:200],
        cpv_code=cpv,
        estimated_value_gross=value,
        tender_notice_on=data["tender_notice_on"],
        award_on=data.get("award_on"),
        replaces=data.get("replaces"),
        created_by=user,
    )


@transaction.atomic
def pipeline_publish(*, fy: int, user: User | None) -> PipelineNotice:
    """Publish the pipeline notice for ``fy``: freeze its OCDS with who and when."""

    if not settings.COUNCIL_PPON:
        raise ValidationError(
            "The council's PPON is not set (setting COUNCIL_PPON): Find a Tender identifies "
            "the council by it. Ask an administrator to set it, then publish."
        )
    notice, _ = PipelineNotice.objects.select_for_update().get_or_create(fy=fy)
    if notice.status == PipelineNotice.Status.PUBLISHED:
        raise ValidationError("This year's pipeline notice is already published.")
    plan = selectors.pipeline(fy, today=timezone.localdate())
    if not plan.planned:
        raise ValidationError(
            "No planned procurement of £2m or more (VAT included) is expected in the 18 months "
            "from 1 April: add the planned procurements first."
        )
    now = timezone.now()
    notice.package = notices.pipeline_package(plan, published=now)
    notice.status, notice.published_at, notice.published_by = (
        PipelineNotice.Status.PUBLISHED,
        now,
        user,
    )
    notice.save()
    return notice
