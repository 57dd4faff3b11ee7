"""Social value pages.

- Dashboards (councillors, officers, administrators): ``/social-value/`` and its breakdowns by
  contract, supplier, year and measure, and the overdue returns; each table exports.
- Catalogue: everyone signed in reads it and downloads it as XLSX; administrators edit
  measures and proxies and import a spreadsheet.
- A contract's social value (officers manage; councillors read): approach, commitments,
  returns to verify, supplier links.
- Suppliers, with no account: ``/social-value/supplier/<token>/``, the token is the key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from contracts import services as contract_services
from contracts.forms import AssessmentForm
from contracts.models import Contract
from portal.exports import table_export_response
from portal.formatting import financial_year_label, financial_year_of
from portal.roles import READERS, STAFF, Role, has_role, role_required, signed_in_user
from socialvalue import selectors, services
from socialvalue.catalogue.spreadsheet import CatalogueRefused
from socialvalue.charts import committed_delivered_chart
from socialvalue.forms import (
    ApproachForm,
    CatalogueImportForm,
    CommitmentForm,
    LinkForm,
    MeasureForm,
    ProxyForm,
    ReturnForm,
    ReviewForm,
)
from socialvalue.models import Commitment, DeliveryReturn, Measure, MeasureProxy, SupplierLink
from socialvalue.tables import (
    ContractTable,
    MeasureTable,
    OverdueTable,
    SupplierTable,
    ThemeTable,
    YearTable,
)

ADMIN = (Role.ADMINISTRATOR,)


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Home", reverse("home:home")),
        ("Social value", reverse("socialvalue:dashboard")),
        *items,
    ]


def _form_errors(form: BaseForm, problem: ValidationError) -> None:
    if hasattr(problem, "error_dict"):
        for name, errors in problem.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, problem)


# ---------------------------------------------------------------------------- dashboards


def _fy(request: HttpRequest) -> int | None:
    try:
        fy = int(request.GET.get("fy", ""))
    except ValueError:
        return None
    return fy if 2000 <= fy <= 2100 else None


def _years(request: HttpRequest, fy: int | None) -> list[dict[str, Any]]:
    years = selectors.social_value_years()
    if fy is not None and fy not in years:
        years = sorted({*years, fy}, reverse=True)
    items = [{"label": "All years", "url": request.path, "current": fy is None}]
    items += [
        {"label": financial_year_label(y), "url": f"{request.path}?fy={y}", "current": y == fy}
        for y in years
    ]
    return items


def _period(fy: int | None) -> str:
    return "all years" if fy is None else financial_year_label(fy)


@role_required(*READERS)
def dashboard(request: HttpRequest) -> HttpResponseBase:
    fy = _fy(request)
    themes = selectors.social_value_by_theme(fy)
    table = ThemeTable(themes)
    table.caption = f"Social value by theme, {_period(fy)}"
    exported = table_export_response(request, table, f"social-value-by-theme-{fy or 'all'}")
    if exported is not None:
        return exported
    totals = selectors.social_value_totals(fy)
    chart = None
    if totals.committed_pence or totals.delivered_pence:
        chart = committed_delivered_chart(
            chart_id=f"sv-theme-{fy or 'all'}",
            title=f"Social value committed and delivered by theme, {_period(fy)}",
            labels=[t.title for t in themes],
            committed_pence=[t.committed_pence for t in themes],
            delivered_pence=[t.delivered_pence for t in themes],
        )
    return render(
        request,
        "socialvalue/dashboard.html",
        {
            "fy": fy,
            "period": _period(fy),
            "years": _years(request, fy),
            "totals": totals,
            "table": table,
            "chart": chart,
            "overdue": len(selectors.overdue_returns(timezone.localdate())),
            "awaiting": selectors.returns_awaiting_verification().count(),
            "can_edit": has_role(request.user, *STAFF),
            "breadcrumbs": [("Home", reverse("home:home")), ("Social value", None)],
        },
    )


def _breakdown(
    request: HttpRequest,
    *,
    table: Any,
    name: str,
    heading: str,
    fy: int | None,
    intro: str,
    chart: Any = None,
    years: bool = True,
) -> HttpResponseBase:
    exported = table_export_response(request, table, name)
    if exported is not None:
        return exported
    return render(
        request,
        "socialvalue/breakdown.html",
        {
            "table": table,
            "heading": heading,
            "intro": intro,
            "chart": chart,
            "fy": fy,
            "years": _years(request, fy) if years else None,
            "period": _period(fy),
            "breadcrumbs": _crumbs((heading, None)),
        },
    )


@role_required(*READERS)
def by_contract(request: HttpRequest) -> HttpResponseBase:
    fy = _fy(request)
    table = ContractTable(selectors.social_value_by_contract(fy))
    table.caption = f"Social value by contract, {_period(fy)}"
    return _breakdown(
        request,
        table=table,
        name=f"social-value-by-contract-{fy or 'all'}",
        heading="By contract",
        fy=fy,
        intro="Per £1 of contract value: for a financial year, the share of the contract's "
        "value falling in that year (by days of its term); for all years, the whole "
        "awarded value.",
    )


@role_required(*READERS)
def by_supplier(request: HttpRequest) -> HttpResponseBase:
    fy = _fy(request)
    table = SupplierTable(selectors.social_value_by_supplier(fy))
    table.caption = f"Social value by supplier, {_period(fy)}"
    return _breakdown(
        request,
        table=table,
        name=f"social-value-by-supplier-{fy or 'all'}",
        heading="By supplier",
        fy=fy,
        intro="A supplier's figures add up its commitments across contracts. A commitment made "
        "for a whole contract with several suppliers is shown as that contract's own row.",
    )


@role_required(*READERS)
def by_year(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.social_value_by_year()
    table = YearTable(rows)
    table.caption = "Social value by financial year"
    chart = None
    if rows:
        chart = committed_delivered_chart(
            chart_id="sv-years",
            title="Social value committed and delivered by financial year",
            labels=[financial_year_label(r.fy) for r in rows],
            committed_pence=[r.committed_pence for r in rows],
            delivered_pence=[r.delivered_pence for r in rows],
        )
    return _breakdown(
        request,
        table=table,
        name="social-value-by-year",
        heading="By year",
        fy=None,
        years=False,
        chart=chart,
        intro="Each commitment counts in the financial year it is for; each "
        "return in the year of its quarter.",
    )


@role_required(*READERS)
def by_measure(request: HttpRequest) -> HttpResponseBase:
    fy = _fy(request)
    table = MeasureTable(selectors.social_value_by_measure(fy))
    table.caption = f"Social value by measure, in units and £, {_period(fy)}"
    return _breakdown(
        request,
        table=table,
        name=f"social-value-by-measure-{fy or 'all'}",
        heading="By measure",
        fy=fy,
        intro="Units are each measure's own; £ is units times the proxy value in force in the "
        "financial year.",
    )


@role_required(*READERS)
def overdue(request: HttpRequest) -> HttpResponseBase:
    today = timezone.localdate()
    rows = selectors.overdue_returns(today)
    can_remind = has_role(request.user, *STAFF)
    table = OverdueTable(
        rows,
        reminders=selectors.last_reminders([r.contract_id for r in rows]),
        csrf_token=get_token(request) if can_remind else "",
    )
    table.caption = "Contracts with overdue returns"
    return _breakdown(
        request,
        table=table,
        name=f"social-value-overdue-{today.isoformat()}",
        heading="Overdue returns",
        fy=None,
        years=False,
        intro="A quarter's return is due 30 days after the quarter ends. A rejected return "
        "counts as missing until it is sent again. A reminder emails each supplier with an "
        "email address on the contract a new return link and the quarters overdue.",
    )


@role_required(*STAFF)
@require_POST
def reminder_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the contract's suppliers a reminder of their overdue returns, with a new link."""
    record = get_object_or_404(Contract, pk=pk)
    try:
        sent = services.return_reminder_send(
            contract=record,
            user=signed_in_user(request),
            url_for=lambda token: request.build_absolute_uri(
                reverse("socialvalue:supplier", args=[token])
            ),
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        to = ", ".join(r.sent_to for r in sent)
        messages.success(request, f"Reminder sent to {to} for {record.reference}.")
    return redirect("socialvalue:overdue")


# ---------------------------------------------------------------------------- catalogue


@role_required(*READERS)
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "socialvalue/catalogue.html",
        {
            "themes": selectors.catalogue(),
            "can_edit": has_role(request.user, *ADMIN),
            "this_year": financial_year_label(financial_year_of(timezone.localdate())),
            "breadcrumbs": _crumbs(("Measures catalogue", None)),
        },
    )


