"""The projection of when a contract's value is reached, at the smallest rate there is: a
penny in the last twelve months is a rate, however slow, not "no spend". The date is worked
out here from the penny, the value and the calendar's 365.25 days a year."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest

from contracts import selectors, services
from tests.payments.ledger import Row, import_rows

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 15)  # the rate's window: June 2024 to May 2025


def test_a_penny_in_the_rate_window_is_projected_not_called_no_spend(tmp_path: Path) -> None:
    paid = dt.date(2024, 7, 3)
    import_rows(tmp_path, [Row(1, "900", "P-1", paid - dt.timedelta(days=9), paid, 1)])
    contract = services.contract_create(
        reference="K-PENNY",
        contract={
            "title": "Contract K-PENNY",
            "description": "",
            "department": "Highways",
            "category": "",
            "procurement_route": "",
            "cpv_code": "",
            "award_date": dt.date(2024, 4, 1),
            "start_date": dt.date(2024, 4, 1),
            "end_date": dt.date(2199, 3, 31),
            "review_date": None,
            "awarded_value": Decimal("1.00"),
            "vat_not_recoverable": Decimal("0.00"),
            "framework": False,
        },
        supplier={"name": "Supplier 900", "supplier_number": "900"},
        user=None,
        draft=False,
    )
    spend = selectors.contract_spend(contract, today=TODAY)
    assert spend.spend_pence == 1
    projection = spend.projection
    assert projection is not None
    rate = Decimal(1) / 12  # a penny over twelve whole months
    assert projection.rate_pence == rate
    days = (Decimal(100 - 1) / rate * Decimal("365.25") / 12).to_integral_value(ROUND_CEILING)
    assert projection.reached_on == TODAY + dt.timedelta(days=int(days))
    assert "No spend at the current rate" not in projection.note
