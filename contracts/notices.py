"""Procurement Act 2023 notices as Find a Tender publishes them: OCDS 1.1 with the Cabinet
Office UK extension (``contracts/ocds_schema/uk_extension``), organisations identified by
PPON (``GB-PPON``), values with and without VAT.

One release per notice, built from the live register when the notice is published and then
frozen on the notice. UK7 (contract details) is tagged ``contract``; UK10 (change) carries
the change in ``contracts[].amendments[]`` and is tagged ``contractAmendment``; UK11
(termination) carries the ledger's spend as ``implementation.finalValue`` (the contract
completion extension) and is tagged ``contractTermination``.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from contracts.models import (
    AwardedSupplier,
    Contract,
    KpiAssessment,
    MainCategory,
    Notice,
    PerformanceFailure,
)
from contracts.ocds import OCDS_LICENSE, _amount, _datetime, _slug, ocid_prefix, site_url

UK_EXTENSION = (
    "https://raw.githubusercontent.com/cabinetoffice/ocds_uk_extension/main/extension.json"
)
COMPLETION_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_contract_completion_extension/master/extension.json"
)
TAGS = {
    Notice.Kind.CONTRACT_DETAILS: "contract",
    Notice.Kind.PERFORMANCE: "implementation",
    Notice.Kind.CHANGE: "contractAmendment",
    Notice.Kind.TERMINATION: "contractTermination",
}
DOCUMENT_TYPES = {
    Notice.Kind.CONTRACT_DETAILS: "contractNotice",
    Notice.Kind.PERFORMANCE: "implementationNotice",
    Notice.Kind.CHANGE: "contractNotice",
    Notice.Kind.TERMINATION: "contractTerminationNotice",
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(net: Decimal, gross: Decimal | None) -> dict[str, Any]:
    value: dict[str, Any] = {"amount": _amount(net), "currency": "GBP"}
    if gross is not None:
        value["amountGross"] = _amount(gross)
    return value


def buyer_party() -> dict[str, Any]:
    ppon = settings.COUNCIL_PPON
    return {
        "id": f"GB-PPON-{ppon}",
        "name": settings.COUNCIL_NAME,
        "identifier": {"scheme": "GB-PPON", "id": ppon, "legalName": settings.COUNCIL_NAME},
        "contactPoint": {"email": settings.COUNCIL_CONTACT_EMAIL},
        "roles": ["buyer"],
    }


def supplier_party(supplier: AwardedSupplier, number: int) -> dict[str, Any]:
    party: dict[str, Any] = {"name": supplier.name, "roles": ["supplier"]}
    others = []
    if supplier.ppon:
        party["id"] = f"GB-PPON-{supplier.ppon}"
        party["identifier"] = {"scheme": "GB-PPON", "id": supplier.ppon, "legalName": supplier.name}
    else:
        party["id"] = f"supplier-{number}"
    if supplier.company_number:
        others.append({"scheme": "GB-COH", "id": supplier.company_number})
    if supplier.charity_number:
        others.append({"scheme": "GB-CHC", "id": supplier.charity_number})
    if others:
        party["additionalIdentifiers"] = others
    address = {
        key: text
        for key, text in (("streetAddress", supplier.address), ("postalCode", supplier.postcode))
        if text
    }
    if address:
        party["address"] = address | {"countryName": "United Kingdom"}
    if supplier.email:
        party["contactPoint"] = {"email": supplier.email}
    details: dict[str, Any] = {}
    if supplier.sme is not None:
        details["scale"] = "sme" if supplier.sme else "large"
    for key, flag in (
        ("vcse", supplier.vcfs),
        ("shelteredWorkshop", supplier.supported_employment),
        ("publicServiceMissionOrganization", supplier.public_service_mutual),
    ):
        if flag is not None:
            details[key] = flag
    if details:
        party["details"] = details
    return party


def contract_ocid(contract: Contract) -> str:
    return contract.ocid or f"{ocid_prefix()}-{_slug(contract.reference)}"


def notice_release(
    notice: Notice, *, published: datetime, final_value_pence: int | None = None
) -> dict[str, Any]:
    """The notice's OCDS release as it stands now (publishing freezes it)."""
    contract = notice.contract
    ocid = contract_ocid(contract)
    suppliers = [supplier_party(s, n) for n, s in enumerate(contract.suppliers.all(), start=1)]
    buyer = buyer_party()
    value = _value(contract.awarded_value, contract.awarded_value_gross)
    end = contract.effective_end
    period: dict[str, Any] = {"startDate": _datetime(contract.start_date)}
    if end:
        period["endDate"] = _datetime(end)
    award: dict[str, Any] = {
        "id": f"{ocid}-award",
        "title": contract.title,
        "status": "active",
        "date": _datetime(contract.award_date),
        "value": value,
        "suppliers": [{"id": p["id"], "name": p["name"]} for p in suppliers],
        "contractPeriod": period,
    }
    ocds_contract: dict[str, Any] = {
        "id": f"{ocid}-contract",
        "awardID": award["id"],
        "title": contract.title,
        "status": "active",
        "period": period,
        "value": value,
        "documents": [
            {
                "id": f"{notice.kind}-{notice.pk}",
                "documentType": DOCUMENT_TYPES[Notice.Kind(notice.kind)],
                "noticeType": notice.kind,
                "url": f"{site_url()}/register/notices/{notice.pk}/",
                "datePublished": _stamp(published),
            }
        ],
    }
    if contract.description:
        ocds_contract["description"] = contract.description
    if notice.kind == Notice.Kind.CHANGE and notice.change is not None:
        change = notice.change
        amendment: dict[str, Any] = {
            "id": f"change-{change.pk}",
            "date": _datetime(change.changed_on),
            "rationale": change.ground,
            "value": _value(change.value_after, change.value_gross_after),
        }
        if notice.description:
            amendment["description"] = notice.description
        if change.end_after:
            amendment["period"] = {
                "startDate": _datetime(contract.start_date),
                "endDate": _datetime(change.end_after),
            }
        ocds_contract["amendments"] = [amendment]
    if notice.kind == Notice.Kind.CONTRACT_DETAILS:
        metrics = [
            {
                "id": f"kpi-{kpi.pk}",
                "title": kpi.title,
                "description": kpi.description or kpi.title,
                "observations": [
                    {"id": f"kpi-{kpi.pk}-target", "measure": kpi.target}
                    | ({"unit": {"name": kpi.unit}} if kpi.unit else {})
                ],
            }
            for kpi in contract.kpis.all()
        ]
        if metrics:
            ocds_contract["agreedMetrics"] = metrics
    if notice.kind == Notice.Kind.PERFORMANCE:
        ocds_contract["implementation"] = performance_implementation(notice)
    if notice.kind == Notice.Kind.TERMINATION:
        ocds_contract["status"] = "terminated"
        implementation: dict[str, Any] = {}
        if notice.terminated_on:
            implementation["endDate"] = _datetime(notice.terminated_on)
        if notice.termination_reason:
            implementation["endDateDetails"] = notice.termination_reason
        if final_value_pence is not None:
            implementation["finalValue"] = {
                "amount": _amount(Decimal(final_value_pence) / 100),
                "currency": "GBP",
            }
            implementation["finalValueDetails"] = (
                "Payments under the contract in the council's ledger (VAT excluded)."
            )
        ocds_contract["implementation"] = implementation
    tender: dict[str, Any] = {"id": f"{ocid}-tender", "title": contract.title}
    if contract.main_category:
        tender["mainProcurementCategory"] = MainCategory(contract.main_category).value
    if contract.cpv_code:
        tender["items"] = [
            {"id": "1", "classification": {"scheme": "CPV", "id": contract.cpv_code}}
        ]
    return {
        "ocid": ocid,
        "id": f"{ocid}-{notice.kind}-{notice.pk}",
        "date": _stamp(published),
        "tag": [TAGS[Notice.Kind(notice.kind)]],
        "initiationType": "tender",
        "language": "en",
        "buyer": {"id": buyer["id"], "name": buyer["name"]},
        "parties": [buyer, *suppliers],
        "tender": tender,
        "awards": [award],
        "contracts": [ocds_contract],
    }


