"""The demo register and its social value as a councillor reads them: each contract is about
what its suppliers do (a waste company's contract is about waste), and the headline social
value per £1 is not swamped by the £3.5bn dynamic purchasing system, which the page says it
leaves out. Checked on a ledger generated and imported as ``make run`` does it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from contracts.models import Contract
from demo.extracts import GeneratorConfig, build_suppliers, generate_extracts, recase
from portal.models import User
from portal.periods import financial_year_of
from socialvalue.selectors import social_value_totals
from spend import services
from tests.shared_data import built_once

pytestmark = pytest.mark.django_db

# The test's own reading: a word in a supplier's name, and words one of which the title of
# any contract it holds must contain (lower case).
TITLE_FITS = (
    (("WASTE", "RECYCLING"), ("waste",)),
    (("TAXIS", "TRANSPORT", "COACHES"), ("transport",)),
    (("RECRUITMENT",), ("staff",)),
    (("CATERING",), ("meals", "catering")),
    (("PRINT",), ("print",)),
    (("FOSTERING",), ("children", "foster")),
    (("CARE",), ("care", "living", "day opportunities")),
    (("BUILDERS", "GROUNDWORKS", "PLUMBING", "ELECTRICAL", "LANDSCAPES"), ("highway",
     "school extension", "bridge", "building")),
    ((" IT ",), ("software", "network", "laptops")),
    (("CLEANING",), ("cleaning",)),
    (("TRAINING",), ("training",)),
    (("CONSULTING",), ("consultancy",)),
)  # fmt: skip


def _build_demo(directory: Path) -> None:
    config = GeneratorConfig(seed=5, suppliers=900, payments_per_month=150, years=2)
    generated = generate_extracts(directory, config)
    services.import_paths(paths=[p for p, _ in generated.files])
    call_command("load_demo_contracts", stdout=StringIO())
    call_command("load_demo_social_value", stdout=StringIO())


@pytest.fixture(scope="module")
def demo(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Built once for the module (11-14 s), each test's writes rolled back (tests/shared_data)."""
    directory = tmp_path_factory.mktemp("demo")
    yield from built_once(django_db_blocker, lambda: _build_demo(directory))


def _fitting(supplier_name: str) -> tuple[str, ...] | None:
    padded = f" {supplier_name.upper()} "
    for words, fitting in TITLE_FITS:
        if any(word in padded for word in words):
            return fitting
    return None


def test_each_contract_is_about_what_its_suppliers_do(demo: None) -> None:
    checked = 0
    misfits = []
    for contract in Contract.objects.prefetch_related("suppliers"):
        title = contract.title.lower()
        for supplier in contract.suppliers.all():
            fitting = _fitting(supplier.name)
            if fitting is None:
                continue  # a name that does not say what the supplier does
            checked += 1
            if not any(word in title for word in fitting):
                misfits.append((contract.reference, contract.title, supplier.name))
    assert checked > 150  # most suppliers' names say what they do
    assert misfits == []


def test_the_framework_is_with_care_providers(demo: None) -> None:
    framework = Contract.objects.get(framework=True)
    names = list(framework.suppliers.values_list("name", flat=True))
    assert len(names) > 50  # every care provider of this small ledger (124 in the full demo)
    read = [_fitting(name) for name in names]
    assert all(fitting is None or "care" in fitting for fitting in read), names
    assert sum(fitting is not None for fitting in read) > 25


def test_the_full_demo_has_over_a_hundred_care_providers_for_the_framework() -> None:
    """``make run``'s ledger (7,000 suppliers, the register drawn from the first 3,000 sites)
    has enough care providers for a 124-supplier system."""
    suppliers = build_suppliers(GeneratorConfig())[:2500]
    care = [s for s in suppliers if _fitting(recase(s.r12_name)) == ("care", "living",
            "day opportunities")]  # fmt: skip
    assert len(care) > 124


def test_the_social_value_headline_leaves_the_framework_out_and_says_so(
    demo: None, officer: User, client: Client
) -> None:
    framework = Contract.objects.get(framework=True)
    assert framework.social_value_commitments.exists()  # the demo commits on it
    fy = financial_year_of(dt.date.today())
    totals = social_value_totals(fy)
    assert totals.frameworks_left_out == 1
    # Pence per £1 a councillor can compare with others' (not "£0.00" or "0.01p").
    assert totals.committed_pence_per_pound is not None
    assert totals.committed_pence_per_pound >= 1
    client.force_login(officer)
    page = " ".join(client.get("/social-value/", {"fy": fy}).content.decode().split())
    assert "not counting 1 framework or dynamic purchasing system" in page
    assert "Frameworks and dynamic purchasing systems are left out of this figure" in page