@role_required(*READERS)
def catalogue_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        services.catalogue_xlsx_export(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="social-value-measures-{stamp}.xlsx"'
    return response


@role_required(*ADMIN)
def catalogue_import(request: HttpRequest) -> HttpResponse:
    form = CatalogueImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            done = services.catalogue_xlsx_import(file=form.cleaned_data["file"])
        except CatalogueRefused as refused:
            problems = refused.problems
            form.add_error("file", "The spreadsheet was not imported: nothing has changed.")
        else:
            messages.success(
                request,
                f"Catalogue imported: {done.measures_added} measures added, "
                f"{done.measures_updated} updated, {done.proxies} proxy values.",
            )
            return redirect("socialvalue:catalogue")
    return render(
        request,
        "socialvalue/catalogue_import.html",
        {
            "form": form,
            "problems": problems,
            "breadcrumbs": _crumbs(
                ("Measures catalogue", reverse("socialvalue:catalogue")), ("Import", None)
            ),
        },
    )


@role_required(*ADMIN)
def measure_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    measure = get_object_or_404(Measure, pk=pk) if pk else None
    form = MeasureForm(request.POST or None, instance=measure, prefix="measure")
    proxy_form = ProxyForm(None if measure else request.POST or None, prefix="proxy")
    if request.method == "POST" and form.is_valid() and (measure or proxy_form.is_valid()):
        try:
            saved = services.measure_save(measure=form.save(commit=False))
            if measure is None:
                services.measure_proxy_set(
                    measure=saved,
                    valid_from_fy=proxy_form.cleaned_data["valid_from_fy"],
                    value=proxy_form.cleaned_data["value"],
                    basis=proxy_form.cleaned_data["basis"],
                )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, f"Measure {saved.code} saved.")
            return redirect("socialvalue:measure-edit", pk=saved.pk)
    return render(
        request,
        "socialvalue/measure_form.html",
        {
            "form": form,
            "proxy_form": proxy_form,
            "measure": measure,
            "new_proxy_form": ProxyForm(prefix="new") if measure else None,
            "heading": f"Change {measure.code}" if measure else "Add a measure",
            "breadcrumbs": _crumbs(
                ("Measures catalogue", reverse("socialvalue:catalogue")),
                (measure.code if measure else "Add a measure", None),
            ),
        },
    )