def notice_package(notice: Notice) -> dict[str, Any]:
    """The published notice as an OCDS release package declaring the extensions it uses."""
    published = notice.published_at or datetime.now(UTC)
    return {
        "uri": f"{site_url()}/register/notices/{notice.pk}/ocds/",
        "version": "1.1",
        "extensions": [UK_EXTENSION, COMPLETION_EXTENSION],
        "publishedDate": _stamp(published),
        "publisher": {"name": settings.COUNCIL_NAME},
        "license": OCDS_LICENSE,
        "publicationPolicy": f"{site_url()}/register/",
        "releases": [notice.release],
    }


CSV_COLUMNS = (
    "Notice type",
    "Notice code",
    "Published",
    "Open Contracting ID",
    "Contract identifier",
    "Contract title",
    "Contracting authority",
    "Contracting authority PPON",
    "Suppliers",
    "Supplier PPONs",
    "Value excluding VAT",
    "Value including VAT",
    "Start date",
    "End date",
    "Change date",
    "Change ground",
    "Value after change (excluding VAT)",
    "End date after change",
    "Date ended",
    "Reason ended",
    "Final value (ledger spend, excluding VAT)",
)


def _money(amount: Any) -> str:
    return "" if amount is None else f"{Decimal(str(amount)):.2f}"


