"""The measures catalogue in the database: the starter loaded once, edits by administrators,
and the spreadsheet round trip with refusals that name sheet, row and column."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from portal.models import User
from socialvalue import selectors, services
from socialvalue.catalogue import starter_measures
from socialvalue.catalogue.spreadsheet import COLUMNS, CatalogueRefused
from socialvalue.models import Measure, MeasureProxy, Theme

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_starter_catalogue_is_in_the_database_once() -> None:
    starter = list(starter_measures())
    assert Measure.objects.count() == len(starter)
    assert Theme.objects.count() == 5
    assert selectors.measure_proxy_in_force(Measure.objects.get(code="CE2.1"), 2024) == Decimal(
        "103.70"
    )
    assert services.catalogue_load_starter() == 0
    assert services.catalogue_load_starter(only_if_empty=False) == 0
    assert Measure.objects.count() == len(starter)


def test_council_edits_survive_a_reload() -> None:
    measure = Measure.objects.get(code="EG1.1")
    measure.title = "Our own wording"
    measure.save()
    services.catalogue_load_starter(only_if_empty=False)
    assert Measure.objects.get(code="EG1.1").title == "Our own wording"


def _book(
    rows: list[list[object]], headings: tuple[str, ...] = COLUMNS, sheet: str = "Measures"
) -> io.BytesIO:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(headings))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _row(
    code: str = "J1.1",
    proxy: object = "12.50",
    year: object = 2024,
    outcome: str = "J1",
    theme: str = "J",
) -> list[object]:
    return [
        theme,
        "Jobs",
        "Local jobs",
        outcome,
        "Local people employed",
        code,
        f"Measure {code}",
        "FTE",
        "Described",
        proxy,
        year,
        "Council's own basis",
    ]


def test_export_then_import_round_trip() -> None:
    data = services.catalogue_xlsx_export()
    book = load_workbook(io.BytesIO(data))
    ws = book["Measures"]
    assert tuple(c.value for c in ws[1]) == COLUMNS
    assert ws.max_row - 1 == MeasureProxy.objects.count()
    # Change EG1.1's proxy from 2026 and import the sheet back.
    ws.append(
        [
            "EG",
            "Growing the local economy",
            "Kickstart economic growth",
            "EG1",
            "Good jobs on the contract",
            "EG1.1",
            "Local residents employed on the contract",
            "FTE-years",
            "",
            3750,
            "2026/27",
            "Revised",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    done = services.catalogue_xlsx_import(file=out)
    assert done.measures_added == 0
    assert done.measures_updated == Measure.objects.count()
    measure = Measure.objects.get(code="EG1.1")
    assert selectors.measure_proxy_in_force(measure, 2025) == Decimal("3500.00")
    assert selectors.measure_proxy_in_force(measure, 2026) == Decimal("3750.00")


def test_import_a_councils_own_catalogue() -> None:
    file = _book([_row(), _row(year="2025/26", proxy="£13.00"), _row("J1.2", proxy=7)])
    done = services.catalogue_xlsx_import(file=file)
    assert (done.themes, done.outcomes, done.measures_added, done.proxies) == (1, 1, 2, 3)
    measure = Measure.objects.get(code="J1.1")
    assert measure.outcome.theme.code == "J"
    assert selectors.measure_proxy_in_force(measure, 2024) == Decimal("12.50")
    assert selectors.measure_proxy_in_force(measure, 2025) == Decimal("13.00")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [_row(), _row("J1.2", proxy="abc")],
            "Sheet 'Measures', row 3, column J (Proxy value (£ per unit)): 'abc' is not an amount",
        ),
        (
            [_row(proxy="1.234")],
            "row 2, column J (Proxy value (£ per unit)): '1.234' has more than two decimal places",
        ),
        (
            [_row(year="next year")],
            "row 2, column K (Valid from (financial year)): 'next year' is not a financial year",
        ),
        (
            [_row(), _row()],
            "row 3, column K (Valid from (financial year)): measure J1.1 already "
            "has a proxy from 2024",
        ),
        (
            [_row(), _row("J1.2", theme="K")],
            "row 3, column A (Theme code): outcome J1 is under theme J",
        ),
        ([_row(code="")], "row 2, column F (Measure code): is blank"),
        ([_row(proxy=-1)], "row 2, column J (Proxy value (£ per unit)): '-1' must be zero or more"),
    ],
)
def test_bad_sheet_is_refused_naming_sheet_row_and_column(
    rows: list[list[object]], expected: str
) -> None:
    before = MeasureProxy.objects.count()
    with pytest.raises(CatalogueRefused) as refused:
        services.catalogue_xlsx_import(file=_book(rows))
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems
    assert MeasureProxy.objects.count() == before
    assert not Measure.objects.filter(code__startswith="J").exists()


def test_missing_headings_and_not_a_workbook() -> None:
    with pytest.raises(
        CatalogueRefused,
        match=r"Sheet 'Sheet1', row 1: the headings 'Unit', "
        r"'Proxy value \(£ per unit\)'",
    ):
        services.catalogue_xlsx_import(
            file=_book(
                [],
                headings=tuple(c for c in COLUMNS if c not in ("Unit", "Proxy value (£ per unit)")),
                sheet="Sheet1",
            )
        )
    with pytest.raises(CatalogueRefused, match="not an Excel workbook"):
        services.catalogue_xlsx_import(file=io.BytesIO(b"Theme code,Theme\n"))


def test_export_neutralises_formulas() -> None:
    Measure.objects.filter(code="EG1.1").update(title='=HYPERLINK("http://x")')
    book = load_workbook(io.BytesIO(services.catalogue_xlsx_export()))
    titles = [row[6] for row in book["Measures"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in titles
    # …and reading it back restores the text as it was.
    out = io.BytesIO(services.catalogue_xlsx_export())
    services.catalogue_xlsx_import(file=out)
    assert Measure.objects.get(code="EG1.1").title == '=HYPERLINK("http://x")'


def test_catalogue_pages_and_who_may_edit(
    client: Client, administrator: User, officer: User, councillor: User
) -> None:
    client.force_login(councillor)
    page = client.get(reverse("socialvalue:catalogue"))
    assert page.status_code == 200
    assert "Waste diverted from landfill" in page.content.decode()
    assert "Import a spreadsheet" not in page.content.decode()
    download = client.get(reverse("socialvalue:catalogue-export"))
    assert download["Content-Type"] == XLSX
    measure = Measure.objects.get(code="EG1.1")
    for user in (councillor, officer):
        client.force_login(user)
        assert client.get(reverse("socialvalue:catalogue-import")).status_code == 403
        assert client.get(reverse("socialvalue:measure-edit", args=[measure.pk])).status_code == 403
        assert (
            client.post(
                reverse("socialvalue:proxy-add", args=[measure.pk]),
                {"new-valid_from_fy": 2026, "new-value": "1.00"},
            ).status_code
            == 403
        )

    client.force_login(administrator)
    assert client.get(reverse("socialvalue:measure-edit", args=[measure.pk])).status_code == 200
    response = client.post(
        reverse("socialvalue:proxy-add", args=[measure.pk]),
        {"new-valid_from_fy": 2026, "new-value": "3600.00", "new-basis": "Uprated"},
    )
    assert response.status_code == 302
    assert selectors.measure_proxy_in_force(measure, 2026) == Decimal("3600.00")
    response = client.post(
        reverse("socialvalue:measure-add"),
        {
            "measure-outcome": measure.outcome_id,
            "measure-code": "EG1.9",
            "measure-title": "Graduates hired",
            "measure-unit": "people",
            "measure-active": "on",
            "proxy-valid_from_fy": 2024,
            "proxy-value": "5000.00",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert selectors.measure_proxy_in_force(Measure.objects.get(code="EG1.9"), 2024) == Decimal(
        "5000.00"
    )
    bad = _book([_row(proxy="lots")])
    response = client.post(
        reverse("socialvalue:catalogue-import"),
        {"file": SimpleUploadedFile("mine.xlsx", bad.getvalue(), content_type=XLSX)},
    )
    assert response.status_code == 200
    assert "Sheet &#x27;Measures&#x27;, row 2, column J" in response.content.decode()
    good = _book([_row()])
    response = client.post(
        reverse("socialvalue:catalogue-import"),
        {"file": SimpleUploadedFile("mine.xlsx", good.getvalue(), content_type=XLSX)},
    )
    assert response.status_code == 302
    assert Measure.objects.filter(code="J1.1").exists()