@require_POST
@role_required(*ADMIN)
def proxy_add(request: HttpRequest, pk: int) -> HttpResponse:
    measure = get_object_or_404(Measure, pk=pk)
    form = ProxyForm(request.POST, prefix="new")
    if form.is_valid():
        services.measure_proxy_set(
            measure=measure,
            valid_from_fy=form.cleaned_data["valid_from_fy"],
            value=form.cleaned_data["value"],
            basis=form.cleaned_data["basis"],
        )
        messages.success(
            request,
            f"Proxy value from {financial_year_label(form.cleaned_data['valid_from_fy'])} saved.",
        )
        return redirect("socialvalue:measure-edit", pk=measure.pk)
    return render(
        request,
        "socialvalue/measure_form.html",
        {
            "form": MeasureForm(instance=measure, prefix="measure"),
            "measure": measure,
            "new_proxy_form": form,
            "heading": f"Change {measure.code}",
            "breadcrumbs": _crumbs(
                ("Measures catalogue", reverse("socialvalue:catalogue")), (measure.code, None)
            ),
        },
        status=400,
    )


@require_POST
@role_required(*ADMIN)
def proxy_delete(request: HttpRequest, pk: int, proxy_pk: int) -> HttpResponse:
    proxy = get_object_or_404(MeasureProxy, pk=proxy_pk, measure_id=pk)
    try:
        services.measure_proxy_delete(proxy=proxy)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, "Proxy value removed.")
    return redirect("socialvalue:measure-edit", pk=pk)


