"""Committee report editions: a draft's live figures beside the officers' text, saved with
the edition; finalising freezes figures, text and PDF; councillors read final editions only.
Expected figures are worked out here from the rows the test writes, and every date in the
PDF is checked against the end of the year reported."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contracts.services import register_import
from portal import services as portal_services
from portal.models import Job, User
from reports import narrative, services
from reports.committee import EDITION_JOB_KIND
from reports.models import Edition
from tests.conftest import wait_for
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import HOME, REGION, UK, Line, import_lines
from tests.payments.scenario import period_ledger  # noqa: F401  (the fixture)
from tests.suppliers.test_companies_house import suppliers  # noqa: F401  (the fixture)

FY = 2023  # 2023/24
YEAR_END = dt.date(2024, 3, 31)
MONTHS = {
    m: n
    for n, m in enumerate(
        ["January", "February", "March", "April", "May", "June", "July", "August",
         "September", "October", "November", "December"],
        start=1,
    )
}  # fmt: skip
SHORT = {name[:3]: n for name, n in MONTHS.items()}


def gbp(pence: int) -> str:
    return f"£{(Decimal(pence) / 100).quantize(Decimal(1), ROUND_HALF_UP):,}"


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "edition.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", " ", text)


def lines() -> list[Line]:
    """2023/24 payments and, to be left out, payments of 2024/25 after the year's end."""
    return [
        Line(1, "A1", "120000.40", dt.date(2023, 4, 3), HOME),
        Line(2, "A1", "30000.10", dt.date(2023, 11, 20), HOME),
        Line(3, "B2", "45000.00", dt.date(2023, 6, 1), REGION),
        Line(4, "C3", "999.99", dt.date(2024, 3, 31), UK),
        Line(5, "D4", "777777.00", dt.date(2024, 4, 1), HOME),  # 2024/25
        Line(6, "D4", "5.00", dt.date(2024, 12, 2), HOME),  # 2024/25
    ]


def contract(award: str, end: str, value: str) -> dict[str, str]:
    return {"Award date": award, "Start date": award, "End date": end, "Awarded value": value}


def dates_after(text: str, end: dt.date) -> list[str]:
    """Every date written in the text ("31 March 2024", "Mar-24", "April to June 2024")
    that falls after ``end``."""
    late = []
    for day, month, year in re.findall(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})", text):
        if dt.date(int(year), MONTHS[month], int(day)) > end:
            late.append(f"{day} {month} {year}")
    for month, year in re.findall(r"\b(" + "|".join(SHORT) + r")-(\d{2})\b", text):
        if dt.date(2000 + int(year), SHORT[month], 1) > end:
            late.append(f"{month}-{year}")
    for month, year in re.findall(r"\b(" + "|".join(MONTHS) + r") (\d{4})\b", text):
        if dt.date(int(year), MONTHS[month], 1) > end:
            late.append(f"{month} {year}")
    return late


NEXT_HEADING = re.compile(r"\b\d{1,2}\. [A-Z][a-z]")


def outside_current(text: str) -> str:
    """The text without the sections marked current (from the heading before "This section
    is current" to the next section's heading): they show the portal on the day built."""
    marker = "This section is current"
    while (at := text.find(marker)) >= 0:
        starts = [m.start() for m in NEXT_HEADING.finditer(text, 0, at)]
        start = starts[-1] if starts else at
        following = NEXT_HEADING.search(text, at)
        text = text[:start] + (text[following.start() :] if following else "")
    return text


