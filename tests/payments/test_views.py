"""The notice pages for each role, approval through the page, and the approved notice's files
read back (PDF text and tags, CSV cells, JSON fields) against figures worked out in the test."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from payments.models import OpenInvoiceImport, PaymentsComplianceNotice
from portal.models import User
from tests.conftest import TEST_PASSWORD
from tests.payments.scenario import END, OPEN, PAID, START, expected_figures, open_file

NOTICE = f"/payments/notices/{START.isoformat()}/"


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.email, password=TEST_PASSWORD)
    return client


def test_sign_in_is_needed(db: None) -> None:
    response = Client().get(NOTICE)
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_councillor_reads_the_notice_but_cannot_approve(
    period_ledger: OpenInvoiceImport, councillor: User
) -> None:
    client = client_for(councillor)
    page = client.get(NOTICE).content.decode()
    want = expected_figures(PAID, OPEN, START, END)
    assert f'id="average-days">{want.average()}<' in page
    assert "Record approval" not in page
    assert client.post(NOTICE, {"approver_name": "X", "approver_job_title": "Y"}).status_code == 403
    assert client.get("/payments/scope/").status_code == 403
    assert client.get("/payments/open-invoices/").status_code == 403
    assert not PaymentsComplianceNotice.objects.exists()


def test_an_unknown_period_is_not_found(officer: User) -> None:
    assert client_for(officer).get("/payments/notices/2026-02-01/").status_code == 404


def test_files_only_once_approved(period_ledger: OpenInvoiceImport, officer: User) -> None:
    client = client_for(officer)
    assert client.get(NOTICE + "notice.pdf").status_code == 404
    page = client.post(NOTICE, {"approver_name": "", "approver_job_title": ""})
    assert "There is a problem" in page.content.decode()
    response = client.post(
        NOTICE, {"approver_name": "Jane Smith", "approver_job_title": "Director of Finance"}
    )
    assert response.status_code == 302
    want = expected_figures(PAID, OPEN, START, END)
    shares = {
        "1-30": want.share(0, 30),
        "31-60": want.share(31, 60),
        "61+": want.share(61, None),
    }
    unpaid = (Decimal(want.unpaid) * 100 / (want.unpaid + want.payable_paid)).quantize(
        Decimal("0.1")
    )

    rows = list(
        csv.reader(io.StringIO(client.get(NOTICE + "notice.csv").content.decode("utf-8-sig")))
    )
    values = {field: value for _, field, value in rows[1:]}
    assert values["Average number of days to pay"] == str(want.average())
    assert values["Paid within 1 to 30 days (%)"] == str(shares["1-30"])
    assert values["Paid within 31 to 60 days (%)"] == str(shares["31-60"])
    assert values["Paid on or after day 61 (%)"] == str(shares["61+"])
    assert values["Sums payable in the period not paid in it (%)"] == str(unpaid)
    assert values["Unique identifier (PPON)"] == "PBCD-1234-EFGH"
    assert values["Approved by"] == "Jane Smith"
    assert values["First day of the reporting period"] == "2026-01-01"

    data = json.loads(client.get(NOTICE + "notice.json").content)
    assert data["contractingAuthority"]["identifier"] == {
        "scheme": "GB-PPON",
        "id": "PBCD-1234-EFGH",
    }
    assert data["reportingPeriod"] == {"startDate": "2026-01-01", "endDate": "2026-03-31"}
    assert Decimal(str(data["paymentsMade"]["averageDaysToPay"])) == want.average()
    assert Decimal(str(data["paymentsMade"]["percentagePaidDay61OrLater"])) == shares["61+"]
    assert Decimal(str(data["sumsPayable"]["percentageNotPaidInPeriod"])) == unpaid
    assert data["approval"]["jobTitle"] == "Director of Finance"

    pdf = client.get(NOTICE + "notice.pdf").content
    assert "/StructTreeRoot" in PdfReader(io.BytesIO(pdf)).root_object
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Payments compliance notice" in text
    assert "Example County Council" in text
    assert str(want.average()) in text
    assert f"{shares['31-60']}" in text
    assert "Jane Smith" in text


def test_changed_ledger_after_approval_is_flagged(
    period_ledger: OpenInvoiceImport, officer: User, administrator: User
) -> None:
    client = client_for(officer)
    client.post(NOTICE, {"approver_name": "Jane Smith", "approver_job_title": "Director"})
    assert "have changed since approval" not in client.get(NOTICE).content.decode()
    from payments import services

    services.open_invoices_import(
        source=open_file(OPEN[:1]), file_name="later.csv", as_at=END, user=administrator
    )
    assert "have changed since approval" in client.get(NOTICE).content.decode()


def test_drill_down_csv(period_ledger: OpenInvoiceImport, officer: User) -> None:
    response = client_for(officer).get(NOTICE + "invoices/61+/?_export=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Invoice number"] for r in rows] == ["N-2", "L-1"]
    assert [r["Days to pay"] for r in rows] == ["108", "73"]
    assert rows[1]["Amount (£)"] == "800.00"


@pytest.mark.parametrize("band", ["1-30", "credit", "unpaid", "disputed", "unmeasurable"])
def test_drill_down_pages(period_ledger: OpenInvoiceImport, officer: User, band: str) -> None:
    assert client_for(officer).get(NOTICE + f"invoices/{band}/").status_code == 200


def test_administrator_adds_an_exclusion_and_uploads(administrator: User) -> None:
    client = client_for(administrator)
    refused = client.post("/payments/scope/", {"form": "exclusion", "kind": "account"})
    assert "Enter the start of the account codes to leave out." in refused.content.decode()
    client.post(
        "/payments/scope/",
        {"form": "exclusion", "kind": "account", "account_prefix": "591", "reason": "Grants"},
    )
    assert "Account codes starting 591" in client.get("/payments/scope/").content.decode()
    upload = open_file(OPEN)
    upload.name = "open.csv"
    response = client.post(
        "/payments/open-invoices/", {"extract": upload, "as_at": "2026-03-31"}, follow=True
    )
    assert f"{len(OPEN)} open invoices loaded for 31 March 2026" in response.content.decode()