# ---------------------------------------------------------------------------- one contract


def _contract_crumbs(
    contract: Contract, *items: tuple[str, str | None]
) -> list[tuple[str, str | None]]:
    return [
        ("Home", reverse("home:home")),
        ("Contracts", reverse("contracts:list")),
        (contract.reference, contract.get_absolute_url()),
        ("Social value", reverse("socialvalue:contract", args=[contract.pk])),
        *items,
    ]


@role_required(*READERS)
def contract(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Contract, pk=pk)
    can_edit = has_role(request.user, *STAFF)
    crumbs = _contract_crumbs(record)
    crumbs[-1] = ("Social value", None)
    return render(
        request,
        "socialvalue/contract.html",
        {
            "contract": record,
            "sv": selectors.contract_social_value(record),
            "links": selectors.contract_links(record) if can_edit else None,
            "can_edit": can_edit,
            "now": timezone.now(),
            "breadcrumbs": crumbs,
        },
    )


def _form_page(
    request: HttpRequest,
    *,
    form: BaseForm,
    heading: str,
    button: str,
    contract: Contract,
    intro: str = "",
    multipart: bool = False,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "socialvalue/form.html",
        {
            "form": form,
            "heading": heading,
            "button": button,
            "intro": intro,
            "multipart": multipart,
            "caption": contract.reference,
            "breadcrumbs": _contract_crumbs(contract, (heading, None)),
        },
        status=status,
    )


@role_required(*STAFF)
def approach_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Contract, pk=pk)
    current = getattr(record, "social_value_approach", None)
    initial = {"approach": current.approach, "notes": current.notes} if current else None
    form = ApproachForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.contract_approach_set(
            contract=record,
            approach=form.cleaned_data["approach"],
            notes=form.cleaned_data["notes"],
            user=signed_in_user(request),
        )
        messages.success(request, "Social value approach saved.")
        return redirect("socialvalue:contract", pk=record.pk)
    return _form_page(
        request, form=form, heading="Social value approach", button="Save", contract=record
    )


@role_required(*STAFF)
def commitment_edit(
    request: HttpRequest, pk: int, commitment_pk: int | None = None
) -> HttpResponse:
    record = get_object_or_404(Contract, pk=pk)
    commitment = (
        get_object_or_404(Commitment, pk=commitment_pk, contract=record) if commitment_pk else None
    )
    initial = None
    if commitment:
        initial = {
            "target_quantity": commitment.target_quantity,
            "note": commitment.note,
            "supplier": commitment.supplier_id,
        }
    form = CommitmentForm(
        request.POST or None, contract=record, commitment=commitment, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if commitment is None:
                services.commitment_create(
                    contract=record,
                    measure=data["measure"],
                    target_quantity=data["target_quantity"],
                    period_fy=data["period_fy"],
                    supplier=data["supplier"],
                    note=data["note"],
                    user=signed_in_user(request),
                )
            else:
                services.commitment_update(
                    commitment=commitment,
                    target_quantity=data["target_quantity"],
                    note=data["note"],
                    supplier=data["supplier"],
                    user=signed_in_user(request),
                )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, "Commitment saved.")
            return redirect("socialvalue:contract", pk=record.pk)
    heading = (
        f"Change commitment {commitment.measure.code}, {financial_year_label(commitment.period_fy)}"
        if commitment
        else "Add a commitment"
    )
    return _form_page(
        request, form=form, heading=heading, button="Save commitment", contract=record
    )


@require_POST
@role_required(*STAFF)
def commitment_delete(request: HttpRequest, pk: int, commitment_pk: int) -> HttpResponse:
    commitment = get_object_or_404(Commitment, pk=commitment_pk, contract_id=pk)
    try:
        services.commitment_delete(commitment=commitment)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, "Commitment removed.")
    return redirect("socialvalue:contract", pk=pk)


