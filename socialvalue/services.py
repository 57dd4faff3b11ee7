"""Writes for social value: the catalogue, contract approach and commitments, supplier links,
delivery returns and their verification. Every change to social value data goes through here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts.models import AwardedSupplier, Contract
from portal.models import User
from portal.services import email_after_commit
from socialvalue.catalogue import load_starter_catalogue
from socialvalue.catalogue.spreadsheet import CatalogueRow, read_catalogue, write_catalogue
from socialvalue.evidence import check_evidence
from socialvalue.models import (
    Approach,
    Commitment,
    ContractApproach,
    DeliveryReturn,
    Measure,
    MeasureProxy,
    Outcome,
    ReturnReminder,
    SupplierLink,
    Theme,
)
from socialvalue.periods import FyQuarter

LINK_DAYS = 120  # a supplier link lasts about a quarter and its return window

# ---------------------------------------------------------------------------- catalogue


@transaction.atomic
def catalogue_load_starter(
    *, path: Path | None = None, only_if_empty: bool = True, using: str = "default"
) -> int:
    """Load the starter catalogue (``socialvalue/catalogue/starter.json``); returns how many
    measures were added. Idempotent: codes already present are left as the council edited them;
    with ``only_if_empty`` nothing is loaded once the council has any catalogue of its own."""
    if only_if_empty and Theme.objects.using(using).exists():
        return 0
    data = load_starter_catalogue(path)
    added = 0
    for t_pos, theme_data in enumerate(data["themes"], start=1):
        theme, _ = Theme.objects.using(using).get_or_create(
            code=theme_data["code"],
            defaults={
                "title": theme_data["title"],
                "mission": theme_data.get("mission", ""),
                "description": theme_data.get("description", ""),
                "position": t_pos,
            },
        )
        for o_pos, outcome_data in enumerate(theme_data["outcomes"], start=1):
            outcome, _ = Outcome.objects.using(using).get_or_create(
                code=outcome_data["code"],
                defaults={
                    "theme": theme,
                    "title": outcome_data["title"],
                    "description": outcome_data.get("description", ""),
                    "position": o_pos,
                },
            )
            for m_pos, measure_data in enumerate(outcome_data["measures"], start=1):
                measure, created = Measure.objects.using(using).get_or_create(
                    code=measure_data["code"],
                    defaults={
                        "outcome": outcome,
                        "title": measure_data["title"],
                        "unit": measure_data["unit"],
                        "position": m_pos,
                        "description": measure_data.get("description", ""),
                    },
                )
                if created:
                    added += 1
                    MeasureProxy.objects.using(using).create(
                        measure=measure,
                        valid_from_fy=measure_data["valid_from"],
                        value=Decimal(measure_data["proxy_value"]),
                        basis=measure_data.get("proxy_basis", ""),
                    )
    return added


def catalogue_rows() -> list[CatalogueRow]:
    rows: list[CatalogueRow] = []
    measures = Measure.objects.select_related("outcome__theme").prefetch_related("proxies")
    for measure in measures:
        outcome, theme = measure.outcome, measure.outcome.theme
        proxies: list[MeasureProxy | None] = [*measure.proxies.all()] or [None]
        for proxy in proxies:
            rows.append(
                CatalogueRow(
                    theme.code,
                    theme.title,
                    theme.mission,
                    outcome.code,
                    outcome.title,
                    measure.code,
                    measure.title,
                    measure.unit,
                    measure.description,
                    proxy.value if proxy else None,
                    proxy.valid_from_fy if proxy else None,
                    proxy.basis if proxy else "",
                )
            )
    return rows


def catalogue_xlsx_export() -> bytes:
    """The whole catalogue as a workbook that ``catalogue_xlsx_import`` reads back."""
    return write_catalogue(catalogue_rows())


@dataclass(frozen=True)
class CatalogueImported:
    themes: int
    outcomes: int
    measures_added: int
    measures_updated: int
    proxies: int


@transaction.atomic
def catalogue_xlsx_import(*, file: IO[bytes]) -> CatalogueImported:
    """Add or update themes, outcomes, measures and proxies from a workbook, by code.

    All or nothing: a sheet with any problem raises ``CatalogueRefused`` (naming sheet, row
    and column) before anything changes. Nothing is deleted; a proxy for a year already held is
    replaced by the sheet's value.
    """
    sheet = read_catalogue(file)
    themes: dict[str, Theme] = {}
    next_pos = Theme.objects.order_by("-position").values_list("position", flat=True).first() or 0
    for code, t in sheet.themes.items():
        theme = Theme.objects.filter(code=code).first()
        if theme is None:
            next_pos += 1
            theme = Theme.objects.create(
                code=code, title=t.title, mission=t.mission, position=next_pos
            )
        else:
            theme.title, theme.mission = t.title, t.mission or theme.mission
            theme.save()
        themes[code] = theme
    outcomes: dict[str, Outcome] = {}
    for position, (code, o) in enumerate(sheet.outcomes.items(), start=1):
        outcome, _ = Outcome.objects.update_or_create(
            code=code,
            defaults={"theme": themes[o.theme_code], "title": o.title},
            create_defaults={"theme": themes[o.theme_code], "title": o.title, "position": position},
        )
        outcomes[code] = outcome
    added = updated = proxies = 0
    for position, (code, m) in enumerate(sheet.measures.items(), start=1):
        values = {
            "outcome": outcomes[m.outcome_code],
            "title": m.title,
            "unit": m.unit,
            "description": m.description,
        }
        measure, created = Measure.objects.update_or_create(
            code=code, defaults=values, create_defaults={**values, "position": position}
        )
        added += created
        updated += not created
        for year, (value, basis) in m.proxies.items():
            MeasureProxy.objects.update_or_create(
                measure=measure, valid_from_fy=year, defaults={"value": value, "basis": basis}
            )
            proxies += 1
    return CatalogueImported(len(themes), len(outcomes), added, updated, proxies)


@transaction.atomic
def measure_save(*, measure: Measure) -> Measure:
    measure.full_clean()
    measure.save()
    return measure


@transaction.atomic
def measure_proxy_set(
    *, measure: Measure, valid_from_fy: int, value: Decimal, basis: str = ""
) -> MeasureProxy:
    """Set the measure's proxy from a financial year on (replacing one for that same year)."""
    if value < 0:
        raise ValidationError({"value": "A proxy value cannot be negative."})
    proxy, _ = MeasureProxy.objects.update_or_create(
        measure=measure,
        valid_from_fy=valid_from_fy,
        defaults={"value": value.quantize(Decimal("0.01")), "basis": basis},
    )
    return proxy


