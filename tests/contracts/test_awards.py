"""Award monitoring and the forward plan, checked against figures computed from the rows."""

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from contracts import selectors, services
from contracts.models import Contract
from portal.periods import Quarter
from tests.conftest import downloaded
from tests.contracts.conftest import HOME, REGION, UNKNOWN, register_row, write_csv

pytestmark = pytest.mark.django_db


def _pct(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_award_monitoring_matches_the_imported_rows(year_file: Path, year_rows) -> None:
    services.register_import(path=year_file)
    # A draft awarded in the year is not counted.
    draft = Contract.objects.get(reference="LCC-PDPS-LWAH")
    report_before = selectors.award_monitoring(2023)
    Contract.objects.filter(pk=draft.pk).update(status=Contract.Status.DRAFT)
    assert selectors.award_monitoring(2023).year.suppliers == report_before.year.suppliers - 129
    Contract.objects.filter(pk=draft.pk).update(status=Contract.Status.REGISTERED)

    expected: dict[str, dict[str, object]] = defaultdict(
        lambda: {"refs": {}, "rows": 0, "home": 0, "region": 0, "unknown": 0, "sme": 0, "vcfs": 0}
    )
    for row in year_rows:
        month = expected[row["Award date"][:7]]
        month["refs"][row["Reference"]] = Decimal(row["Awarded value"])  # type: ignore[index]
        month["rows"] += 1  # type: ignore[operator]
        month["home"] += row["Supplier postcode"] in HOME  # type: ignore[operator]
        month["region"] += row["Supplier postcode"] in REGION  # type: ignore[operator]
        month["unknown"] += row["Supplier postcode"] in UNKNOWN  # type: ignore[operator]
        month["sme"] += row["SME"] == "Yes"
        month["vcfs"] += row["VCFS"] == "Yes"

    report = selectors.award_monitoring(2023)
    assert report.months[0].month == date(2023, 4, 1)
    assert report.months[-1].month == date(2024, 3, 1)
    for figures in report.months:
        assert figures.month is not None
        want = expected[f"{figures.month:%Y-%m}"]
        rows = int(want["rows"])  # type: ignore[call-overload]
        assert figures.value_awarded == sum(want["refs"].values())  # type: ignore[attr-defined]
        assert figures.suppliers == rows
        assert figures.pct_home == _pct(want["home"], rows)  # type: ignore[arg-type]
        assert figures.pct_region == _pct(want["region"], rows)  # type: ignore[arg-type]
        elsewhere = rows - want["home"] - want["region"] - want["unknown"]
        assert figures.pct_rest_of_uk == _pct(elsewhere, rows)
        assert figures.pct_unknown == _pct(want["unknown"], rows)  # type: ignore[arg-type]
        assert figures.sme == want["sme"]
        assert figures.vcfs == want["vcfs"]

    august = report.months[4]
    assert august.month == date(2023, 8, 1)
    assert august.suppliers >= 129
    assert august.value_awarded >= Decimal("3525950000.00")  # counted once, not 129 times
    assert august.marker == "*"
    assert "Living Well at Home PDPS (LCC-PDPS-LWAH)" in august.footnote
    assert "129 suppliers" in august.footnote
    assert report.footnotes == [("*", august.footnote)]
    assert [m.marker for m in report.months].count("") == 11
    assert report.year.suppliers == len(year_rows)


def test_award_monitoring_page_and_export(
    client: Client, councillor, year_file: Path, year_rows, settings
) -> None:
    settings.COUNCIL_SHORT_NAME = "Kent"  # the council's names, not "home area"
    settings.HOME_REGION = "South East"
    services.register_import(path=year_file)
    # August 2023 from the rows: each contract's value once, every supplier row counted.
    august = [r for r in year_rows if r["Award date"].startswith("2023-08")]
    value = sum({r["Reference"]: Decimal(r["Awarded value"]) for r in august}.values(), Decimal(0))
    shown = f"£{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    client.force_login(councillor)
    url = reverse("contracts:awards")
    html = client.get(url, {"fy": "2023"}).content.decode()
    assert "Aug-23*" in html
    assert "Living Well at Home PDPS" in html
    assert shown in html
    exported = client.get(url, {"fy": "2023", "_export": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(downloaded(exported).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Measure", "Apr-23"]
    august_column = next(i for i, h in enumerate(rows[0]) if h.startswith("Aug-23"))
    by_measure = {row[0]: row for row in rows[1:]}
    assert by_measure["Number of suppliers appointed"][august_column] == str(len(august))
    # Unknown postcodes apart from the rest of the UK, for the month and the year.
    for column, picked in ((august_column, august), (rows[0].index("Year"), year_rows)):
        codes = [r["Supplier postcode"] for r in picked]
        unknown = sum(c in UNKNOWN for c in codes)
        uk = len(codes) - unknown - sum(c in HOME or c in REGION for c in codes)
        assert by_measure["% postcode unknown"][column] == f"{_pct(unknown, len(codes))}%"
        assert by_measure["% elsewhere in the UK"][column] == f"{_pct(uk, len(codes))}%"
        assert by_measure["Number with postcode unknown"][column] == str(unknown)
        home = sum(c in HOME for c in codes)
        assert by_measure["% with a Kent address"][column] == f"{_pct(home, len(codes))}%"
        assert "% rest of the South East" in by_measure
    # The year has both, so a page that folded unknown into the rest of the UK would fail.
    assert sum(r["Supplier postcode"] in UNKNOWN for r in year_rows)
    assert by_measure["% elsewhere in the UK"][-1] != by_measure["% postcode unknown"][-1]
    assert not any("home area" in m.lower() or m == "% elsewhere" for m in by_measure)
    assert "% postcode unknown" in html
    assert "% with a Kent address" in html
    assert "home area" not in html.lower()
    xlsx = client.get(url, {"fy": "2023", "_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:2] == ["Measure", "Apr-23"]
    sheet_rows = {row[0]: row for row in cells[1:]}
    assert str(sheet_rows["Number of suppliers appointed"][august_column]) == str(len(august))
    assert len(cells) == len(rows)  # the same measures as the CSV


def test_forward_plan_groups_contracts_ending_by_quarter(
    tmp_path: Path, client: Client, officer
) -> None:
    today = date.today()
    ends = {
        "SOON": today + timedelta(days=20),
        "LATER": today + timedelta(days=400),
        "BEYOND": today + timedelta(days=800),
        "PAST": today - timedelta(days=3),
    }
    rows = [
        register_row(
            ref,
            "Acme",
            **{
                "Start date": "2020-01-01",
                "Award date": "2019-12-01",
                "End date": end.isoformat(),
                "Awarded value": "1000",
            },
        )
        for ref, end in ends.items()
    ]
    rows.append(
        register_row(
            "ENDED", "Acme", **{"Start date": "2020-01-01", "End date": ends["SOON"].isoformat()}
        )
    )
    services.register_import(path=write_csv(tmp_path / "r.csv", rows))
    ended = Contract.objects.get(reference="ENDED")
    services.contract_end(
        contract=ended, ended_on=today - timedelta(days=1), reason="Merged", user=None
    )
    services.contract_update(
        contract=Contract.objects.get(reference="LATER"),
        data={"reprocurement_started": True},
        user=None,
    )

    plan = selectors.forward_plan(today)
    assert 8 <= len(plan) <= 9
    listed = {c.reference: q for q in plan for c in q.contracts}
    assert set(listed) == {"SOON", "LATER"}
    later = listed["LATER"]
    assert later.reprocurement_started == 1
    assert later.value == Decimal("1000.00")
    assert listed["SOON"].not_started == 1

    client.force_login(officer)
    html = client.get(reverse("contracts:forward-plan")).content.decode()
    assert "SOON" in html
    assert "BEYOND" not in html
    csv_text = downloaded(
        client.get(reverse("contracts:forward-plan"), {"_export": "csv"})
    ).decode()
    assert "LATER" in csv_text


# (reference, title, award date, suppliers appointed, awarded value) for 2024/25. The rule
# the committee reads: a month is footnoted for an award to 50 suppliers or more, or one
# worth half the year's value awarded or more; each footnote names the award.
FOOTNOTE_AWARDS = [
    ("MAY-HALF", "Highways term maintenance", date(2024, 5, 3), 1, Decimal("25000.00")),
    ("MAY-FIFTY", "Care at home framework", date(2024, 5, 20), 50, Decimal("10000.00")),
    ("JUN-49", "Taxi framework", date(2024, 6, 12), 49, Decimal("4000.00")),
    ("JUN-TWO", "Legal advice", date(2024, 6, 14), 2, Decimal("1000.00")),
    # The same day: the footnote names them by reference (JUL-A first), not by title.
    ("JUL-A", "Youth services framework", date(2024, 7, 1), 50, Decimal("5000.00")),
    ("JUL-B", "Adult learning framework", date(2024, 7, 1), 50, Decimal("5000.00")),
]


def _award_rows(awards: list[tuple[str, str, date, int, Decimal]]) -> list[dict[str, str]]:
    return [
        register_row(
            reference,
            f"{reference} supplier {n}",
            Title=title,
            **{
                "Award date": awarded.isoformat(),
                "Start date": (awarded + timedelta(days=30)).isoformat(),
                "End date": (awarded + timedelta(days=730)).isoformat(),
                "Awarded value": str(value),
            },
        )
        for reference, title, awarded, suppliers, value in awards
        for n in range(suppliers)
    ]


def _footnote(title: str, reference: str, suppliers: int, value: Decimal) -> str:
    plural = "supplier" if suppliers == 1 else "suppliers"
    return (
        f"{title} ({reference}) was awarded this month to {suppliers} {plural}, "
        f"worth £{value:,.0f}."
    )


def test_award_monitoring_footnotes_50_suppliers_or_half_the_years_value(
    tmp_path: Path, client: Client, councillor
) -> None:
    """The committee is told which award made a month stand out: 50 suppliers exactly counts,
    49 does not; an award of exactly half the year's value counts; two in a month share one
    marker, in award-date order (then by reference), joined by a space."""
    services.register_import(path=write_csv(tmp_path / "r.csv", _award_rows(FOOTNOTE_AWARDS)))
    year_value = sum(value for *_, value in FOOTNOTE_AWARDS)
    assert year_value == 2 * FOOTNOTE_AWARDS[0][4]  # MAY-HALF is half the year, no more
    noted: dict[date, list[str]] = defaultdict(list)
    for reference, title, awarded, suppliers, value in sorted(
        FOOTNOTE_AWARDS, key=lambda a: (a[2], a[0])
    ):
        if suppliers >= 50 or 2 * value >= year_value:
            noted[awarded.replace(day=1)].append(_footnote(title, reference, suppliers, value))
    expected = [("*" * n, " ".join(noted[m])) for n, m in enumerate(sorted(noted), start=1)]
    assert [m for m, _ in expected] == ["*", "**"]  # May and July; June has neither kind

    report = selectors.award_monitoring(2024)
    assert report.footnotes == expected
    assert [f.marker for f in report.months[1:4]] == ["*", "", "**"]

    client.force_login(councillor)
    html = client.get(reverse("contracts:awards"), {"fy": "2024"}).content.decode()
    flat = " ".join(html.split())  # the column headings, spaces collapsed
    for heading in ("May-24*", "Jun-24", "Jul-24**"):
        assert f"> {heading} </th>" in flat
    for marker, text in expected:
        assert f'<p class="govuk-body-s">{marker}{text}</p>' in html
    assert "Taxi framework" not in html
    assert "Legal advice" not in html


def test_a_years_only_award_of_1_pound_is_the_whole_years_value(tmp_path: Path) -> None:
    """A £1 concession awarded alone in a year is all the year's value awarded, so it is
    footnoted like any award of half the year or more, however small the year."""
    award = ("PEPPERCORN-1", "Kiosk concession", date(2022, 9, 5), 1, Decimal("1.00"))
    services.register_import(path=write_csv(tmp_path / "r.csv", _award_rows([award])))
    report = selectors.award_monitoring(2022)
    assert report.year.value_awarded == Decimal("1.00")
    assert report.footnotes == [
        ("*", "Kiosk concession (PEPPERCORN-1) was awarded this month to 1 supplier, worth £1.")
    ]


PLAN_TODAY = date(2025, 1, 15)  # 24 months on: 15 January 2027, in January-March 2027
# reference, end date, awarded value, re-procurement started
PLAN = [
    ("Q-A", date(2025, 2, 10), Decimal("1000.00"), True),
    ("Q-C", date(2025, 3, 20), Decimal("2500.00"), False),
    ("Q-B", date(2025, 3, 20), Decimal("400.00"), False),  # the same day as Q-C: B first
    ("LAST", date(2027, 1, 15), Decimal("7000.00"), False),  # 24 months on, to the day
    ("BEYOND", date(2027, 1, 16), Decimal("9000.00"), True),
]


def test_forward_plan_quarters_add_up_the_contracts_ending_in_them(tmp_path: Path) -> None:
    """Each quarter of the next 24 months, the last included, counts its contracts, adds up
    their value and splits them into re-procurement started and not: the figures officers
    and the public plan from. The public plan (a publication) has the same contracts."""
    rows = [
        register_row(
            ref,
            f"Supplier {ref}",
            **{
                "Award date": "2019-12-01",
                "Start date": "2020-01-01",
                "End date": end.isoformat(),
                "Awarded value": str(value),
            },
        )
        for ref, end, value, _started in PLAN
    ]
    services.register_import(path=write_csv(tmp_path / "r.csv", rows))
    for ref, _end, _value, started in PLAN:
        if started:
            services.contract_update(
                contract=Contract.objects.get(reference=ref),
                data={"reprocurement_started": True},
                user=None,
            )
    horizon = date(2027, 1, 15)
    quarters = [Quarter.containing(PLAN_TODAY)]
    while quarters[-1] != Quarter.containing(horizon):
        quarters.append(quarters[-1].next())
    assert len(quarters) == 9
    ending = sorted((c for c in PLAN if PLAN_TODAY <= c[1] <= horizon), key=lambda c: (c[1], c[0]))
    expected = [
        (
            q,
            [c[0] for c in ending if Quarter.containing(c[1]) == q],
            sum((c[2] for c in ending if Quarter.containing(c[1]) == q), Decimal("0.00")),
            sum(c[3] for c in ending if Quarter.containing(c[1]) == q),
        )
        for q in quarters
    ]
    assert expected[0][1:] == (["Q-A", "Q-B", "Q-C"], Decimal("3900.00"), 1)
    assert expected[-1][1] == ["LAST"]

    plan = selectors.forward_plan(PLAN_TODAY)
    assert [
        (q.quarter, [c.reference for c in q.contracts], q.value, q.reprocurement_started)
        for q in plan
    ] == expected
    assert [q.not_started for q in plan] == [len(refs) - n for _q, refs, _v, n in expected]

    publication = services.publication_build(quarter=Quarter.containing(PLAN_TODAY), user=None)
    public = selectors.published_forward_plan(publication, PLAN_TODAY)
    assert [(q.quarter, [c.reference for c in q.contracts], q.value) for q in public] == [
        e[:3] for e in expected
    ]
