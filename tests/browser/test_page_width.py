"""No main page is wider than the window, at a phone's 390 px and a laptop's 1,280 px, for
every role, with demo data made awkward on purpose (a very long supplier name, a long contract
reference and title). Each page is also photographed at both widths into
``artifacts/screenshots/<width>/<page>.png`` (CI keeps ``artifacts/``) for review.

The pages are one table, PAGES: a new main page is one line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from contracts.models import Contract, PublishedContract
from portal.roles import Role
from socialvalue import services as socialvalue_services
from spend.models import Payment, Supplier
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
WIDTHS = (390, 1280)

OFFICER, COUNCILLOR, ADMINISTRATOR, PUBLIC = "officer", "councillor", "administrator", "public"
ROLES = {
    OFFICER: Role.PROCUREMENT_OFFICER,
    COUNCILLOR: Role.COUNCILLOR,
    ADMINISTRATOR: Role.ADMINISTRATOR,
}

# (screenshot name, who looks, path; {names} are filled from the data the fixture writes)
PAGES: tuple[tuple[str, str, str], ...] = (
    ("home-officer", OFFICER, "/"),
    ("home-councillor", COUNCILLOR, "/"),
    ("home-administrator", ADMINISTRATOR, "/"),
    ("spend-overview", OFFICER, "/spend/"),
    ("spend-suppliers", COUNCILLOR, "/spend/suppliers/"),
    ("spend-supplier", OFFICER, "/spend/suppliers/{supplier}/"),
    ("spend-locality", COUNCILLOR, "/spend/locality/"),
    ("spend-tail", OFFICER, "/spend/tail/"),
    ("spend-payments", OFFICER, "/spend/payments/?supplier={supplier}"),
    ("spend-categories", OFFICER, "/spend/categories/"),
    ("spend-imports", ADMINISTRATOR, "/spend/imports/"),
    ("supplier-data", OFFICER, "/spend/quality/"),
    ("supplier-size", COUNCILLOR, "/spend/quality/size/"),
    ("supplier-duplicates", OFFICER, "/spend/quality/duplicates/"),
    ("contracts", OFFICER, "/contracts/"),
    ("contract", OFFICER, "/contracts/{contract}/"),
    ("contract-awards", OFFICER, "/contracts/awards/"),
    ("contract-forward-plan", COUNCILLOR, "/contracts/forward-plan/"),
    ("contract-off-contract", OFFICER, "/contracts/off-contract/"),
    ("contract-notices", OFFICER, "/contracts/notices/"),
    ("contract-pipeline", OFFICER, "/contracts/pipeline/"),
    ("contract-publications", OFFICER, "/contracts/publications/"),
    ("social-value", COUNCILLOR, "/social-value/"),
    ("social-value-contracts", OFFICER, "/social-value/contracts/"),
    ("social-value-suppliers", OFFICER, "/social-value/suppliers/"),
    ("social-value-overdue", OFFICER, "/social-value/overdue/"),
    ("social-value-catalogue", OFFICER, "/social-value/catalogue/"),
    ("social-value-contract", OFFICER, "/social-value/contracts/{contract}/"),
    ("payment-duties", OFFICER, "/payments/"),
    ("payment-dashboard", COUNCILLOR, "/payments/dashboard/"),
    ("payments-over-30000", OFFICER, "/payments/over-30000/"),
    ("self-assessment", OFFICER, "/diagnostics/"),
    ("reports", COUNCILLOR, "/reports/"),
    ("jobs", ADMINISTRATOR, "/jobs/"),
    ("users", ADMINISTRATOR, "/users/"),
    ("sign-in", PUBLIC, "/sign-in/"),
    ("public-register", PUBLIC, "/register/"),
    ("public-register-contract", PUBLIC, "/register/contracts/{published}/"),
    ("public-spend-files", PUBLIC, "/spend/transparency/"),
    ("public-svmi", PUBLIC, "/diagnostics/svmi/"),
    ("supplier-return", PUBLIC, "/social-value/supplier/{token}/return/"),
)

LONG_SUPPLIER = (
    "The Lancashire and Cumbria Community Interest Transport, Highways Maintenance and "
    "Environmental Services Partnership (North West) Limited"
)
LONG_REFERENCE = "LCC-ADULTSOCIALCARE-DPS-2024-000123-LOT12"


@pytest.fixture
def awkward_demo(tmp_path: Path) -> dict[str, Any]:
    """Small demo data through the real loaders, then the awkward cases real data has."""
    call_command("load_demo", years=2, suppliers=150, payments_per_month=60, seed=7)
    supplier = Supplier.objects.filter(pk__in=Payment.objects.values("supplier_id")[:1]).get()
    Supplier.objects.filter(pk=supplier.pk).update(name=LONG_SUPPLIER)
    contract = Contract.objects.filter(suppliers__isnull=False).order_by("pk").first()
    assert contract is not None
    Contract.objects.filter(pk=contract.pk).update(
        reference=LONG_REFERENCE,
        title="Provision of community equipment, minor adaptations and telecare responder "
        "services across all twelve districts",
    )
    contract.refresh_from_db()
    awarded = contract.suppliers.first()
    assert awarded is not None
    awarded.name = LONG_SUPPLIER
    awarded.save(update_fields=["name"])
    published = PublishedContract.objects.order_by("pk").first()
    assert published is not None
    PublishedContract.objects.filter(pk=published.pk).update(reference=LONG_REFERENCE)
    _, token = socialvalue_services.supplier_link_create(
        contract=contract, supplier=awarded, user=None
    )
    return {
        "supplier": supplier.pk,
        "contract": contract.pk,
        "published": published.pk,
        "token": token,
        "today": dt.date.today().isoformat(),
    }


def _too_wide(page: Any) -> dict[str, int]:
    return page.raw.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, window: window.innerWidth})"
    )


def test_no_page_is_wider_than_the_window(awkward_demo: dict[str, Any], sign_in_browser) -> None:
    users = {name: make_user(role) for name, role in ROLES.items()}
    too_wide: list[str] = []
    by_role: dict[str, list[tuple[str, str]]] = {}
    for name, who, path in PAGES:
        by_role.setdefault(who, []).append((name, path.format(**awkward_demo)))
    page = sign_in_browser(users[OFFICER])
    for who, pages in by_role.items():
        page.raw.context.clear_cookies()
        if who != PUBLIC:
            page = sign_in_browser(users[who])
        for width in WIDTHS:
            page.raw.set_viewport_size({"width": width, "height": 900})
            folder = SCREENSHOTS / str(width)
            folder.mkdir(parents=True, exist_ok=True)
            for name, path in pages:
                response = page.goto(path)
                assert response.status == 200, f"{path} as {who}: {response.status}"
                size = _too_wide(page)
                page.raw.screenshot(path=str(folder / f"{name}.png"), full_page=True)
                if size["scroll"] > size["window"]:
                    too_wide.append(f"{name} ({path}) at {width}: {size['scroll']} px")
    assert not too_wide, "Wider than the window:\n" + "\n".join(too_wide)
