"""Who may do what, for every path in the URL configuration: anonymous visitors, councillors,
procurement officers and administrators, each by GET and POST, against one table.

The paths come from ``get_resolver()``, so a new view fails here until it is added to
``ACCESS``; a view added without a role check fails because a role the table refuses gets in.
Every URL argument names an object the test creates. Each request runs in a savepoint that is
rolled back, so every one of them sees the same data (a POST that deletes changes nothing for
the next request).

Refused means: an anonymous visitor is sent to sign in; a signed-in user gets 403 (the Django
admin sends a signed-in non-staff user to its own sign-in). Allowed means anything else but a
crash; 405 counts as allowed for a method the view does not offer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portal.models import Job, User
from portal.roles import Role
from tests.conftest import make_user
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import REGION, Line, import_lines
from tests.socialvalue.conftest import make_measure, submit

pytestmark = pytest.mark.django_db

ANONYMOUS, COUNCILLOR, OFFICER, ADMINISTRATOR = "anonymous", "councillor", "officer", "admin"
WHO = (ANONYMOUS, COUNCILLOR, OFFICER, ADMINISTRATOR)
EVERYONE = frozenset(WHO)
READERS = frozenset({COUNCILLOR, OFFICER, ADMINISTRATOR})  # every signed-in role
STAFF = frozenset({OFFICER, ADMINISTRATOR})
ADMIN = frozenset({ADMINISTRATOR})
NOBODY: frozenset[str] = frozenset()

# Who may GET and who may POST each path, by URL name (the route where it has no name).
ACCESS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # The portal
    "home:home": (EVERYONE, EVERYONE),  # the public home for someone not signed in
    "home:search": (READERS, READERS),  # the header's search: nothing for the public
    "portal:sign-in": (EVERYONE, EVERYONE),
    "portal:sign-out": (READERS, READERS),
    "portal:healthz": (EVERYONE, EVERYONE),
    "favicon.ico": (EVERYONE, EVERYONE),
    "portal:accessibility": (EVERYONE, EVERYONE),
    "portal:privacy": (EVERYONE, EVERYONE),
    "portal:users": (ADMIN, ADMIN),
    "portal:home-area": (ADMIN, ADMIN),
    "portal:user-edit": (ADMIN, ADMIN),
    "portal:jobs": (STAFF, STAFF),
    "portal:job-detail": (STAFF, STAFF),
    "portal:job-progress": (STAFF, STAFF),
    "portal:job-retry": (STAFF, STAFF),
    "reports:centre": (READERS, STAFF),  # councillors download; officers build
    "reports:file": (READERS, READERS),
    "reports:run-row": (READERS, READERS),  # the row refreshing while a report builds
    # Committee report editions: officers write and finalise; councillors read final ones
    "reports:edition-new": (STAFF, STAFF),
    "reports:edition": (READERS, STAFF),
    "reports:edition-finalise": (STAFF, STAFF),
    "reports:edition-pdf": (READERS, READERS),
    "reports:edition-docx": (READERS, READERS),
    "portal:password-reset": (EVERYONE, EVERYONE),
    "portal:password-reset-sent": (EVERYONE, EVERYONE),
    "portal:password-reset-confirm": (EVERYONE, EVERYONE),
    "portal:password-reset-complete": (EVERYONE, EVERYONE),
    # Spend: imports are the administrators'; dashboards every reader's
    "spend:imports": (ADMIN, ADMIN),
    "spend:import": (ADMIN, ADMIN),
    "spend:import-mapping": (ADMIN, ADMIN),
    "spend:import-action": (ADMIN, ADMIN),  # withdraw, undo, decide, import the good rows
    "spend:import-refused": (ADMIN, ADMIN),
    "spend:payee-rules": (ADMIN, ADMIN),  # redaction markers and sundry numbers
    "spend:overview": (READERS, READERS),
    "spend:suppliers": (READERS, READERS),
    "spend:supplier": (READERS, READERS),
    "spend:locality": (READERS, READERS),
    "spend:tail": (READERS, READERS),
    "spend:payments": (READERS, READERS),
    "spend:categories": (STAFF, ADMIN),  # officers see the rules; administrators change them
    "spend:transparency": (EVERYONE, EVERYONE),
    "spend:transparency-file": (EVERYONE, EVERYONE),
    "spend:transparency-year-file": (EVERYONE, EVERYONE),
    "suppliers:quality": (READERS, READERS),
    "suppliers:duplicates": (STAFF, STAFF),
    "suppliers:pair": (STAFF, STAFF),
    "suppliers:not-same": (STAFF, STAFF),
    "suppliers:merges": (STAFF, STAFF),
    "suppliers:merge-undo": (STAFF, STAFF),
    "suppliers:supplier": (STAFF, STAFF),
    "suppliers:companies-house": (ADMIN, ADMIN),
    "suppliers:size": (READERS, READERS),
    "suppliers:locality": (READERS, READERS),
    # The contract register: readers read it, officers keep it
    "contracts:list": (READERS, READERS),
    "contracts:create": (STAFF, STAFF),
    "contracts:export": (READERS, READERS),
    "contracts:import": (STAFF, STAFF),
    "contracts:import-detail": (STAFF, STAFF),
    "contracts:import-mapping": (STAFF, STAFF),
    "contracts:import-action": (STAFF, STAFF),
    "contracts:off-contract": (READERS, READERS),
    "contracts:payment-link": (STAFF, STAFF),
    "contracts:payment-unlink": (STAFF, STAFF),
    "contracts:awards": (READERS, READERS),
    "contracts:forward-plan": (READERS, READERS),
    "contracts:publications": (READERS, STAFF),  # officers publish
    "contracts:detail": (READERS, READERS),
    "contracts:edit": (STAFF, STAFF),
    "contracts:end": (STAFF, STAFF),
    "contracts:supplier-add": (STAFF, STAFF),
    "contracts:supplier-edit": (STAFF, STAFF),
    "contracts:supplier-remove": (STAFF, STAFF),
    "register:home": (EVERYONE, EVERYONE),
    "register:forward-plan": (EVERYONE, EVERYONE),
    # Procurement Act notices: readers read them, officers draft and publish; the public sees
    # published ones only (a draft is not found)
    "contracts:notices": (READERS, READERS),
    "contracts:pipeline": (READERS, READERS),
    "contracts:planned-add": (STAFF, STAFF),
    "contracts:pipeline-publish": (STAFF, STAFF),
    "contracts:pipeline-ocds": (READERS, READERS),
    "contracts:notice": (READERS, READERS),
    "contracts:notice-publish": (STAFF, STAFF),
    "contracts:notice-ocds": (READERS, READERS),
    "contracts:notice-csv": (READERS, READERS),
    "contracts:notice-draft": (STAFF, STAFF),
    "contracts:kpi-add": (STAFF, STAFF),
    "contracts:assessment-add": (STAFF, STAFF),
    "contracts:failure-add": (STAFF, STAFF),
    "contracts:assessment-verify": (STAFF, STAFF),
    "register:notice": (EVERYONE, EVERYONE),
    "register:notice-ocds": (EVERYONE, EVERYONE),
    "register:notice-csv": (EVERYONE, EVERYONE),
    "socialvalue:supplier-kpi-return": (EVERYONE, EVERYONE),  # with the supplier's link
    # Payment duties: readers read the notices and dashboard; administrators set the scope
    "payments:home": (READERS, READERS),
    "payments:notice": (READERS, STAFF),  # officers approve
    "payments:invoices": (READERS, READERS),
    "payments:notice-file": (READERS, READERS),
    "payments:scope": (ADMIN, ADMIN),
    "payments:exclusion-remove": (ADMIN, ADMIN),
    "payments:open-invoices": (ADMIN, ADMIN),
    "payments:dashboard": (READERS, READERS),
    "payments:over-30000": (READERS, READERS),
    "register:contract": (EVERYONE, EVERYONE),
    "register:file": (EVERYONE, EVERYONE),
    # Social value: readers read, officers record, administrators keep the catalogue
    "socialvalue:dashboard": (READERS, READERS),
    "socialvalue:by-contract": (READERS, READERS),
    "socialvalue:by-supplier": (READERS, READERS),
    "socialvalue:by-year": (READERS, READERS),
    "socialvalue:by-measure": (READERS, READERS),
    "socialvalue:overdue": (READERS, READERS),
    "socialvalue:catalogue": (READERS, READERS),
    "socialvalue:catalogue-export": (READERS, READERS),
    "socialvalue:catalogue-import": (ADMIN, ADMIN),
    "socialvalue:measure-add": (ADMIN, ADMIN),
    "socialvalue:measure-edit": (ADMIN, ADMIN),
    "socialvalue:proxy-add": (ADMIN, ADMIN),
    "socialvalue:proxy-delete": (ADMIN, ADMIN),
    "socialvalue:contract": (READERS, READERS),
    "socialvalue:approach": (STAFF, STAFF),
    "socialvalue:commitment-add": (STAFF, STAFF),
    "socialvalue:commitment-edit": (STAFF, STAFF),
    "socialvalue:commitment-delete": (STAFF, STAFF),
    "socialvalue:return-record": (STAFF, STAFF),
    "socialvalue:return-review": (STAFF, STAFF),
    "socialvalue:evidence": (STAFF, STAFF),
    "socialvalue:link-create": (STAFF, STAFF),
    "socialvalue:link-revoke": (STAFF, STAFF),
    "socialvalue:remind": (STAFF, STAFF),
    "socialvalue:supplier": (EVERYONE, EVERYONE),  # with the supplier's link
    "socialvalue:supplier-return": (EVERYONE, EVERYONE),
    # Self-assessment: officers run rounds; invitees and the public answer without an account
    "diagnostics:home": (STAFF, STAFF),
    "diagnostics:start": (STAFF, STAFF),
    "diagnostics:invite": (STAFF, STAFF),
    "diagnostics:invitation-resend": (STAFF, STAFF),
    "diagnostics:state-of-the-nation": (STAFF, STAFF),
    "diagnostics:assessment": (STAFF, STAFF),
    "diagnostics:assessment-theme": (STAFF, STAFF),
    "diagnostics:assessment-check": (STAFF, STAFF),
    "diagnostics:assessment-results": (STAFF, STAFF),
    "diagnostics:assessment-xlsx": (STAFF, STAFF),
    "diagnostics:assessment-upload": (STAFF, STAFF),
    "diagnostics:invitation": (EVERYONE, EVERYONE),  # with the invitation's link
    "diagnostics:invitation-theme": (EVERYONE, EVERYONE),
    "diagnostics:invitation-check": (EVERYONE, EVERYONE),
    "diagnostics:invitation-results": (EVERYONE, EVERYONE),
    "diagnostics:invitation-xlsx": (EVERYONE, EVERYONE),
    "diagnostics:invitation-upload": (EVERYONE, EVERYONE),
    "diagnostics:public-svmi": (EVERYONE, EVERYONE),
    "diagnostics:public-svmi-theme": (EVERYONE, EVERYONE),
    "diagnostics:public-svmi-check": (EVERYONE, EVERYONE),
    "diagnostics:public-svmi-results": (EVERYONE, EVERYONE),
}
# The Django admin is for staff accounts (``is_staff``), which no portal role gives; only its
# own sign-in page is open, and its sign-out signs any signed-in user out.
# The portal's own route in front of the admin's sign-in sends everyone to the portal's
# (throttled) sign-in: nobody is let in by it.
ADMIN_SITE_OPEN = {
    "admin:login": (NOBODY, NOBODY),  # the same path: the portal's route answers it
    "admin:logout": (READERS, READERS),
    "admin-sign-in": (NOBODY, NOBODY),
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself where it has no name
    pattern: str  # the full route, for messages
    url_name: str | None
    converters: tuple[str, ...]


def _routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns: Any, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                if namespace and inner:
                    inner = f"{namespace}:{inner}"
                walk(entry.url_patterns, prefix + str(entry.pattern), inner or namespace)
            elif isinstance(entry, URLPattern):
                full = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if entry.name and namespace else entry.name
                converters = tuple(entry.pattern.converters) or tuple(
                    entry.pattern.regex.groupindex
                )
                found.append(Route(name or full, full, name, converters))

    walk(get_resolver().url_patterns, "", "")
    return found


ROUTES = _routes()


def expected_access(route: Route) -> tuple[frozenset[str], frozenset[str]]:
    if route.name in ACCESS:
        return ACCESS[route.name]
    if route.pattern.startswith("django-admin/"):
        return ADMIN_SITE_OPEN.get(route.name, (NOBODY, NOBODY))
    raise AssertionError(
        f"{route.pattern} ({route.name}) is not in ACCESS: say who may GET and POST it."
    )


def test_every_route_is_in_the_table_and_the_table_has_no_stale_rows() -> None:
    names = {route.name for route in ROUTES}
    assert len(ROUTES) > 100
    for route in ROUTES:
        expected_access(route)  # raises for a route nobody has placed
    assert set(ACCESS) - names == set(), "ACCESS names routes that no longer exist"


# --- The objects every URL argument names ------------------------------------------------------


@dataclass
class World:
    kwargs: dict[str, dict[str, Any]]
    users: dict[str, User]


def _build_world(tmp_path: Path) -> World:
    from contracts import services as contract_services
    from contracts.models import AwardedSupplier, Contract, PublishedContract
    from diagnostics import services as diagnostics_services
    from diagnostics.models import Framework
    from portal.periods import Quarter
    from socialvalue import services as social_value_services
    from socialvalue.models import MeasureProxy, Theme
    from spend.models import Supplier
    from suppliers import quality

    users = {
        COUNCILLOR: make_user(Role.COUNCILLOR),
        OFFICER: make_user(Role.PROCUREMENT_OFFICER),
        ADMINISTRATOR: make_user(Role.ADMINISTRATOR),
    }
    other = make_user(Role.COUNCILLOR, "someone.else@example.gov.uk")
    # The ledger: three suppliers, one merged into another.
    day = dt.date(2024, 1, 10)
    batch = import_lines(
        tmp_path,
        [
            Line(1, "S1", "600.00", day),
            Line(2, "S2", "700.00", day, postcode=REGION),
            Line(3, "S3", "800.00", day),
        ],
    )
    s1, s2, s3 = (Supplier.objects.get(supplier_number=n) for n in ("S1", "S2", "S3"))
    merge = quality.supplier_merge(survivor=s3, merged=s2, user=users[OFFICER])
    low, high = sorted((s1.pk, s3.pk))
    # The register and its publication.
    rows = [
        register_row("RM-1", "Acme Ltd", **{"Award date": "2024-01-05", "Start date": "2024-02-01"})
    ]
    contract_services.register_import(path=write_csv(tmp_path / "register.csv", rows))
    contract = Contract.objects.get(reference="RM-1")
    supplier = AwardedSupplier.objects.get(contract=contract)
    publication = contract_services.publication_build(quarter=Quarter.parse("2024Q1"), user=None)
    published = PublishedContract.objects.get(publication=publication)
    # Social value on the contract.
    theme = Theme.objects.create(code="RMT", title="Role matrix theme", position=99)
    measure = make_measure("RMT1.1", theme, "hours", {2023: "18.00"})
    proxy = MeasureProxy.objects.get(measure=measure)
    commitment = social_value_services.commitment_create(
        contract=contract,
        measure=measure,
        target_quantity=Decimal(10),
        period_fy=2023,
        note="",
        user=users[OFFICER],
    )
    delivery = submit(commitment, 4, "2")
    link, token = social_value_services.supplier_link_create(
        contract=contract, supplier=supplier, user=users[OFFICER]
    )
    # Self-assessment: the council's own round and an invitation.
    diagnostics_services.frameworks_sync()
    svmi = Framework.objects.get(slug="svmi")
    theme_slug = svmi.spec.themes[0].slug
    assessment = diagnostics_services.assessment_start(
        framework=svmi, organisation=diagnostics_services.organisation_host_ensure()
    )
    invitation, invitation_link = diagnostics_services.invitation_create(
        email="supplier@example.com",
        organisation_name="Supplier Ltd",
        organisation_kind="supplier",
        framework=svmi,
        invited_by=users[OFFICER],
        site_url="http://testserver",
    )
    invitation_token = invitation_link.rstrip("/").rsplit("/", 1)[-1]
    # A kept register upload, an officer's payment link, a payment-duties scope exclusion.
    from contracts.models import ContractPaymentLink, RegisterUpload
    from payments.models import ScopeExclusion
    from spend.models import Payment

    kept = tmp_path / "kept.csv"
    kept.write_text("Reference,Title\n")
    upload = RegisterUpload.objects.create(
        file_name="kept.csv", stored_file=str(kept), status=RegisterUpload.Status.FAILED
    )
    payment_link = ContractPaymentLink.objects.create(
        contract=contract, payment=Payment.objects.earliest("pk")
    )
    exclusion = ScopeExclusion.objects.create(account_prefix="9", reason="Role matrix")
    from contracts.models import Notice

    notice = Notice.objects.create(contract=contract, kind=Notice.Kind.CONTRACT_DETAILS)
    # Jobs: one failed (so it can be run again) and a finished report with its file.
    failed = Job.objects.create(kind="portal.committee_report", title="Failed", status="failed")
    from django.conf import settings

    folder = Path(settings.MEDIA_ROOT) / "reports" / "role-matrix"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    report = Job.objects.create(
        kind="portal.committee_report",
        title="Committee report",
        status="succeeded",
        result={"files": [{"name": "report.pdf", "path": "reports/role-matrix/report.pdf"}]},
    )
    # A final edition of the committee report, with its stored PDF.
    from django.core.files.base import ContentFile

    from reports.models import Edition

    edition = Edition(
        fy=2023,
        committee="Role matrix committee",
        meeting_date=dt.date(2024, 7, 1),
        status=Edition.Status.FINAL,
        finalised_at=timezone.now(),
    )
    edition.pdf.save("role-matrix-edition.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    edition.docx.save("role-matrix-edition.docx", ContentFile(b"PK\x03\x04"), save=False)
    edition.save()
    kwargs: dict[str, dict[str, Any]] = {
        "reports:edition": {"pk": edition.pk},
        "reports:edition-finalise": {"pk": edition.pk},
        "reports:edition-pdf": {"pk": edition.pk},
        "reports:edition-docx": {"pk": edition.pk},
        "portal:user-edit": {"pk": other.pk},
        "portal:job-detail": {"pk": failed.pk},
        "portal:job-progress": {"pk": failed.pk},
        "portal:job-retry": {"pk": failed.pk},
        "reports:file": {"pk": report.pk, "index": 0},
        "reports:run-row": {"pk": report.pk},
        "spend:import": {"pk": batch.pk},
        "spend:import-mapping": {"pk": batch.pk},
        "spend:import-action": {"pk": batch.pk},
        "spend:import-refused": {"pk": batch.pk},
        "portal:password-reset-confirm": {"uidb64": "MQ", "token": "no-such-token"},
        "contracts:import-detail": {"pk": upload.pk},
        "contracts:import-mapping": {"pk": upload.pk},
        "contracts:import-action": {"pk": upload.pk, "action": "discard"},
        "contracts:payment-link": {"pk": contract.pk},
        "contracts:payment-unlink": {"pk": contract.pk, "link_pk": payment_link.pk},
        "payments:notice": {"slug": "2026-04-01"},
        "payments:invoices": {"slug": "2026-04-01", "band": "1-30"},
        "payments:notice-file": {"slug": "2026-04-01", "kind": "csv"},
        "payments:exclusion-remove": {"pk": exclusion.pk},
        "contracts:pipeline-publish": {"fy": 2026},
        "contracts:pipeline-ocds": {"fy": 2026},
        "contracts:notice-draft": {"pk": contract.pk, "kind": "UK7"},
        "contracts:assessment-verify": {"pk": 1},  # none held: officers are told so (404)
        "socialvalue:supplier-kpi-return": {"token": token},
        "spend:supplier": {"pk": s1.pk},
        "spend:transparency-file": {"year": 2024, "month": 1},
        "spend:transparency-year-file": {"fy": 2023, "kind": "csv"},
        "suppliers:pair": {"low": low, "high": high},
        "suppliers:not-same": {"low": low, "high": high},
        "suppliers:merge-undo": {"pk": merge.pk},
        "suppliers:supplier": {"pk": s1.pk},
        "register:contract": {"pk": published.pk},
        "register:file": {"pk": publication.pk, "kind": "csv"},
        "socialvalue:measure-edit": {"pk": measure.pk},
        "socialvalue:proxy-add": {"pk": measure.pk},
        "socialvalue:proxy-delete": {"pk": measure.pk, "proxy_pk": proxy.pk},
        "socialvalue:commitment-edit": {"pk": contract.pk, "commitment_pk": commitment.pk},
        "socialvalue:commitment-delete": {"pk": contract.pk, "commitment_pk": commitment.pk},
        "socialvalue:return-review": {"pk": contract.pk, "return_pk": delivery.pk},
        "socialvalue:evidence": {"pk": contract.pk, "return_pk": delivery.pk},
        "socialvalue:link-revoke": {"pk": contract.pk, "link_pk": link.pk},
        "socialvalue:supplier": {"token": token},
        "socialvalue:supplier-return": {"token": token},
        "diagnostics:invitation-resend": {"pk": invitation.pk},
        "diagnostics:public-svmi-theme": {"theme": theme_slug},
    }
    for name in ("notice", "notice-publish", "notice-ocds", "notice-csv"):
        kwargs[f"contracts:{name}"] = {"pk": notice.pk}
    for name in ("notice", "notice-ocds", "notice-csv"):
        kwargs[f"register:{name}"] = {"pk": notice.pk}
    for name in (
        "detail",
        "edit",
        "end",
        "supplier-add",
        "kpi-add",
        "assessment-add",
        "failure-add",
    ):
        kwargs[f"contracts:{name}"] = {"pk": contract.pk}
    for name in ("supplier-edit", "supplier-remove"):
        kwargs[f"contracts:{name}"] = {"pk": contract.pk, "supplier_pk": supplier.pk}
    for name in (
        "contract",
        "approach",
        "commitment-add",
        "return-record",
        "link-create",
        "remind",
    ):
        kwargs[f"socialvalue:{name}"] = {"pk": contract.pk}
    for name in ("assessment", "assessment-check", "assessment-results", "assessment-xlsx"):
        kwargs[f"diagnostics:{name}"] = {"pk": assessment.pk}
    kwargs["diagnostics:assessment-upload"] = {"pk": assessment.pk}
    kwargs["diagnostics:assessment-theme"] = {"pk": assessment.pk, "theme": theme_slug}
    for name in ("invitation", "invitation-check", "invitation-results", "invitation-xlsx"):
        kwargs[f"diagnostics:{name}"] = {"token": invitation_token}
    kwargs["diagnostics:invitation-upload"] = {"token": invitation_token}
    kwargs["diagnostics:invitation-theme"] = {"token": invitation_token, "theme": theme_slug}
    return World(kwargs, users)


def _admin_kwargs(route: Route) -> dict[str, Any]:
    """Arguments for a Django admin route: the first object of the model it names."""
    if route.url_name == "admin:view_on_site":
        user = User.objects.order_by("pk").first()
        assert user is not None
        return {"content_type_id": ContentType.objects.get_for_model(User).pk, "object_id": user.pk}
    if route.url_name == "admin:app_list":
        return {"app_label": "portal"}
    if route.url_name is None and "(?P<url>" in route.pattern:
        return {"url": "no-such-page/"}
    if "object_id" in route.converters or route.url_name == "admin:auth_user_password_change":
        label = route.pattern.split("/")[1:3]
        model = apps.get_model(label[0], label[1])
        pk = model.objects.order_by("pk").values_list("pk", flat=True).first() or 0
        return {"object_id" if "object_id" in route.converters else "id": pk}
    return {}


def _path(route: Route, world: World) -> str:
    if route.pattern.startswith("django-admin/"):
        arguments = _admin_kwargs(route)
        if route.url_name is None:
            if "(?P<url>" in route.pattern:
                return "/django-admin/no-such-page/"
            # The admin's bare "<object_id>/" redirect to the change page.
            return "/" + route.pattern.replace("<path:object_id>", str(arguments["object_id"]))
        return reverse(route.url_name, kwargs=arguments)
    if route.url_name is None:
        return "/" + route.pattern
    arguments = world.kwargs.get(route.url_name, {})
    assert set(arguments) == set(route.converters), (
        f"{route.name} takes {route.converters}; the test gives {sorted(arguments)}"
    )
    return reverse(route.url_name, kwargs=arguments)


def _refused(response: HttpResponseBase, who: str) -> bool:
    location = response.get("Location", "") if response.status_code == 302 else ""
    # Sent to sign in first, to come back after ("next"); signing out also ends at sign-in.
    to_sign_in = "next=" in location and location.startswith(
        (reverse("portal:sign-in"), reverse("admin:login"))
    )
    if who == ANONYMOUS:
        return to_sign_in
    return response.status_code == 403 or to_sign_in


@pytest.fixture
def world(tmp_path: Path) -> World:
    return _build_world(tmp_path)


@pytest.mark.parametrize("who", WHO)
def test_every_route_by_role_and_method(world: World, who: str) -> None:
    problems: list[str] = []
    checked = 0
    client = Client()
    if who != ANONYMOUS:
        client.force_login(world.users[who])
    signed_in = dict(client.cookies.items())
    for route in ROUTES:
        may_get, may_post = expected_access(route)
        path = _path(route, world)
        for method, allowed in (("GET", who in may_get), ("POST", who in may_post)):
            # The session as signed in (a sign-out rolled back still sent a new cookie).
            client.cookies.clear()
            for key, morsel in signed_in.items():
                client.cookies[key] = morsel.value
            try:
                with transaction.atomic():
                    response = getattr(client, method.lower())(path)
                    transaction.set_rollback(True)
            except Exception as error:  # a crash is a problem whoever asks
                problems.append(f"{method} {path} as {who}: raised {error!r}")
                continue
            checked += 1
            refused = _refused(response, who)
            if allowed and refused:
                problems.append(f"{method} {path} as {who}: refused ({response.status_code})")
            elif not allowed and not refused and response.status_code != 405:
                problems.append(
                    f"{method} {path} as {who}: let in ({response.status_code}), but ACCESS says no"
                )
    assert checked >= 2 * 100
    assert not problems, "\n".join(problems)
