"""Empty pages in a real browser, at a desk and on a phone: on a ledger with no payments each
dashboard says why it is empty (no table of £0, no "100% Unknown", no "None"), an
administrator is shown the link that fills it and following it reaches the imports page;
axe-core checks each page, and none is wider than the window."""

import re

import pytest

from portal.roles import Role
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMPTY_PAGES = (
    "/spend/",
    "/spend/locality/",
    "/spend/tail/",
    "/spend/quality/size/",
    "/spend/quality/locality/",
    "/payments/dashboard/",
    "/contracts/off-contract/",
)


@pytest.mark.parametrize("width", [1280, 390])
def test_empty_pages_say_why_and_link_what_fills_them(sign_in_browser, width: int) -> None:
    for role, fills in ((Role.PROCUREMENT_OFFICER, False), (Role.ADMINISTRATOR, True)):
        page = sign_in_browser(make_user(role))
        page.set_viewport_size({"width": width, "height": 900})
        for path in EMPTY_PAGES:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, path
            box = page.locator("main .portal-empty-state")
            assert box.count() == 1, path
            assert box.is_visible(), path
            words = box.inner_text()
            assert "no payments" in words, (path, words)
            main = page.locator("main").inner_text()
            for wrong in ("None", "100% Unknown", "£0.00"):
                assert not re.search(rf"\b{re.escape(wrong)}", main), (path, wrong)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            links = box.get_by_role("link")
            if fills:
                assert links.count() == 1, path
            else:
                assert links.count() == 0, path
                assert "An administrator can import the invoice extracts" in words, path
        if fills:
            page.goto("/spend/")
            page.locator("main .portal-empty-state").get_by_role("link").click()
            page.wait_for_url(re.compile(r"/spend/imports/$"))
            assert page.locator("h1").inner_text() == "Import invoice extracts"
