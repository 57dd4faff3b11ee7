"""The £ figures: quantity x the proxy in force in the year, on data the tests create.

Worked by hand from the ``world`` fixture (proxies: TA1.1 £18.00 from 2023, £20.00 from 2024;
TB1.1 £103.70 from 2023):

commitments                       returns
C1 TA1.1 100 h 2023 = £1,800.00   Q1 30 h verified £540; Q2 25 h rejected; Q2 20 h verified £360
C1 TA1.1 100 h 2024 = £2,000.00   Q1 30 h verified £600 (the 2024 proxy); Q2 10 h awaiting £200
C1 TB1.1 12.5 t 2024 = £1,296.25  Q1 3.33 t verified £345.321 → £345.32
C2 TA1.1 40 h 2024 (Gamma) = £800 Q1 10 h rejected
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client

from contracts.models import Contract
from socialvalue import selectors, services
from socialvalue.models import MeasureProxy
from tests.socialvalue.conftest import World

pytestmark = pytest.mark.django_db


def test_proxy_in_force_is_the_latest_not_after_the_year(world: World) -> None:
    assert selectors.measure_proxy_in_force(world.hours, 2022) is None
    assert selectors.measure_proxy_in_force(world.hours, 2023) == Decimal("18.00")
    assert selectors.measure_proxy_in_force(world.hours, 2024) == Decimal("20.00")
    assert selectors.measure_proxy_in_force(world.hours, 2030) == Decimal("20.00")
    assert selectors.measure_proxy_in_force(world.tonnes, 2026) == Decimal("103.70")


def test_value_rounds_half_up_to_the_penny() -> None:
    assert selectors.value_pence(Decimal("3.33"), Decimal("103.70")) == 34532  # 345.321
    assert selectors.value_pence(Decimal("0.01"), Decimal("0.50")) == 1  # half a penny
    assert selectors.value_pence(Decimal("12.5"), Decimal("103.70")) == 129625
    assert selectors.value_pence(Decimal("5"), None) == 0


def test_totals_all_years(world: World) -> None:
    totals = selectors.social_value_totals()
    assert totals.committed_pence == 180000 + 200000 + 129625 + 80000
    assert totals.delivered_pence == 54000 + 36000 + 60000 + 34532  # rejected ones left out
    assert totals.awaiting_pence == 20000
    assert totals.commitments == 4
    assert totals.contracts == 2
    assert totals.returns_awaiting == 1
    assert totals.returns_rejected == 2
    assert totals.contract_value_pence == 2_000_000 + 400_000
    assert totals.committed_per_pound == Decimal("0.25")  # 589,625 / 2,400,000
    assert totals.delivered_per_pound == Decimal("0.08")  # 184,532 / 2,400,000
    # The headline in pence, to a hundredth of a penny, so a small share is not "£0.00".
    committed, delivered, value = 589_625, 184_532, 2_400_000
    assert totals.committed_pence_per_pound == round(Decimal(committed * 100) / value, 2)
    assert totals.delivered_pence_per_pound == round(Decimal(delivered * 100) / value, 2)


def test_totals_by_year_use_that_years_proxy(world: World) -> None:
    t2023 = selectors.social_value_totals(2023)
    assert (t2023.committed_pence, t2023.delivered_pence, t2023.awaiting_pence) == (
        180000,
        90000,
        0,
    )
    t2024 = selectors.social_value_totals(2024)
    assert (t2024.committed_pence, t2024.delivered_pence, t2024.awaiting_pence) == (
        409625,
        94532,
        20000,
    )
    # The contract value in 2024/25: C1's share by days (365 of its 731), all of C2's.
    c1_share = int((Decimal(2_000_000) * 365 / 731).quantize(Decimal(1), ROUND_HALF_UP))
    assert t2024.contract_value_pence == c1_share + 400_000
    years = {row.fy: row for row in selectors.social_value_by_year()}
    assert sorted(years) == [2023, 2024]
    assert years[2023].committed_pence == 180000
    assert years[2024].delivered_pence == 94532


def test_a_later_proxy_change_does_not_rewrite_earlier_years(world: World) -> None:
    before = selectors.social_value_totals(2023)
    services.measure_proxy_set(measure=world.hours, valid_from_fy=2025, value=Decimal("99.00"))
    assert selectors.social_value_totals(2023) == before
    assert selectors.social_value_totals(2024).committed_pence == 409625
    # Changing the 2024 value itself does change 2024's figures.
    MeasureProxy.objects.filter(measure=world.hours, valid_from_fy=2024).update(
        value=Decimal("21.00")
    )
    t2024 = selectors.social_value_totals(2024)
    assert t2024.committed_pence == 100 * 2100 + 129625 + 40 * 2100
    assert t2024.delivered_pence == 30 * 2100 + 34532


def test_rejected_returns_never_count(world: World) -> None:
    line = next(c for c in selectors.contract_social_value(world.c2).commitments)
    assert line.delivered_pence == 0
    assert line.awaiting_pence == 0
    assert [r.record.status for r in line.returns] == ["rejected"]
    # Verifying it would count it; rejecting the verified 2023 Q1 return takes it away.
    first = world.commit_hours_2023.returns.get(quarter=1)
    services.delivery_return_reject(
        delivery_return=first, reason="Evidence withdrawn", user=world.officer
    )
    assert selectors.social_value_totals(2023).delivered_pence == 36000


def test_by_theme(world: World) -> None:
    themes = {t.code: t for t in selectors.social_value_by_theme(2024)}
    assert (
        themes["TA"].committed_pence,
        themes["TA"].delivered_pence,
        themes["TA"].awaiting_pence,
    ) == (280000, 60000, 20000)
    assert (themes["TB"].committed_pence, themes["TB"].delivered_pence) == (129625, 34532)
    assert themes["TB"].delivered_percent == 27  # 34,532 / 129,625 = 26.6%
    # Every theme is listed, the starter ones with nothing.
    assert themes["EG"].committed_pence == 0
    assert sum(t.committed_pence for t in themes.values()) == 409625


def test_by_contract(world: World) -> None:
    rows = selectors.social_value_by_contract()
    assert [r.reference for r in rows] == ["SV-C1", "SV-C2"]
    c1, c2 = rows
    assert (c1.committed_pence, c1.delivered_pence, c1.awaiting_pence) == (509625, 184532, 20000)
    assert c1.committed_per_pound == Decimal("0.25")
    assert c1.delivered_per_pound == Decimal("0.09")
    assert (c2.committed_pence, c2.delivered_pence) == (80000, 0)
    assert c2.committed_per_pound == Decimal("0.20")
    assert c2.suppliers == "Beta Ltd; Gamma Ltd"
    only_2023 = selectors.social_value_by_contract(2023)
    assert [(r.reference, r.committed_pence) for r in only_2023] == [("SV-C1", 180000)]


def test_by_supplier(world: World) -> None:
    rows = {r.name: r for r in selectors.social_value_by_supplier(2024)}
    # C1's commitments name no supplier; it has one, so they are Alpha's.
    assert rows["Alpha Care Ltd"].committed_pence == 329625
    assert rows["Alpha Care Ltd"].delivered_pence == 94532
    assert rows["Gamma Ltd"].committed_pence == 80000
    assert "Beta Ltd" not in rows


def test_by_measure_in_units(world: World) -> None:
    rows = {r.code: r for r in selectors.social_value_by_measure(2024)}
    hours = rows["TA1.1"]
    assert (hours.committed_units, hours.delivered_units, hours.awaiting_units) == (
        Decimal(140),
        Decimal(30),
        Decimal(10),
    )
    assert rows["TB1.1"].delivered_units == Decimal("3.33")
    assert rows["TB1.1"].unit == "tonnes"


def test_overdue_returns(world: World) -> None:
    overdue = selectors.overdue_returns(dt.date(2025, 1, 15))
    assert [o.reference for o in overdue] == ["SV-C1", "SV-C2"]
    c1, c2 = overdue
    assert sorted((m.measure_code, m.quarter.label) for m in c1.missing) == [
        ("TA1.1", "Q3 2023/24"),
        ("TA1.1", "Q4 2023/24"),
        ("TB1.1", "Q2 2024/25"),
    ]
    assert c1.oldest_due == dt.date(2024, 1, 30)
    assert c1.days_overdue == 351
    # Listed in order, oldest quarter first (not as the commitments came).
    dues = [m.due for m in c1.missing]
    assert dues == sorted(dues)
    assert c1.missing[0].quarter.label == "Q3 2023/24"
    # C2's Q1 return was rejected and not sent again, so it is still missing.
    assert sorted(m.quarter.label for m in c2.missing) == ["Q1 2024/25", "Q2 2024/25"]
    # Before a quarter's return is due, it is not overdue.
    early = selectors.overdue_returns(dt.date(2024, 7, 30))
    assert all(m.quarter.label != "Q1 2024/25" for o in early for m in o.missing)


def test_contract_summary_and_supplier_scope(world: World) -> None:
    summary = selectors.contract_social_value(world.c1)
    assert summary.committed_pence == 509625
    assert summary.delivered_pence == 184532
    assert summary.contract_value_pence == 2_000_000
    gamma = world.c2.suppliers.get(name="Gamma Ltd")
    beta = world.c2.suppliers.get(name="Beta Ltd")
    link_gamma, _ = services.supplier_link_create(contract=world.c2, supplier=gamma, user=None)
    link_beta, _ = services.supplier_link_create(contract=world.c2, supplier=beta, user=None)
    assert len(selectors.supplier_link_view(link_gamma).commitments) == 1
    assert selectors.supplier_link_view(link_beta).commitments == []


def test_the_per_pound_headline_leaves_out_frameworks_and_says_so(
    world: World, client: Client
) -> None:
    """A framework's value is a ceiling on call-offs: counted, one £3.5bn system would make
    the council's social value read as nothing per £1."""
    Contract.objects.filter(pk=world.c2.pk).update(
        framework=True, awarded_value=Decimal("3500000000.00")
    )
    totals = selectors.social_value_totals()
    # The £ totals still hold every commitment; only the per £1 figures leave c2 out.
    assert totals.committed_pence == 180000 + 200000 + 129625 + 80000
    assert totals.frameworks_left_out == 1
    assert totals.frameworks_value_pence == 350_000_000_000
    assert totals.contract_value_pence == 2_000_000  # c1 alone
    c1_committed = 180000 + 200000 + 129625
    assert totals.committed_pence_per_pound == round(Decimal(c1_committed * 100) / 2_000_000, 2)
    c1_delivered = 54000 + 36000 + 60000 + 34532  # every verified return is C1's
    assert totals.delivered_pence_per_pound == round(Decimal(c1_delivered * 100) / 2_000_000, 2)

    client.force_login(world.officer)
    page = " ".join(client.get("/social-value/").content.decode().split())
    assert "not counting 1 framework or dynamic purchasing system (£3,500,000,000)" in page
    assert "Frameworks and dynamic purchasing systems are left out of this figure" in page
