"""Issue 13: an administrator withdraws a file and undoes it, sees a held file's warning and a
refused file's "import the good rows", and keeps the redaction markers; axe checks each page."""

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from portal.roles import Role
from spend import services
from spend.models import Payment, RedactionMarker
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ("Transaction Number", "Supplier Name", "Payment Date", "Amount")
MAY = [
    ("T200", "ANYTOWN CARE LTD", "02/05/2024", "980.00"),
    ("T201", "BLUE SKY NURSERY", "07/05/2024", "2,010.40"),
]


def write(path: Path, rows: Sequence[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def test_withdraw_undo_held_refused_and_markers(sign_in_browser, tmp_path: Path) -> None:
    [loaded] = services.import_paths(paths=[write(tmp_path / "may.csv", MAY)])
    [held] = services.import_paths(paths=[write(tmp_path / "doubled.csv", MAY + MAY)])
    [refused] = services.import_paths(
        paths=[write(tmp_path / "bad.csv", [*MAY, ("T9", "ROADS PLC", "31/02/2024", "1.00")])]
    )
    page = sign_in_browser(make_user(Role.ADMINISTRATOR))

    page.goto(loaded.get_absolute_url())
    page.get_by_label("Why is it withdrawn?").fill("Published in error")
    page.get_by_role("button", name="Withdraw the file").click()
    page.wait_for_url(re.compile(r"/spend/imports/\d+/$"))
    assert "2 payments withdrawn" in page.locator(".govuk-notification-banner").inner_text()
    assert Payment.objects.count() == 0
    page.get_by_role("button", name="Undo the withdrawal").click()
    page.wait_for_url(re.compile(r"/spend/imports/\d+/$"))
    assert "undone" in page.locator(".govuk-notification-banner").inner_text()
    assert Payment.objects.count() == 2

    page.goto(held.get_absolute_url())
    assert "appears twice" in page.locator(".govuk-warning-text").inner_text()
    assert page.get_by_role("button", name="Replace what the ledger holds for its months").count()

    page.goto(refused.get_absolute_url())
    assert page.get_by_role("button", name="Import the good rows").count() == 1

    page.goto("/spend/imports/")
    page.get_by_role(
        "link", name="Redacted payees and supplier numbers shared by many payees"
    ).click()
    page.wait_for_url(re.compile(r"/spend/imports/payees/$"))
    page.get_by_label("Text that stands for a redacted payee").fill("Confidential payee")
    page.get_by_role("button", name="Add marker").click()
    page.wait_for_url(re.compile(r"/spend/imports/payees/$"))
    assert RedactionMarker.objects.filter(text="Confidential payee").exists()
    assert "Confidential payee" in page.locator("table").first.inner_text()