def _day(stamp: Any) -> str:
    return str(stamp)[:10] if stamp else ""


def notice_csv_row(notice: Notice, release: dict[str, Any]) -> dict[str, str]:
    """The notice as one CSV row, read from the same release as its OCDS and page."""
    contract = release["contracts"][0]
    buyer, *suppliers = release["parties"]
    amendment = (contract.get("amendments") or [{}])[0]
    implementation = contract.get("implementation") or {}
    values = (
        notice.get_kind_display(),
        notice.kind,
        _day(release["date"]) if notice.status == Notice.Status.PUBLISHED else "Draft",
        release["ocid"],
        contract["id"],
        contract.get("title", ""),
        buyer["name"],
        buyer["identifier"]["id"],
        "; ".join(s["name"] for s in suppliers),
        "; ".join(s.get("identifier", {}).get("id", "") for s in suppliers),
        _money(contract["value"]["amount"]),
        _money(contract["value"].get("amountGross")),
        _day(contract["period"].get("startDate")),
        _day(contract["period"].get("endDate")),
        _day(amendment.get("date")),
        amendment.get("rationale", ""),
        _money((amendment.get("value") or {}).get("amount")),
        _day((amendment.get("period") or {}).get("endDate")),
        _day(implementation.get("endDate")),
        implementation.get("endDateDetails", ""),
        _money((implementation.get("finalValue") or {}).get("amount")),
    )
    return dict(zip(CSV_COLUMNS, values, strict=True))


def performance_assessments(notice: Notice) -> list[KpiAssessment]:
    """The verified KPI assessments a performance notice reports: those ending in its period."""
    return list(
        KpiAssessment.objects.filter(
            kpi__contract=notice.contract,
            verified_at__isnull=False,
            period_end__gte=notice.period_start,
            period_end__lte=notice.period_end,
        ).select_related("kpi")
    )


def performance_failures(notice: Notice) -> list[PerformanceFailure]:
    return list(
        notice.contract.performance_failures.filter(
            decision_date__gte=notice.period_start, decision_date__lte=notice.period_end
        )
    )