def _return_submitted(
    form: ReturnForm, *, submitted_by_name: str, link: SupplierLink | None = None
) -> bool:
    """Submit the return a valid form holds; if the service refuses it, say why on the form."""
    data = form.cleaned_data
    try:
        services.delivery_return_submit(
            commitment=form.chosen(),
            quarter=data["quarter"],
            quantity=data["quantity"],
            evidence_note=data["evidence_note"],
            evidence=data["evidence"],
            submitted_by_name=submitted_by_name,
            link=link,
        )
    except ValidationError as problem:
        _form_errors(form, problem)
        return False
    return True


@role_required(*STAFF)
def return_record(request: HttpRequest, pk: int) -> HttpResponse:
    """An officer records a return the supplier sent another way (an email, a spreadsheet).

    It waits for verification like a return sent through a link, and says who entered it."""
    record = get_object_or_404(Contract, pk=pk)
    commitments = [line.commitment for line in selectors.contract_social_value(record).commitments]
    form = ReturnForm(request.POST or None, request.FILES or None, commitments=commitments)
    form.fields["submitted_by_name"].label = "Sent by"
    form.fields["submitted_by_name"].help_text = "The supplier's contact who sent the figures."
    form.fields["submitted_by_name"].widget.attrs.pop("autocomplete", None)
    if request.method == "POST" and form.is_valid():
        user = signed_in_user(request)
        if _return_submitted(
            form,
            submitted_by_name=(
                f"{form.cleaned_data['submitted_by_name']} (recorded by {user.get_full_name()})"
            ),
        ):
            messages.success(
                request, "Return recorded. It counts as delivered once an officer verifies it."
            )
            return redirect("socialvalue:contract", pk=pk)
    return _form_page(
        request,
        form=form,
        heading="Record a supplier's return",
        button="Record the return",
        contract=record,
        multipart=True,
        status=400 if form.errors else 200,
        intro="For figures the supplier sent by email or on paper. Suppliers can also send "
        "returns themselves through a supplier link.",
    )


@role_required(*STAFF)
def return_review(request: HttpRequest, pk: int, return_pk: int) -> HttpResponse:
    record = get_object_or_404(
        DeliveryReturn.objects.select_related("commitment__contract", "commitment__measure"),
        pk=return_pk,
        commitment__contract_id=pk,
    )
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = signed_in_user(request)
        try:
            if form.cleaned_data["decision"] == "verify":
                services.delivery_return_verify(delivery_return=record, user=user)
                messages.success(request, "Return verified: it now counts as delivered.")
            else:
                services.delivery_return_reject(
                    delivery_return=record, user=user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "Return rejected: the supplier can send it again.")
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            return redirect("socialvalue:contract", pk=pk)
    commitment = record.commitment
    proxy = selectors.measure_proxy_in_force(commitment.measure, record.period_fy)
    return render(
        request,
        "socialvalue/return_review.html",
        {
            "record": record,
            "commitment": commitment,
            "form": form,
            "proxy": proxy,
            "pence": selectors.value_pence(record.quantity, proxy),
            "breadcrumbs": _contract_crumbs(commitment.contract, ("Return", None)),
        },
    )


