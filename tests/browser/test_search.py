"""The header's search in a real browser, at a desk and on a phone: "has invoice X been
paid?" answered at the top, then payments, suppliers and contracts; axe-core checks each
page, and no page is wider than the window."""

import datetime as dt
import re
from pathlib import Path

import pytest

from portal.roles import Role
from tests.conftest import make_user
from tests.ledger import Line, import_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_search_from_the_header(tmp_path: Path, sign_in_browser, width: int) -> None:
    line = Line(12, "100", "1234.56", dt.date(2024, 6, 7), name="Acme Waste Ltd")
    import_lines(tmp_path, [line, Line(13, "100", "20.00", dt.date(2024, 6, 9), name=line.name)])
    page = sign_in_browser(make_user(Role.COUNCILLOR))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    search = page.get_by_role("search", name="Site")
    search.get_by_label("Search suppliers, contracts and payments").fill("INV-12")
    search.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search/\?q=INV-12$"))
    main = page.locator("main")
    answer = main.get_by_role("heading", level=2).first.inner_text()
    assert answer == f"Invoice INV-12: paid on {line.day:%-d %B %Y}"
    assert "£1,234.56" in main.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    supplier = main.locator("dl").first.get_by_role("link")
    assert supplier.inner_text().casefold() == "acme waste ltd"
    supplier.click()
    page.wait_for_url(re.compile(r"/spend/suppliers/\d+/$"))
    # An empty search says what to type.
    page.goto("/search/?q=")
    assert "Enter a supplier" in page.locator(".govuk-error-summary").inner_text()
