"""The demo register loads through the real import for the demo ledger's suppliers."""

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from contracts import selectors
from contracts.models import Contract, Publication
from demo.extracts import GeneratorConfig, generate_extracts
from spend import services

pytestmark = pytest.mark.django_db


def test_demo_register_for_the_ledger_suppliers(tmp_path: Path) -> None:
    config = GeneratorConfig(seed=5, suppliers=300, payments_per_month=60, years=2)
    generated = generate_extracts(tmp_path, config)
    services.import_paths(paths=[p for p, _ in generated.files])
    call_command("load_demo_contracts", stdout=StringIO())
    assert Contract.objects.count() > 50
    assert Publication.objects.filter(status="published").count() == 1
    framework = max(Contract.objects.all(), key=lambda c: c.suppliers.count())
    # With its care providers only: some 20 in this small ledger (124 in the full demo,
    # tests/demo/test_demo_contracts.py).
    assert framework.suppliers.count() >= 15
    fy = (
        framework.award_date.year
        if framework.award_date.month >= 4
        else framework.award_date.year - 1
    )
    monitoring = selectors.award_monitoring(fy)
    assert any(m.footnote for m in monitoring.months)
    # The forward plan: every quarter of the next 24 months, each contract in the quarter its
    # end date falls in, and every registered contract ending in the window listed once.
    today = dt.date.today()
    plan = selectors.forward_plan(today)
    window_end = dt.date(today.year + 2, today.month, min(today.day, 28))
    assert plan[0].quarter.start <= today <= plan[0].quarter.end
    assert plan[-1].quarter.start <= window_end
    listed = [c.reference for q in plan for c in q.contracts]
    for quarter in plan:
        for contract in quarter.contracts:
            assert contract.end_date is not None
            assert quarter.quarter.start <= contract.end_date <= quarter.quarter.end
            assert today <= contract.end_date
        assert quarter.value == sum((c.awarded_value for c in quarter.contracts), Decimal(0))
    ending = Contract.objects.filter(
        status=Contract.Status.REGISTERED,
        ended_on__isnull=True,
        end_date__gte=today,
        end_date__lte=window_end,
    )
    assert listed
    assert len(listed) == len(set(listed))
    assert set(ending.values_list("reference", flat=True)) <= set(listed)
    # Some re-procurements have started, not all: the forward plan shows both.
    soon = ending.filter(end_date__lte=today + dt.timedelta(days=548))
    started = soon.filter(reprocurement_started=True).count()
    assert 0 < started < soon.count()
    # Running it again changes nothing.
    before = Contract.objects.count()
    call_command("load_demo_contracts", stdout=StringIO())
    assert Contract.objects.count() == before