def performance_implementation(notice: Notice) -> dict[str, Any]:
    """``implementation.metrics[].observations[]`` (each rating as the UK extension's
    measureClassification) and ``implementation.performanceFailures[]``."""
    metrics: dict[int, dict[str, Any]] = {}
    for assessment in performance_assessments(notice):
        kpi = assessment.kpi
        metric = metrics.setdefault(
            kpi.pk,
            {
                "id": f"kpi-{kpi.pk}",
                "title": kpi.title,
                "description": kpi.description or kpi.title,
                "observations": [],
            },
        )
        observation: dict[str, Any] = {
            "id": f"assessment-{assessment.pk}",
            "period": {
                "startDate": _datetime(assessment.period_start),
                "endDate": _datetime(assessment.period_end),
            },
            "measureClassification": {
                "id": assessment.rating,
                "description": assessment.get_rating_display(),
            },
        }
        if assessment.measure:
            observation["measure"] = assessment.measure
        if kpi.unit:
            observation["unit"] = {"name": kpi.unit}
        if assessment.notes:
            observation["notes"] = assessment.notes
        metric["observations"].append(observation)
    failures = []
    for failure in performance_failures(notice):
        entry: dict[str, Any] = {
            "id": f"failure-{failure.pk}",
            "requirement": failure.requirement,
            "description": failure.description,
            "decisionDate": _datetime(failure.decision_date),
        }
        if failure.penalty_date:
            entry["penaltyDate"] = _datetime(failure.penalty_date)
        if failure.penalty_type:
            entry["penaltyType"] = failure.penalty_type
        if failure.penalty_value is not None:
            entry["penaltyValue"] = _value(failure.penalty_value, None)
        if failure.partial_termination:
            entry["partialTermination"] = failure.partial_termination
        failures.append(entry)
    implementation: dict[str, Any] = {}
    if metrics:
        implementation["metrics"] = list(metrics.values())
    if failures:
        implementation["performanceFailures"] = failures
    return implementation


def pipeline_package(pipeline: Any, *, published: datetime) -> dict[str, Any]:
    """The pipeline notice: one planning release per planned procurement of £2m or more."""
    buyer = buyer_party()
    releases = []
    for planned in pipeline.planned:
        ocid = f"{ocid_prefix()}-planned-{planned.pk}"
        tender: dict[str, Any] = {
            "id": f"{ocid}-tender",
            "title": planned.title,
            "status": "planned",
            "value": {"amountGross": _amount(planned.estimated_value_gross), "currency": "GBP"},
            "tenderPeriod": {"startDate": _datetime(planned.tender_notice_on)},
        }
        if planned.description:
            tender["description"] = planned.description
        if planned.award_on:
            tender["awardPeriod"] = {"startDate": _datetime(planned.award_on)}
        if planned.cpv_code:
            tender["items"] = [
                {"id": "1", "classification": {"scheme": "CPV", "id": planned.cpv_code}}
            ]
        releases.append(
            {
                "ocid": ocid,
                "id": f"{ocid}-UK1-{pipeline.fy}",
                "date": _stamp(published),
                "tag": ["planning"],
                "initiationType": "tender",
                "language": "en",
                "buyer": {"id": buyer["id"], "name": buyer["name"]},
                "parties": [buyer],
                "planning": {
                    "documents": [
                        {
                            "id": f"UK1-{pipeline.fy}",
                            "documentType": "plannedProcurementNotice",
                            "noticeType": "UK1",
                            "datePublished": _stamp(published),
                        }
                    ]
                },
                "tender": tender,
            }
        )
    return {
        "uri": f"{site_url()}/contracts/pipeline/{pipeline.fy}/ocds/",
        "version": "1.1",
        "extensions": [UK_EXTENSION],
        "publishedDate": _stamp(published),
        "publisher": {"name": settings.COUNCIL_NAME},
        "license": OCDS_LICENSE,
        "publicationPolicy": f"{site_url()}/register/",
        "releases": releases,
    }