@transaction.atomic
def measure_proxy_delete(*, proxy: MeasureProxy) -> None:
    if proxy.measure.proxies.count() <= 1:
        raise ValidationError("A measure needs at least one proxy value.")
    proxy.delete()


# ---------------------------------------------------------------------------- per contract


@transaction.atomic
def contract_approach_set(
    *, contract: Contract, approach: str, notes: str = "", user: User | None
) -> ContractApproach:
    if approach not in Approach.values:
        raise ValidationError({"approach": "Choose additional, prescribed or required."})
    record, _ = ContractApproach.objects.update_or_create(
        contract=contract, defaults={"approach": approach, "notes": notes, "updated_by": user}
    )
    return record


def _check_commitment(
    *,
    contract: Contract,
    supplier: AwardedSupplier | None,
    measure: Measure,
    target_quantity: Decimal,
    period_fy: int,
) -> None:
    errors: dict[str, str] = {}
    if supplier is not None and supplier.contract_id != contract.pk:
        errors["supplier"] = "Choose one of this contract's suppliers."
    if target_quantity is None or target_quantity <= 0:
        errors["target_quantity"] = "The target must be more than zero."
    if not 2000 <= period_fy <= 2100:
        errors["period_fy"] = "Give a financial year between 2000 and 2100."
    elif not measure.proxies.filter(valid_from_fy__lte=period_fy).exists():
        first = measure.proxies.order_by("valid_from_fy").first()
        errors["period_fy"] = (
            f"{measure.code} has no proxy value for {period_fy}/{(period_fy + 1) % 100:02d}"
            + (f"; its first is from {first.valid_from_fy}." if first else ".")
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def commitment_create(
    *,
    contract: Contract,
    measure: Measure,
    target_quantity: Decimal,
    period_fy: int,
    supplier: AwardedSupplier | None = None,
    note: str = "",
    user: User | None,
) -> Commitment:
    if not measure.active:
        raise ValidationError({"measure": f"{measure.code} is no longer in use."})
    _check_commitment(
        contract=contract,
        supplier=supplier,
        measure=measure,
        target_quantity=target_quantity,
        period_fy=period_fy,
    )
    return Commitment.objects.create(
        contract=contract,
        supplier=supplier,
        measure=measure,
        target_quantity=target_quantity,
        period_fy=period_fy,
        note=note,
        created_by=user,
    )


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    target_quantity: Decimal,
    note: str,
    supplier: AwardedSupplier | None,
    user: User | None,
) -> Commitment:
    """Change a commitment's target, note or supplier (measure and year stay: returns hang
    on them)."""
    _check_commitment(
        contract=commitment.contract,
        supplier=supplier,
        measure=commitment.measure,
        target_quantity=target_quantity,
        period_fy=commitment.period_fy,
    )
    commitment.target_quantity, commitment.note, commitment.supplier = (
        target_quantity,
        note,
        supplier,
    )
    commitment.save()
    return commitment


