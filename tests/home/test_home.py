"""The home page for each role: officers what needs action, councillors this year's figures
and the latest committee report, administrators imports, jobs and the queue; the public the
three public services. Figures are worked out here from the rows the tests write."""

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import RegisterUpload
from home.views import latest_committee_report
from portal.models import Job
from portal.periods import Quarter
from portal.roles import Role
from reports.committee import COMMITTEE_JOB_KIND
from reports.models import Edition
from tests.conftest import make_user
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import HOME, REGION, UK, Line, import_lines

pytestmark = pytest.mark.django_db


def test_the_public_home_needs_no_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lancashire County Council procurement" in html
    for url in ("/register/", "/spend/transparency/", "/diagnostics/svmi/", "/sign-in/"):
        assert f'href="{url}"' in html, url
    assert "What needs action" not in html


def test_officers_see_what_needs_action_with_counts(tmp_path: Path, client: Client) -> None:
    today = timezone.localdate()
    quarter = Quarter.containing(today)
    # Two contracts end this quarter (one already being re-procured), one next year.
    ending = [
        register_row(ref, f"Supplier {ref}", **{"End date": end.isoformat()})
        for ref, end in (
            ("END-1", quarter.end),
            ("END-2", quarter.end),
            ("LATER-1", quarter.end + dt.timedelta(days=400)),
        )
    ]
    for row in ending:
        row.update({"Award date": "2022-01-10", "Start date": "2022-02-01"})
    contract_services.register_import(path=write_csv(tmp_path / "register.csv", ending))
    from contracts.models import Contract

    Contract.objects.filter(reference="END-2").update(reprocurement_started=True)
    for name in ("bad-1.csv", "bad-2.csv"):
        RegisterUpload.objects.create(
            file_name=name, stored_file=str(tmp_path / name), status=RegisterUpload.Status.FAILED
        )
    RegisterUpload.objects.create(
        file_name="ok.csv", stored_file="x", status=RegisterUpload.Status.IMPORTED
    )
    client.force_login(make_user(Role.PROCUREMENT_OFFICER))
    html = client.get("/").content.decode()
    assert "What needs action" in html

    def count_for(label: str) -> str:
        row = html.split(label, 1)[1].split("</div>", 1)[0]
        return row.split('govuk-tag--orange">', 1)[1].split("<", 1)[0] if "tag" in row else "0"

    assert count_for(f"Contracts ending this quarter ({quarter.label})") == "1"  # END-1
    assert count_for("Contract register uploads not imported") == "2"
    for label, url in (
        ("Social value returns overdue", "/social-value/overdue/"),
        ("Social value returns to verify", "/social-value/"),
        ("Procurement Act notices due", "/contracts/notices/"),
        ("Contracts ending this quarter", "/contracts/forward-plan/"),
        ("Contract register uploads not imported", "/contracts/import/"),
    ):
        assert f'href="{url}"' in html.split(label, 1)[1].split("</div>", 1)[0], label
    assert "Spend in" not in html  # not a councillor's block
    assert "Imports and jobs" not in html


def _edition(fy: int, meeting: dt.date, final: bool = True) -> Edition:
    return Edition.objects.create(
        fy=fy,
        committee="Audit Committee",
        meeting_date=meeting,
        status=Edition.Status.FINAL if final else Edition.Status.DRAFT,
        finalised_at=timezone.now() if final else None,
    )


def test_councillors_see_the_years_figures_and_latest_report(
    tmp_path: Path, client: Client
) -> None:
    lines = [
        Line(1, "A", "1000.00", dt.date(2024, 5, 1), postcode=HOME),
        Line(2, "B", "6000.00", dt.date(2024, 6, 1), postcode=REGION),
        Line(3, "A", "500.00", dt.date(2024, 7, 1), postcode=HOME),
        Line(4, "C", "500.00", dt.date(2024, 7, 1), postcode=UK),
        Line(5, "D", "9999.00", dt.date(2023, 7, 1), postcode=UK),  # an earlier year
    ]
    import_lines(tmp_path, lines)
    latest_fy = max(line.fy for line in lines)
    year = [line for line in lines if line.fy == latest_fy]
    total = sum(line.pence for line in year)
    home = sum(line.pence for line in year if line.postcode == HOME)
    client.force_login(make_user(Role.COUNCILLOR))
    empty = client.get("/").content.decode()
    assert "No edition of the committee report has been made final yet." in empty
    # A finished report run is not an edition: the home shows final editions only.
    Job.objects.create(kind=COMMITTEE_JOB_KIND, title="Run 2024/25", status="succeeded")
    assert "No edition of the committee report has been made final yet." in (
        client.get("/").content.decode()
    )
    _edition(2023, dt.date(2024, 7, 1))
    shown = _edition(2024, dt.date(2025, 7, 21))
    _edition(2024, dt.date(2025, 11, 3), final=False)  # a later draft is not shown
    assert latest_committee_report() == shown

    html = client.get("/").content.decode()
    assert (
        f'<a class="govuk-link" href="{shown.get_absolute_url()}">Committee scrutiny report '
        "2024/25</a>, for the Audit Committee meeting on 21 July 2025" in html
    )
    assert f'href="{reverse("reports:edition-pdf", args=[shown.pk])}"' in html
    assert f'href="{reverse("reports:edition-docx", args=[shown.pk])}"' in html
    assert "3 November 2025" not in html
    assert "Run 2024/25" not in html
    assert f"Spend in {latest_fy}/{(latest_fy + 1) % 100:02d}" in html
    assert f"£{total // 100:,}" in html
    suppliers = len({line.supplier for line in year})
    assert f'Suppliers paid</dt><dd class="govuk-summary-list__value">{suppliers}<' in html
    assert "Paid to suppliers in Lancashire (the home area)" in html
    assert f"{round(100 * home / total)}%" in html
    # No contract is registered, so every supplier paid £5,000 or more is off contract.
    by_supplier: dict[str, int] = {}
    for line in year:
        by_supplier[line.supplier] = by_supplier.get(line.supplier, 0) + line.pence
    off = sum(pence for pence in by_supplier.values() if pence >= 5000_00)
    assert off > 0
    assert f"£{off // 100:,} ({round(100 * off / total)}% of spend)" in html
    assert "What needs action" not in html


def test_administrators_see_imports_failed_jobs_and_the_queue(
    tmp_path: Path, client: Client
) -> None:
    import_lines(tmp_path, [Line(1, "A", "10.00", dt.date(2024, 5, 1))], "may-extract.csv")
    failed = Job.objects.create(kind="spend.import", title="Import june.csv", status="failed")
    Job.objects.create(kind="spend.import", title="Import july.csv", status="succeeded")
    client.force_login(make_user(Role.ADMINISTRATOR))
    html = client.get("/").content.decode()
    assert "Imports and jobs" in html
    assert "may-extract.csv" in html
    assert f'action="/jobs/{failed.pk}/retry/"' in html
    assert "Import july.csv" not in html.split("Failed jobs", 1)[1].split("All jobs", 1)[0]
    assert "Database" in html
    assert "Job workers" in html


def test_a_user_with_several_roles_sees_each_block(client: Client) -> None:
    user = make_user(Role.PROCUREMENT_OFFICER)
    user.groups.add(Group.objects.get(name=Role.COUNCILLOR.value))
    user.groups.add(Group.objects.get(name=Role.ADMINISTRATOR.value))
    client.force_login(user)
    html = client.get("/").content.decode()
    for heading in ("What needs action", "Committee scrutiny report", "Imports and jobs"):
        assert heading in html, heading