@role_required(*STAFF)
def evidence(request: HttpRequest, pk: int, return_pk: int) -> HttpResponse:
    record = get_object_or_404(DeliveryReturn, pk=return_pk, commitment__contract_id=pk)
    if not record.evidence:
        raise Http404("This return has no evidence file.")
    response = FileResponse(
        record.evidence.open("rb"),
        as_attachment=True,
        filename=record.evidence_name or "evidence",
        content_type=record.evidence_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response  # type: ignore[return-value]  # a FileResponse streams


@role_required(*STAFF)
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Contract, pk=pk)
    form = LinkForm(
        request.POST or None, contract=record, initial={"supplier": record.suppliers.first()}
    )
    if request.method == "POST" and form.is_valid():
        link, token = services.supplier_link_create(
            contract=record,
            supplier=form.cleaned_data["supplier"],
            days=form.cleaned_data["days"],
            user=signed_in_user(request),
        )
        url = request.build_absolute_uri(reverse("socialvalue:supplier", args=[token]))
        emailed = form.cleaned_data["email"]
        if emailed:
            services.supplier_link_email(
                link=link, url=url, to=emailed, sender=signed_in_user(request)
            )
        return render(
            request,
            "socialvalue/link_created.html",
            {
                "link": link,
                "url": url,
                "contract": record,
                "emailed": emailed,
                "breadcrumbs": _contract_crumbs(record, ("Supplier link", None)),
            },
        )
    return _form_page(
        request,
        form=form,
        heading="Make a supplier link",
        button="Make link",
        contract=record,
        intro="The supplier uses the link to send quarterly returns without an account. It "
        "shows only this contract's commitments for that supplier. The portal can email "
        "it to the supplier's contact; it is also shown once, to copy.",
    )


@require_POST
@role_required(*STAFF)
def link_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = get_object_or_404(SupplierLink, pk=link_pk, contract_id=pk)
    services.supplier_link_revoke(link=link)
    messages.success(request, f"The link for {link.supplier.name} no longer works.")
    return redirect("socialvalue:contract", pk=pk)


# ---------------------------------------------------------------------------- suppliers


def supplier_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open the link a token names, or refuse it plainly (404 not valid, 403 expired)."""

    @login_not_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        try:
            link = selectors.supplier_link_by_token(token)
        except selectors.LinkInvalid:
            return render(
                request, "socialvalue/link_refused.html", {"reason": "invalid"}, status=404
            )
        except selectors.LinkExpired as expired:
            return render(
                request,
                "socialvalue/link_refused.html",
                {
                    "reason": "revoked" if expired.link.revoked_at else "expired",
                    "link": expired.link,
                },
                status=403,
            )
        response = view(request, link, token, **kwargs)
        # Keep the token out of Referer headers to other sites ("no-referrer" would make the
        # browser send Origin: null on the form POST, which CSRF checks refuse).
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapped


@supplier_view
def supplier_home(request: HttpRequest, link: SupplierLink, token: str) -> HttpResponse:
    services.supplier_link_touch(link=link)
    return render(
        request,
        "socialvalue/supplier_home.html",
        {
            "link": link,
            "token": token,
            "sv": selectors.supplier_link_view(link),
        },
    )


@supplier_view
def supplier_return(request: HttpRequest, link: SupplierLink, token: str) -> HttpResponse:
    sv = selectors.supplier_link_view(link)
    commitments = [line.commitment for line in sv.commitments]
    form = ReturnForm(request.POST or None, request.FILES or None, commitments=commitments)
    if (
        request.method == "POST"
        and form.is_valid()
        and _return_submitted(
            form, submitted_by_name=form.cleaned_data["submitted_by_name"], link=link
        )
    ):
        messages.success(
            request,
            "Return sent. The council will check it and mark it verified or tell you why not.",
        )
        return redirect("socialvalue:supplier", token=token)
    return render(
        request,
        "socialvalue/supplier_return.html",
        {
            "link": link,
            "token": token,
            "form": form,
            "sv": sv,
        },
        status=400 if form.errors else 200,
    )


@supplier_view
def supplier_kpi_return(request: HttpRequest, link: SupplierLink, token: str) -> HttpResponse:
    """The supplier's KPI assessment, through the same link as its social value returns; it
    waits for an officer to verify it before any notice reports it."""

    form = AssessmentForm(request.POST or None, contract=link.contract)
    if request.method == "POST" and form.is_valid():
        try:
            contract_services.assessment_enter(
                user=None, by_supplier=True, **dict(form.cleaned_data)
            )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            services.supplier_link_touch(link=link)
            messages.success(
                request, "KPI return sent. The council will check it and mark it verified."
            )
            return redirect("socialvalue:supplier", token=token)
    return render(
        request,
        "socialvalue/supplier_kpi_return.html",
        {"link": link, "token": token, "form": form},
        status=400 if form.errors else 200,
    )
