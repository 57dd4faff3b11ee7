"""An administrator uploads extracts through the page and watches them load on a real
worker; axe-core checks every page on the way."""

import re
from pathlib import Path

import pytest

from portal.roles import Role
from spend.models import ImportBatch
from tests.conftest import make_user, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_upload_watch_and_read_why_a_file_was_refused(
    celery_worker, sign_in_browser, data_dir: Path
) -> None:
    page = sign_in_browser(make_user(Role.ADMINISTRATOR))
    page.goto("/spend/imports/")
    samples = data_dir / "samples"
    page.get_by_label("Invoice extracts").set_input_files(
        [
            str(samples / "r12_paid_invoices_sample.csv"),
            str(samples / "contract_register_sample.csv"),
        ]
    )
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r"/spend/imports/$"))
    assert "2 file(s) queued for import" in page.locator(".govuk-notification-banner").inner_text()
    wait_for(
        lambda: not ImportBatch.objects.filter(status__in=["waiting", "loading"]).exists(),
        timeout=90,
    )
    page.reload()
    rows = page.locator("table tbody tr").all_inner_texts()
    assert any("r12_paid_invoices_sample.csv" in r and "Loaded" in r for r in rows)
    assert any("contract_register_sample.csv" in r and "Rejected" in r for r in rows)
    page.get_by_role("link", name="contract_register_sample.csv").click()
    page.wait_for_url(re.compile(r"/spend/imports/\d+/$"))
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "No header row was found" in summary
    assert "Nothing from this file was added to the ledger" in summary
    page.get_by_role("link", name="say which column holds what").click()
    page.wait_for_url(re.compile(r"/mapping/$"))
    assert page.locator("h1").inner_text().startswith("Map the columns")
