"""The forward plan published: the latest publication's contracts ending in the next 24
months, by quarter, for anyone; drafts and contracts registered since never appear."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from contracts import services
from contracts.models import Contract
from portal.periods import Quarter
from tests.contracts.conftest import register_row, write_csv

pytestmark = pytest.mark.django_db


def _months_on(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def _row(reference: str, end: date, value: str) -> dict[str, str]:
    return register_row(
        reference,
        f"Supplier of {reference}",
        Title=f"Title of {reference}",
        **{
            "Award date": "2022-01-10",
            "Start date": "2022-02-01",
            "End date": end.isoformat(),
            "Awarded value": value,
        },
    )


def test_the_published_forward_plan(tmp_path: Path, client: Client) -> None:
    today = timezone.localdate()
    ends = {
        "SOON-1": (today + timedelta(days=20), "120000.00"),
        "LATER-1": (_months_on(today, 23), "80000.00"),
        "TOO-FAR-1": (_months_on(today, 26), "50000.00"),
        "DRAFT-1": (today + timedelta(days=40), "70000.00"),
    }
    rows = [_row(ref, end, value) for ref, (end, value) in ends.items()]
    services.register_import(path=write_csv(tmp_path / "register.csv", rows))
    Contract.objects.filter(reference="DRAFT-1").update(status=Contract.Status.DRAFT)
    services.publication_build(quarter=Quarter.containing(today), user=None)
    # Registered after the publication: not public until the next one.
    services.register_import(
        path=write_csv(
            tmp_path / "later.csv", [_row("NEW-1", today + timedelta(days=10), "90000.00")]
        )
    )

    response = client.get("/register/forward-plan/")  # no sign-in
    assert response.status_code == 200
    html = response.content.decode()
    shown = {"SOON-1", "LATER-1"}
    for reference in shown:
        assert reference in html
    for reference in ("TOO-FAR-1", "DRAFT-1", "NEW-1"):
        assert reference not in html, reference
    # Each contract under the quarter it ends in, and the quarters' values.
    for reference in shown:
        end, value = ends[reference]
        quarter = Quarter.containing(end)
        section = html.split(f"Ending in {quarter.label}", 1)[1].split("</table>", 1)[0]
        assert reference in section
        assert f"£{Decimal(value):,.0f}" in section
    assert "2 contracts end in this time" in html
    # Linked from the public register.
    assert "/register/forward-plan/" in client.get("/register/").content.decode()


def test_no_publication_says_so(client: Client) -> None:
    response = client.get("/register/forward-plan/")
    assert response.status_code == 200
    assert "The register has not been published yet" in response.content.decode()
