"""The register's rules at their edges, on registers and ledgers each test writes: who may
edit, contract spend without voided payments, awards on 31 March and 1 April, a quarter's
publication by its first and last day, and OCDS dates."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from contracts import selectors, services
from contracts.models import Contract
from portal.periods import Quarter
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import Line, import_lines

pytestmark = pytest.mark.django_db


def _register(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    result = services.register_import(path=write_csv(tmp_path / "register.csv", rows))
    assert not result.skipped, result.skipped
    assert result.rows == len(rows)


def test_councillors_may_read_a_contract_but_not_edit_it(
    tmp_path: Path, client: Client, councillor: object, officer: object
) -> None:
    _register(tmp_path, [register_row("C-EDIT", "Acme Ltd", Title="Grounds maintenance")])
    contract = Contract.objects.get(reference="C-EDIT")
    client.force_login(councillor)  # type: ignore[arg-type]
    assert client.get(f"/contracts/{contract.pk}/").status_code == 200
    assert client.get(f"/contracts/{contract.pk}/edit/").status_code == 403
    response = client.post(f"/contracts/{contract.pk}/edit/", {"title": "Changed by a reader"})
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.title == "Grounds maintenance"
    client.force_login(officer)  # type: ignore[arg-type]
    assert client.get(f"/contracts/{contract.pk}/edit/").status_code == 200


def test_contract_spend_leaves_out_voided_payments(tmp_path: Path) -> None:
    _register(
        tmp_path,
        [
            register_row(
                "C-SPEND",
                "Acme Ltd",
                **{
                    "Supplier number": "ACME1",
                    "Start date": "2023-05-01",
                    "End date": "2024-04-30",
                    "Awarded value": "10000.00",
                },
            )
        ],
    )
    lines = [
        Line(1, "ACME1", "1500.00", dt.date(2023, 5, 1)),  # the contract's first day
        Line(2, "ACME1", "2500.50", dt.date(2023, 11, 30)),
        Line(3, "ACME1", "900.00", dt.date(2023, 12, 1), status="VOIDED"),  # void at source
        Line(4, "ACME1", "400.00", dt.date(2024, 4, 30)),  # the contract's last day
        Line(5, "ACME1", "7000.00", dt.date(2023, 4, 30)),  # the day before it started
        Line(6, "ACME1", "8000.00", dt.date(2024, 5, 1)),  # the day after it ended
    ]
    import_lines(tmp_path, lines, "extract.csv")
    # A later file voids payment 2.
    later = [Line(2, "ACME1", "2500.50", dt.date(2023, 11, 30), status="VOIDED")]
    assert import_lines(tmp_path, later, "later.csv").rows_voided_later == 1

    counted = [lines[0], lines[3]]  # within the dates, not voided
    expected = sum(Decimal(line.pounds) for line in counted)
    spend = selectors.contract_spend(
        Contract.objects.get(reference="C-SPEND"), today=dt.date(2025, 1, 1)
    )
    assert spend.spend_pence == int(expected * 100) == 1900_00
    assert spend.percent_of_value == 19


def _award(reference: str, award: str, value: str, postcode: str = "PR1 2HE") -> dict[str, str]:
    return register_row(
        reference,
        f"Supplier of {reference}",
        **{
            "Award date": award,
            "Start date": award,
            "End date": "2026-12-31",
            "Awarded value": value,
            "Supplier postcode": postcode,
        },
    )


def test_award_monitoring_counts_31_march_and_1_april_in_their_own_years(
    tmp_path: Path,
) -> None:
    _register(
        tmp_path,
        [
            _award("A-FIRST", "2023-04-01", "1000.00"),  # first day of 2023/24
            _award("A-LAST", "2024-03-31", "2000.00"),  # last day of 2023/24
            _award("A-NEXT", "2024-04-01", "4000.00"),  # first day of 2024/25
            _award("A-PREV", "2023-03-31", "8000.00"),  # last day of 2022/23
        ],
    )
    year = selectors.award_monitoring(2023)
    assert year.year.contracts == 2
    assert year.year.value_awarded == Decimal("3000.00")
    months = {f.month: f for f in year.months}
    assert months[dt.date(2023, 4, 1)].value_awarded == Decimal("1000.00")
    assert months[dt.date(2024, 3, 1)].value_awarded == Decimal("2000.00")
    assert months[dt.date(2024, 3, 1)].suppliers == 1
    assert selectors.award_monitoring(2024).year.value_awarded == Decimal("4000.00")
    assert selectors.award_monitoring(2022).year.value_awarded == Decimal("8000.00")
    assert selectors.award_years() == [2024, 2023, 2022]


def test_a_quarters_publication_holds_contracts_by_its_first_and_last_day(
    tmp_path: Path,
) -> None:
    def row(reference: str, award: str, end: str) -> dict[str, str]:
        return register_row(
            reference,
            "Acme Ltd",
            **{"Award date": award, "Start date": award, "End date": end},
        )

    _register(
        tmp_path,
        [
            row("Q-LAST-DAY", "2024-03-31", "2026-03-31"),  # awarded on the quarter's last day
            row("Q-AFTER", "2024-04-01", "2026-03-31"),  # awarded the day after it ended
            row("Q-ENDS-FIRST-DAY", "2020-01-01", "2024-01-01"),  # live on its first day
            row("Q-ENDED-BEFORE", "2020-01-01", "2023-12-31"),  # ended the day before
        ],
    )
    quarter = Quarter.parse("2024Q1")
    assert (quarter.start, quarter.end) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    held = set(services.publication_contracts(quarter).values_list("reference", flat=True))
    assert held == {"Q-LAST-DAY", "Q-ENDS-FIRST-DAY"}
    publication = services.publication_build(quarter=quarter, user=None)
    published = set(publication.contracts.values_list("reference", flat=True))
    assert published == {"Q-LAST-DAY", "Q-ENDS-FIRST-DAY"}


def test_ocds_gives_the_award_date_and_the_contract_period_apart(tmp_path: Path) -> None:
    _register(
        tmp_path,
        [
            register_row(
                "OCDS-1",
                "Acme Ltd",
                **{
                    "Award date": "2024-01-15",
                    "Start date": "2024-03-01",
                    "End date": "2026-02-28",
                    "Awarded value": "125000.50",
                },
            )
        ],
    )
    publication = services.publication_build(quarter=Quarter.parse("2024Q1"), user=None)
    package = json.loads(Path(publication.ocds.path).read_text())
    [release] = package["releases"]
    [award] = release["awards"]
    [contract] = release["contracts"]
    assert award["date"] == "2024-01-15T00:00:00Z"
    assert award["contractPeriod"] == {
        "startDate": "2024-03-01T00:00:00Z",
        "endDate": "2026-02-28T00:00:00Z",
    }
    assert contract["period"] == award["contractPeriod"]
    assert award["value"] == {"amount": 125000.5, "currency": "GBP"}