def test_narrative_is_headings_lists_and_paragraphs_and_never_html() -> None:
    html = narrative.render(
        "# Summary\nSpend rose.\nIt rose a lot.\n\n- one <b>item</b>\n- two\n\n<script>x</script>"
    )
    assert html == (
        "<h3>Summary</h3>\n<p>Spend rose. It rose a lot.</p>\n"
        "<ul><li>one &lt;b&gt;item&lt;/b&gt;</li><li>two</li></ul>\n"
        "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    )
    assert narrative.render("") == ""


@pytest.mark.django_db
def test_an_officer_drafts_saves_and_a_councillor_cannot_read_the_draft(
    client: Client, officer: User, councillor: User, tmp_path: Path
) -> None:
    import_lines(tmp_path, lines())
    client.force_login(officer)
    response = client.post(
        reverse("reports:edition-new"),
        {"fy": str(FY), "committee": "", "meeting_date": "2024-02-30"},
    )
    page = response.content.decode()
    assert "Enter the name of the committee the report goes to." in page
    assert "Enter the meeting date as a real date" in page
    response = client.post(
        reverse("reports:edition-new"),
        {
            "fy": str(FY),
            "committee": "Audit and Governance Committee",
            "meeting_date": "2024-07-22",
        },
    )
    edition = Edition.objects.get()
    assert response["Location"] == edition.get_absolute_url()
    assert edition.status == "draft"
    page = client.get(edition.get_absolute_url()).content.decode()
    # Live figures beside each section's text box.
    year = [line for line in lines() if line.fy == FY]
    assert (
        f"the council paid {gbp(sum(x.pence for x in year))} to 3 suppliers in 4 payments" in page
    )
    assert 'name="narrative-recommendations"' in page
    assert 'name="narrative-key-spend"' in page
    saved = client.post(
        edition.get_absolute_url(),
        {
            "committee": "Audit and Governance Committee",
            "meeting_date": "2024-07-22",
            "report_of": "Director of Finance",
            "contact_officer": "Pat Smith, Head of Procurement",
            "purpose": "To scrutinise procurement in 2023/24.",
            "narrative-recommendations": "# Recommended\n- Note the report <b>now</b>",
            "narrative-key-spend": "Spend was steady.",
        },
    )
    assert saved.status_code == 302
    edition.refresh_from_db()
    assert edition.narrative["recommendations"] == "# Recommended\n- Note the report <b>now</b>"
    assert edition.report_of == "Director of Finance"
    page = client.get(edition.get_absolute_url()).content.decode()
    assert "- Note the report &lt;b&gt;now&lt;/b&gt;" in page  # in its box, as typed
    # Bad input keeps the text typed.
    bad = client.post(
        edition.get_absolute_url(),
        {"committee": "", "meeting_date": "2024-07-22", "narrative-key-spend": "Kept text"},
    ).content.decode()
    assert "Enter the name of the committee the report goes to." in bad
    assert "Kept text" in bad
    # The draft PDF: front sheet and narrative; the officers' HTML is text, never markup.
    draft = client.get(reverse("reports:edition-pdf", args=[edition.pk]))
    text = pdf_text(draft.content, tmp_path)
    assert "Draft: not for publication" in text
    assert "Report of Director of Finance" in text
    assert "Recommended" in text
    assert "Note the report <b>now</b>" in text
    # Councillors do not see drafts.
    client.force_login(councillor)
    assert client.get(edition.get_absolute_url()).status_code == 404
    assert client.get(reverse("reports:edition-pdf", args=[edition.pk])).status_code == 404
    assert (
        "Audit and Governance Committee"
        not in client.get(reverse("reports:centre")).content.decode()
    )


@pytest.mark.django_db
def test_a_final_edition_freezes_figures_text_and_pdf_and_states_its_year(
    client: Client, officer: User, councillor: User, tmp_path: Path
) -> None:
    import_lines(tmp_path, lines())
    register_import(
        path=write_csv(
            tmp_path / "register.csv",
            [
                register_row(
                    "ED-1",
                    "Ending Ltd",
                    **{
                        "Award date": "2023-05-01",
                        "Start date": "2023-05-01",
                        "End date": "2025-06-30",
                        "Awarded value": "5000.00",
                    },
                ),
                register_row(
                    "ED-2",
                    "Later Ltd",
                    **{
                        "Award date": "2024-06-01",
                        "Start date": "2024-06-01",
                        "End date": "2029-01-31",
                        "Awarded value": "9000.00",
                    },
                ),
                register_row(
                    "ED-3",
                    "Waived Ltd",
                    **contract("2023-10-02", "2024-02-29", "700.00"),
                    **{"Procurement route": "Waiver"},
                ),
            ],
        )
    )
    edition = services.edition_create(
        fy=FY, committee_name="Scrutiny Committee", meeting_date=dt.date(2024, 7, 22), user=officer
    )
    services.edition_save(
        edition=edition,
        fields={"report_of": "Director of Finance"},
        narrative={"introduction": "This report covers 2023/24."},
    )
    job = portal_services.job_start(
        kind=EDITION_JOB_KIND, title="Final", params={"edition": edition.pk}, user=officer
    )
    portal_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    edition.refresh_from_db()
    assert edition.is_final
    assert edition.pdf
    stored = edition.pdf.read()
    text = pdf_text(stored, tmp_path)
    # Tagged (PDF/UA-1 from portal.pdf), titled, in English; inner pages carry the header.
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(stored))
    root: Any = reader.root_object
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root
    assert reader.metadata is not None
    assert str(reader.metadata.title).endswith("committee scrutiny report 2023/24")
    assert "Procurement scrutiny report 2023/24" in (reader.pages[1].extract_text() or "")

    year = [line for line in lines() if line.fy == FY]
    total = sum(x.pence for x in year)
    by_supplier: dict[str, int] = defaultdict(int)
    for line in year:
        by_supplier[line.supplier] += line.pence
    assert f"In 2023/24 the council paid {gbp(total)} to 3 suppliers in 4 payments." in text
    for rank, (supplier, pence) in enumerate(
        sorted(by_supplier.items(), key=lambda kv: -kv[1]), start=1
    ):
        assert f"{rank} Supplier {supplier} {gbp(pence)}" in text
    assert "Supplier D4" not in text  # paid only after the year's end
    # Locality: all five years kept; the four with no payments are "-" with the footnote.
    home = sum(x.pence for x in year if x.postcode == HOME)
    share = (Decimal(home * 100) / total).quantize(Decimal(1), ROUND_HALF_UP)
    # 2023/24 has payments in four months only, so it is marked incomplete too.
    assert f"2023/24* {gbp(home)} {gbp(total)} {share}%" in text
    for fy in range(FY - 4, FY):
        label = f"{fy}/{(fy + 1) % 100:02d}"
        assert f"{label}* - - -" in text
        assert f"the portal holds no payments for {label}." in text
    assert "This report covers 2023/24." in text
    assert "Status Final" in text
    assert "Figures as at 31 March 2024" in text
    # No date after the year's end, outside the front sheet (the meeting and the day it was
    # produced) and the forward plan (which lists the quarters after the as-at date).
    body = text[text.rfind("Contents") :]
    plan_start = body.rfind("Contracts ending in the next 24 months")
    plan_end = body.find("Spend with no contract", plan_start)
    assert plan_start > 0
    assert plan_end > plan_start
    # The Companies House sections are current (that data keeps no history) and say so.
    assert body.count("This section is current") == 2
    assert dates_after(outside_current(body[:plan_start] + body[plan_end:]), YEAR_END) == []
    plan = body[plan_start:plan_end]
    assert "in the 24 months from 31 March 2024" in plan
    assert "April to June 2025 1 £5,000" in plan  # ED-1 ends 30 June 2025
    assert "2029" not in plan

    # The register as at the year's end: ED-1 is live (ED-2 starts later, ED-3 has ended);
    # two awards in the year, one by waiver; no quarter published.
    register = body[body.rfind("The contract register") : plan_start]
    assert "On 31 March 2024 the register held 1 live contract worth £5,000 in all." in register
    assert "In 2023/24 to that date, 2 contracts were awarded, 1 of them by waiver." in register
    assert "No quarter of the register had been published by then" in register
    assert "register page (/register/)" in register.replace("/ ", "/")  # wrapped at the slash
    # Frozen: later data and text change neither the page, the stored figures nor the PDF.
    frozen = dict(edition.frozen)
    assert frozen["as_at"] == "2024-03-31"
    spend = next(s for s in frozen["sections"] if s["anchor"] == "key-spend")
    assert spend["figures"]["total"] == total
    import_lines(tmp_path / "later", [Line(99, "E5", "5000000.00", dt.date(2023, 9, 9), HOME)])
    with pytest.raises(services.EditionError, match="final"):
        services.edition_save(edition=edition, fields={}, narrative={"introduction": "Changed"})
    client.force_login(councillor)
    page = client.get(edition.get_absolute_url()).content.decode()
    assert f"the council paid {gbp(total)} to 3 suppliers" in page
    assert "This report covers 2023/24." in page
    download = client.get(reverse("reports:edition-pdf", args=[edition.pk]))
    assert download.getvalue() == stored
    library = client.get(reverse("reports:centre")).content.decode()
    assert "Library of final editions" in library
    assert "Scrutiny Committee, 22 July 2024" in library
    edition.refresh_from_db()
    assert edition.frozen == frozen
    # A new edition starts from the final one's text.
    client.force_login(officer)
    client.post(
        reverse("reports:edition-new"),
        {
            "fy": str(FY + 1),
            "committee": "Scrutiny Committee",
            "meeting_date": "2025-07-21",
            "start_from_last": "on",
        },
    )
    newer = Edition.objects.exclude(pk=edition.pk).get()
    assert newer.status == "draft"
    assert newer.started_from == edition
    assert newer.narrative == {"introduction": "This report covers 2023/24."}
    assert newer.report_of == "Director of Finance"


