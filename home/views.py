"""The home page: what each role needs first, gathered from every app; for someone not
signed in, the three public services."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from contracts import selectors as contract_selectors
from portal import formatting, selectors
from portal.models import Job
from portal.navigation import sections_for
from portal.roles import READERS, STAFF, Role, role_required, user_roles
from reports.models import Edition
from reports.selectors import latest_final_edition
from socialvalue import selectors as social_value_selectors
from spend import selectors as spend_selectors
from suppliers.selectors import supplier_search


@dataclass(frozen=True)
class Action:
    """A line of the officers' "needs action" list: how many, and the page that deals with it."""

    label: str
    count: int
    url: str
    link_text: str


def latest_committee_report() -> Edition | None:
    """The latest final edition of the committee report (drafts are officers' work)."""
    return latest_final_edition()


def officer_actions() -> list[Action]:
    today = timezone.localdate()
    this_quarter = contract_selectors.forward_plan(today)[0]
    return [
        Action(
            "Social value returns overdue",
            len(social_value_selectors.overdue_returns(today)),
            reverse("socialvalue:overdue"),
            "See the overdue returns",
        ),
        Action(
            "Social value returns to verify",
            social_value_selectors.returns_awaiting_verification().count(),
            reverse("socialvalue:dashboard"),
            "Verify the returns",
        ),
        Action(
            f"Contracts ending this quarter ({this_quarter.quarter.label}) with no "
            "re-procurement started",
            this_quarter.not_started,
            reverse("contracts:forward-plan"),
            "See the forward plan",
        ),
        Action(
            "Contract register uploads not imported",
            contract_selectors.register_uploads_not_imported().count(),
            reverse("contracts:import"),
            "Map or run them again",
        ),
        Action(
            "Procurement Act notices due",
            len(contract_selectors.notices_due(today)),
            reverse("contracts:notices"),
            "See the notices calendar",
        ),
    ]


def councillor_figures() -> dict[str, Any]:
    """This year's key figures, from the same selectors as the spend overview."""
    fy = spend_selectors.latest_financial_year()
    if fy is None:
        return {"fy": None}
    with spend_selectors.one_summary_version():
        home = next(
            row for row in spend_selectors.spend_by_locality(fy) if row.locality_class == "home"
        )
        total = spend_selectors.spend_total(fy)
        # The committee report's figure: suppliers paid £5,000 or more with no contract behind
        # the payments (a true on-contract share would need every supplier's cover worked out).
        off_contract = contract_selectors.spend_without_contract(fy=fy)
        return {
            "fy": fy,
            "total": total,
            "off_contract": off_contract,
            "off_contract_share": formatting.percent(off_contract.total_pence, total),
            "suppliers_paid": spend_selectors.suppliers_paid(fy),
            "home_share": home.share,
            "completeness": spend_selectors.year_completeness(fy),
        }


def administrator_overview(user: Any) -> dict[str, Any]:
    return {
        "recent_imports": list(spend_selectors.import_batches().order_by("-created_at")[:5]),
        "imports_to_look_at": spend_selectors.imports_needing_attention(
            timezone.localdate()
        ).count(),
        "failed_jobs": list(
            selectors.jobs_visible_to(user).filter(status=Job.Status.FAILED).order_by("-pk")[:5]
        ),
        "health": selectors.health(),
    }


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    if not roles and not request.user.is_authenticated:
        return render(request, "home/public.html", {})
    context: dict[str, Any] = {
        "sections": [s for s in sections_for(request) if s.get("description")],
        "is_admin": Role.ADMINISTRATOR in roles,
        "is_officer": Role.PROCUREMENT_OFFICER in roles,
        "is_councillor": Role.COUNCILLOR in roles,
        "recent_jobs": selectors.jobs_visible_to(request.user)[:5] if roles & set(STAFF) else [],
        "home_area": settings.COUNCIL_SHORT_NAME,
    }
    if Role.PROCUREMENT_OFFICER in roles:
        due = contract_selectors.notices_due(timezone.localdate())
        context |= {"actions": officer_actions(), "notices_due": due[:10], "can_edit": True}
    if Role.COUNCILLOR in roles:
        context |= councillor_figures() | {"report": latest_committee_report()}
    if Role.ADMINISTRATOR in roles:
        context |= administrator_overview(request.user)
    return render(request, "home/home.html", context)


# Each kind lists this many; beyond it the page says there are more and how to narrow down.
SEARCH_LIMIT = 20
SEARCH_MAX_LENGTH = 200


@dataclass(frozen=True)
class Found:
    rows: list[Any]
    more: bool  # more matched than are listed

    @property
    def count(self) -> int:
        return len(self.rows)


def _first(rows: Any) -> Found:
    found = list(rows[: SEARCH_LIMIT + 1])
    return Found(found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT)


@role_required(*READERS)
def search(request: HttpRequest) -> HttpResponse:
    """The header's search: suppliers by name, supplier or company number; contracts by
    reference or title; payments by invoice or payment number, an exact invoice number first
    ("has invoice X been paid?"). Every signed-in role reads all three kinds."""
    text = request.GET.get("q", "").strip()
    error = ""
    context: dict[str, Any] = {"q": text, "searched": False}
    if "q" in request.GET and not text:
        error = "Enter a supplier, contract, invoice number or payment number"
    elif len(text) > SEARCH_MAX_LENGTH:
        error = f"Search for {SEARCH_MAX_LENGTH} characters or fewer"
    elif text:
        payments = spend_selectors.payments_by_number(text, SEARCH_LIMIT)
        suppliers = _first(supplier_search(text, SEARCH_LIMIT + 1))
        contracts = _first(
            contract_selectors.contract_search(contract_selectors.contracts_list(), text)
        )
        context |= {
            "searched": True,
            "invoice_matches": payments.exact_invoice,
            "payments": Found(payments.others, payments.more),
            "suppliers": suppliers,
            "contracts": contracts,
            "total": len(payments.exact_invoice)
            + len(payments.others)
            + suppliers.count
            + contracts.count,
        }
    context["error"] = error
    return render(request, "home/search.html", context)
