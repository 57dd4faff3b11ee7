"""Pages with nothing to show say why, and link administrators to what fills them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from suppliers import quality
from tests.html import Page, text
from tests.suppliers.test_companies_house import ch_file, suppliers  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

DASHBOARDS = (
    "spend:overview",
    "spend:locality",
    "spend:tail",
    "suppliers:size",
    "suppliers:locality",
    "payments:dashboard",
    "contracts:off-contract",
)


def _empty_state(client: Client, name: str, **params: int) -> tuple[str, list[str]]:
    page = Page(client.get(reverse(name), params).content)
    boxes = page.find_all("div", page.main(), cls="portal-empty-state")
    assert len(boxes) == 1, f"{name}: {len(boxes)} empty states"
    return text(boxes[0]), [a.get("href", "") for a in page.find_all("a", boxes[0])]


def test_dashboards_with_no_payments_say_so(client: Client, officer, administrator) -> None:
    imports = reverse("spend:imports")
    for who, links in ((officer, []), (administrator, [imports])):
        client.force_login(who)
        for name in DASHBOARDS:
            words, hrefs = _empty_state(client, name)
            assert "no payments" in words, name
            assert hrefs == links, name
            if not links:
                assert "An administrator can import the invoice extracts" in words


def test_supplier_size_and_head_office_without_companies_house_data(
    suppliers,  # noqa: F811
    tmp_path: Path,
    client: Client,
    administrator,
    councillor,
) -> None:
    load_page = reverse("suppliers:companies-house")
    for who, links in ((councillor, []), (administrator, [load_page])):
        client.force_login(who)
        for name in ("suppliers:size", "suppliers:locality"):
            words, hrefs = _empty_state(client, name, fy=2021)
            assert "No supplier is matched to Companies House data" in words, name
            assert hrefs == links, name
            page = client.get(reverse(name), {"fy": 2021}).content.decode()
            # No table of £0 and "100% Unknown" instead.
            assert "<table" not in page, name
    quality.companies_house_paths(path=ch_file(tmp_path))
    client.force_login(councillor)
    size = Page(client.get(reverse("suppliers:size"), {"fy": 2021}).content)
    assert not size.find_all("div", cls="portal-empty-state")
    assert size.find_all("table")