@pytest.mark.django_db
def test_an_edition_for_a_year_with_no_data_says_what_is_missing(
    officer: User, tmp_path: Path
) -> None:
    from reports.committee import render_edition_pdf

    edition = services.edition_create(
        fy=2019, committee_name="Scrutiny Committee", meeting_date=dt.date(2020, 7, 1), user=officer
    )
    text = pdf_text(render_edition_pdf(edition), tmp_path)
    assert "The ledger holds no payments for 2019/20" in text
    assert "No self-assessment had been submitted by the council by 31 March 2020" in text
    body = text[text.rfind("Contents") :]
    plan_start = body.rfind("Contracts ending in the next 24 months")
    assert dates_after(outside_current(body[:plan_start]), dt.date(2020, 3, 31)) == []


@pytest.mark.worker
def test_finalising_runs_on_a_worker(
    celery_worker, officer: User, client: Client, tmp_path: Path
) -> None:
    import_lines(tmp_path, lines())
    edition = services.edition_create(
        fy=FY, committee_name="Scrutiny Committee", meeting_date=dt.date(2024, 7, 22), user=officer
    )
    client.force_login(officer)
    assert client.post(reverse("reports:edition-finalise", args=[edition.pk])).status_code == 302
    job = Job.objects.get(kind=EDITION_JOB_KIND)
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        timeout=120,
    )
    assert done.status == "succeeded", done.error
    edition.refresh_from_db()
    assert edition.is_final
    assert edition.pdf.read().startswith(b"%PDF-")


