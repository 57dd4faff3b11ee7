"""Supplier data pages in a real browser as an administrator: axe-core on every page."""

from pathlib import Path

import pytest

from demo.extracts import GeneratorConfig, generate_extracts
from portal.roles import Role
from spend import services
from spend.models import DuplicateCandidate, Supplier
from suppliers import quality
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supplier_data_pages(sign_in_browser, tmp_path: Path) -> None:
    config = GeneratorConfig(seed=3, suppliers=120, payments_per_month=40, years=2)
    generated = generate_extracts(tmp_path, config)
    services.import_paths(paths=[p for p, _ in generated.files])
    # Two spellings of one organisation under two supplier numbers: a duplicate candidate.
    first = Supplier.objects.order_by("pk").first()
    assert first is not None
    Supplier.objects.create(
        supplier_number="999001", name=first.name.title() + " Limited", name_key=first.name_key
    )
    quality.duplicates_refresh()
    candidate = DuplicateCandidate.objects.order_by("-score").first()
    assert candidate is not None
    page = sign_in_browser(make_user(Role.ADMINISTRATOR))
    page.goto("/spend/quality/")
    assert page.locator("h1").count() == 1
    for path in (
        "/spend/quality/duplicates/",
        f"/spend/quality/duplicates/{candidate.supplier_low_id}/{candidate.supplier_high_id}/",
        "/spend/quality/merges/",
        f"/spend/quality/suppliers/{first.pk}/",
        "/spend/quality/companies-house/",
        "/spend/quality/size/",
        "/spend/quality/locality/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