@transaction.atomic
def commitment_delete(*, commitment: Commitment) -> None:
    if commitment.returns.exists():
        raise ValidationError("This commitment has delivery returns, so it cannot be removed.")
    commitment.delete()


# ---------------------------------------------------------------------------- supplier links


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def supplier_link_create(
    *, contract: Contract, supplier: AwardedSupplier, user: User | None, days: int = LINK_DAYS
) -> tuple[SupplierLink, str]:
    """A new link for ``supplier`` to report on ``contract``; returns it and its token (the
    only copy: the database keeps a hash)."""
    if supplier.contract_id != contract.pk:
        raise ValidationError({"supplier": "Choose one of this contract's suppliers."})
    if not 1 <= days <= 366:
        raise ValidationError({"days": "A link lasts between 1 and 366 days."})
    token = secrets.token_urlsafe(32)
    link = SupplierLink.objects.create(
        contract=contract,
        supplier=supplier,
        token_hash=token_hash(token),
        created_by=user,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return link, token


@transaction.atomic
def return_reminder_send(
    *, contract: Contract, user: User, url_for: Callable[[str], str], today: date | None = None
) -> list[ReturnReminder]:
    """Email each of the contract's suppliers that has an email address a reminder of the
    overdue quarters, with a new return link (``url_for(token)`` is its address); each is
    recorded. Refused when nothing is overdue or no supplier has an email address."""
    from socialvalue.selectors import overdue_returns  # noqa: PLC0415  (the selectors import this module)

    today = today or timezone.localdate()
    overdue = next((o for o in overdue_returns(today) if o.contract_id == contract.pk), None)
    if overdue is None:
        raise ValidationError(f"No returns are overdue on {contract.reference}.")
    suppliers = [s for s in contract.suppliers.order_by("pk") if s.email]
    if not suppliers:
        raise ValidationError(
            f"No supplier on {contract.reference} has an email address. Add one on the "
            "contract's page, or make a supplier link and send it yourself."
        )
    quarters = list(dict.fromkeys(m.quarter.label for m in overdue.missing))
    listed = "\n".join(f"- {q}" for q in quarters)
    sent = []
    for supplier in suppliers:
        link, token = supplier_link_create(contract=contract, supplier=supplier, user=user)
        expires = timezone.localtime(link.expires_at).strftime("%-d %B %Y")
        body = (
            f"Hello,\n\n{settings.COUNCIL_NAME} has not yet had {supplier.name}'s social "
            f"value returns for contract {contract.reference}, {contract.title}, for:\n\n"
            f"{listed}\n\nEach return was due 30 days after its quarter ended. Please send "
            f"them with this link (no account needed; it works until {expires}):\n\n"
            f"{url_for(token)}\n\n{user.get_full_name()}\n"
        )
        email_after_commit(
            subject=f"Reminder: social value returns overdue for {contract.reference}",
            body=body,
            to=supplier.email.strip().lower(),
        )
        sent.append(
            ReturnReminder.objects.create(
                contract=contract,
                supplier=supplier,
                link=link,
                sent_to=supplier.email.strip().lower(),
                quarters=", ".join(quarters)[:500],
                sent_by=user,
            )
        )
    return sent


def supplier_link_email(*, link: SupplierLink, url: str, to: str, sender: User) -> None:
    """Email a new link to the supplier's contact once the transaction commits."""
    contract = link.contract
    expires = timezone.localtime(link.expires_at).strftime("%-d %B %Y")
    body = (
        f"Hello,\n\n{sender.get_full_name()} at {settings.COUNCIL_NAME} has "
        f"made a link for {link.supplier.name} to report the social value delivered under "
        f"contract {contract.reference}, {contract.title}.\n\n"
        f"Use it each quarter to send what was delivered against your commitments, with "
        f"evidence. You do not need an account. The link works until {expires}:\n\n{url}\n\n"
        f"Anyone with the link can send returns for your organisation on this contract, so "
        f"please do not forward this email outside your organisation.\n"
    )
    email_after_commit(
        subject=f"Social value returns for {contract.reference}", body=body, to=to.strip().lower()
    )


@transaction.atomic
def supplier_link_revoke(*, link: SupplierLink) -> SupplierLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def supplier_link_touch(*, link: SupplierLink) -> None:
    SupplierLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


# ---------------------------------------------------------------------------- returns


def _check_return(*, commitment: Commitment, quarter: int, quantity: Decimal) -> None:
    errors: dict[str, str] = {}
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = "Choose a quarter."
    elif FyQuarter(commitment.period_fy, quarter).start > timezone.localdate():
        errors["quarter"] = "That quarter has not started yet."
    if quantity is None or quantity < 0:
        errors["quantity"] = "The quantity delivered must be zero or more."
    if errors:
        raise ValidationError(errors)
    live = commitment.returns.filter(period_fy=commitment.period_fy, quarter=quarter).exclude(
        status=DeliveryReturn.Status.REJECTED
    )
    if live.exists():
        raise ValidationError(
            {
                "quarter": "A return for this commitment and quarter has "
                "already been sent. Only a rejected return can be sent again."
            }
        )


@transaction.atomic
def delivery_return_submit(
    *,
    commitment: Commitment,
    quarter: int,
    quantity: Decimal,
    evidence_note: str = "",
    evidence: UploadedFile | None = None,
    submitted_by_name: str = "",
    link: SupplierLink | None = None,
) -> DeliveryReturn:
    """A quarter's delivery against a commitment, awaiting an officer's verification.

    Through a supplier link the commitment must belong to the link's contract and supplier;
    the evidence file is size-limited and type-checked by its content.
    """
    if link is not None:
        if not link.is_live:
            raise ValidationError("This link has expired.")
        if commitment.contract_id != link.contract_id or commitment.supplier_id not in (
            None,
            link.supplier_id,
        ):
            raise ValidationError({"commitment": "Choose one of this contract's commitments."})
    Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
    _check_return(commitment=commitment, quarter=quarter, quantity=quantity)
    record = DeliveryReturn(
        commitment=commitment,
        period_fy=commitment.period_fy,
        quarter=quarter,
        quantity=quantity,
        evidence_note=evidence_note.strip(),
        submitted_by_name=" ".join(submitted_by_name.split())[:200],
        link=link,
    )
    if evidence is not None:
        try:
            checked = check_evidence(evidence, evidence.name or "evidence", evidence.size)
        except ValueError as problem:
            raise ValidationError({"evidence": str(problem)}) from None
        record.evidence_name, record.evidence_type = checked.name, checked.content_type
        record.evidence.save(checked.name, evidence, save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        if record.evidence:
            record.evidence.delete(save=False)
        raise ValidationError(
            {"quarter": "A return for this commitment and quarter has already been sent."}
        ) from None
    return record


@transaction.atomic
def delivery_return_verify(*, delivery_return: DeliveryReturn, user: User) -> DeliveryReturn:
    record = DeliveryReturn.objects.select_for_update().get(pk=delivery_return.pk)
    if record.status != DeliveryReturn.Status.SUBMITTED:
        raise ValidationError(f"This return is already {record.get_status_display().lower()}.")
    record.status, record.reviewed_at, record.reviewed_by = (
        DeliveryReturn.Status.VERIFIED,
        timezone.now(),
        user,
    )
    record.rejection_reason = ""
    record.save()
    return record


@transaction.atomic
def delivery_return_reject(
    *, delivery_return: DeliveryReturn, reason: str, user: User
) -> DeliveryReturn:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Say why the return is rejected: the supplier sees it."})
    record = DeliveryReturn.objects.select_for_update().get(pk=delivery_return.pk)
    if record.status == DeliveryReturn.Status.REJECTED:
        raise ValidationError("This return is already rejected.")
    record.status, record.reviewed_at, record.reviewed_by = (
        DeliveryReturn.Status.REJECTED,
        timezone.now(),
        user,
    )
    record.rejection_reason = reason[:500]
    record.save()
    return record