@pytest.mark.django_db
def test_the_report_uses_the_councils_own_place_names(
    settings, officer: User, tmp_path: Path
) -> None:
    from django.template.loader import render_to_string

    from reports.committee import committee_report_context

    import_lines(tmp_path, lines())
    settings.COUNCIL_NAME = "Kent County Council"
    settings.COUNCIL_SHORT_NAME = "Kent"
    settings.HOME_REGION = "South East"
    edition = services.edition_create(
        fy=FY, committee_name="Scrutiny", meeting_date=dt.date(2024, 7, 1), user=officer
    )
    html = render_to_string("reports/committee.html", committee_report_context(FY, edition=edition))
    assert "with a Kent address over five years" in html
    assert "Rest of the South East" in html
    assert "Lancashire" not in html
    assert "home area" not in html.lower()


@pytest.mark.django_db
@pytest.mark.usefixtures("suppliers")
def test_size_and_head_office_sections_from_companies_house(tmp_path: Path) -> None:
    """The reference's two limitations answered: spend by size band and SME status, and
    locality by head office beside paid site (the suppliers and file of the Companies House
    tests: S1 micro, S2 and S3 small, S5 large; S4 and S6 unmatched)."""
    from reports.committee import render_committee_report
    from suppliers import quality
    from tests.suppliers.test_companies_house import ch_file

    before = pdf_text(render_committee_report(2021, today=dt.date(2022, 5, 1)), tmp_path)
    assert "No supplier is matched to Companies House yet, so spend by size band" in before
    assert "(Spend, Data quality, Companies House)" in before
    quality.companies_house_paths(path=ch_file(tmp_path))
    text = pdf_text(render_committee_report(2021, today=dt.date(2022, 5, 1)), tmp_path)
    size = text[text.rfind("Spend by supplier size") : text.rfind("Locality by head office")]
    paid = {"S1": 1000, "S2": 2000, "S3": 3000, "S4": 4000, "S5": 5000, "S6": 6000}
    total = sum(paid.values())
    bands = {"Micro": ["S1"], "Small": ["S2", "S3"], "Large": ["S5"], "Unknown": ["S4", "S6"]}
    for label, numbers in bands.items():
        pounds = sum(paid[n] for n in numbers)
        share = (Decimal(pounds * 100) / total).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert f"{label} {len(numbers)} £{pounds:,} {share}%" in size
    sme = sum(paid[n] for n in ("S1", "S2", "S3"))
    assert f"SME 3 £{sme:,}" in size
    office = text[text.rfind("Locality by head office") :]
    # S5 is paid in Manchester (the rest of the North West) but registered in Edinburgh.
    region_site = paid["S3"] + paid["S4"] + paid["S5"]
    assert f"Rest of the North West £{region_site:,}" in office
    assert f"Rest of the UK £0 0.0% £{paid['S5']:,}" in office


@pytest.mark.django_db
@pytest.mark.usefixtures("period_ledger")
def test_payment_performance_from_the_payments_dashboards_figures(tmp_path: Path) -> None:
    """Days to pay for 2025/26, worked out from the payment-duty scenario's own rows."""
    from reports.committee import render_committee_report
    from tests.payments.scenario import PAID
    from tests.payments.test_dashboard import invoice_payments, q1

    days = [int(str(i["days"])) for i in invoice_payments(PAID) if int(str(i["days"])) >= 0]
    text = pdf_text(render_committee_report(2025, today=dt.date(2026, 5, 1)), tmp_path)
    average = q1(Decimal(sum(days)) / len(days))
    within_10 = q1(Decimal(sum(d <= 10 for d in days)) * 100 / len(days))
    within_30 = q1(Decimal(sum(d <= 30 for d in days)) * 100 / len(days))
    assert (
        f"From 1 April 2025 to 31 March 2026 the council paid {len(days):,} invoices in an "
        f"average of {average} days: {within_10}% within 10 days and {within_30}% within 30 "
        "days." in text
    )


@pytest.mark.django_db
def test_a_past_years_edition_reads_nothing_after_its_as_at_date(
    officer: User, tmp_path: Path
) -> None:
    """2025/26 reported after its end, with data from after it: a contract ended early later
    (still in the forward plan), social value returns and an Act notice sent later (still
    overdue and due on 31 March 2026), and Companies House data (kept with no history, so its
    sections say they are current and on which day). No date after the year's end appears
    outside the sections marked current and the forward plan, which looks ahead."""
    from django.utils import timezone

    from contracts.models import Contract, Notice, Regime
    from reports.committee import render_edition_pdf
    from socialvalue import services as social_value
    from socialvalue.models import DeliveryReturn, Theme
    from spend.models import CompaniesHouseRecord, SizeBand, Supplier
    from tests.socialvalue.conftest import make_contract, make_measure, submit

    fy, year_end, built = 2025, dt.date(2026, 3, 31), dt.date(2026, 11, 20)
    later = timezone.make_aware(dt.datetime(2026, 5, 4, 10, 0))
    import_lines(
        tmp_path,
        [
            Line(1, "A1", "10000.00", dt.date(2025, 5, 1), HOME),
            Line(2, "B2", "2000.00", dt.date(2025, 9, 1), REGION),
            Line(3, "A1", "70.00", dt.date(2026, 6, 1), HOME),  # 2026/27
        ],
    )
    CompaniesHouseRecord.objects.create(
        supplier=Supplier.objects.get(supplier_number="A1"),
        company_number="01234567",
        company_name="SUPPLIER A1 LIMITED",
        reg_postcode=HOME,
        size_band=SizeBand.MICRO,
        matched_by="number",
    )
    ended = Contract.objects.create(
        reference="END-1",
        title="Ended later",
        award_date=dt.date(2025, 4, 1),
        start_date=dt.date(2025, 4, 1),
        end_date=dt.date(2027, 6, 30),
        awarded_value=Decimal("5000.00"),
        ended_on=dt.date(2026, 9, 1),  # after the year's end: running on 31 March 2026
        end_reason="Merged",
    )
    act = Contract.objects.create(
        reference="ACT-1",
        title="Under the Act",
        award_date=dt.date(2025, 6, 2),
        start_date=dt.date(2025, 6, 2),
        end_date=dt.date(2029, 6, 30),
        awarded_value=Decimal("100000.00"),
        awarded_value_gross=Decimal("120000.00"),
        regime=Regime.ACT,
    )
    Notice.objects.create(
        contract=act, kind=Notice.Kind.CONTRACT_DETAILS, status="published", published_at=later
    )
    theme = Theme.objects.create(code="PY", title="Past year theme", position=95)
    measure = make_measure("PY1.1", theme, "hours", {2025: "10.00"})
    sv = make_contract("SV-PAST", "1000.00", dt.date(2025, 4, 1), None, ["Alpha Ltd"])
    commitment = social_value.commitment_create(
        contract=sv, measure=measure, target_quantity=Decimal(40), period_fy=fy, user=officer
    )
    for quarter in (1, 2, 3):  # due 30 July, 30 October and 30 January: all sent after
        submit(commitment, quarter, "10")
    DeliveryReturn.objects.update(submitted_at=later)

    edition = services.edition_create(
        fy=fy, committee_name="Scrutiny Committee", meeting_date=dt.date(2026, 7, 20), user=officer
    )
    text = pdf_text(render_edition_pdf(edition, today=built), tmp_path)
    contents = text.find("1. Introduction", text.rfind("Contents"))
    body = text[text.find("1. Introduction", contents + 1) :]  # after the contents

    def part(start: str, end: str) -> str:
        first = body.find(start)
        assert first > 0, start
        return body[first : body.find(end, first)]

    plan = part("Contracts ending in the next 24 months", "Spend with no contract")
    assert "April to June 2027 1 £5,000" in plan  # END-1, ended early only later
    assert ended.reference  # (the contract the line above counts)
    social = part("Social value Suppliers", "Procurement maturity")
    assert "On 31 March 2026, 1 contract had a quarterly social value return overdue" in social
    assert "SV-PAST" in social
    notices = body[body.rfind("Procurement Act 2023 notices") :]
    assert "In 2025/26 the council published 0 Procurement Act notices" in notices
    assert "On 31 March 2026, 1 notice was due, 1 of them overdue." in notices
    current = []
    for title, after in (
        ("Spend by supplier size", "Locality by head office beside paid site"),
        ("Locality by head office beside paid site", "Locality performance on contract awards"),
    ):
        section = part(title, after)
        assert (
            "This section is current: it shows the portal on 20 November 2026, not as at "
            "31 March 2026." in section
        )
        current.append(section)
    rest = outside_current(body.replace(plan, ""))
    assert all(section not in rest for section in current)
    assert dates_after(rest, year_end) == []
    assert "2026/27" not in rest


@pytest.mark.django_db
def test_a_drafts_figures_are_reused_and_say_when_they_were_worked_out(
    client: Client, officer: User, tmp_path: Path
) -> None:
    """A draft page reuses its figures between visits (they take seconds at millions of
    payments) but never hides an import: the ledger's summary version is in the key. Other
    data shows after "work out the figures again", and the page says when they were."""
    from django.utils import timezone

    import_lines(tmp_path, lines())
    register_import(
        path=write_csv(
            tmp_path / "register.csv",
            [register_row("ED-1", "Ending Ltd", **contract("2023-05-01", "2025-06-30", "5000"))],
        )
    )
    edition = services.edition_create(
        fy=FY, committee_name="Scrutiny Committee", meeting_date=dt.date(2024, 7, 22), user=officer
    )
    client.force_login(officer)
    url = edition.get_absolute_url()
    year = [line for line in lines() if line.fy == FY]
    first = client.get(url).content.decode()
    now = timezone.localtime()
    assert f"Figures worked out at {now:%H}:" in first
    assert f"on {now.day} {now:%B %Y}" in first
    assert "the register held 1 live contract worth £5,000" in first
    # A register change is not seen until the figures are worked out again...
    register_import(
        path=write_csv(
            tmp_path / "more.csv",
            [register_row("ED-9", "Another Ltd", **contract("2023-06-01", "2026-06-30", "7000"))],
        )
    )
    cached = client.get(url)
    assert "the register held 1 live contract worth £5,000" in cached.content.decode()
    # The kept figures' chart styles carry this response's nonce, not the first one's.
    nonce = re.search(r"'nonce-([^']+)'", cached["Content-Security-Policy"])
    assert nonce is not None
    styles = re.findall(r'<style nonce="([^"]*)"', cached.content.decode())
    assert styles
    assert set(styles) == {nonce.group(1)}
    again = client.get(url + "?refresh=1").content.decode()
    assert "the register held 2 live contracts worth £12,000" in again
    # ...but an import is seen at once: the ledger's version is part of the key.
    import_lines(tmp_path / "later", [Line(99, "E5", "1000.00", dt.date(2023, 9, 9), HOME)])
    total = sum(x.pence for x in year) + 1000_00
    assert f"the council paid {gbp(total)} to 4 suppliers in 5 payments" in (
        client.get(url).content.decode()
    )
