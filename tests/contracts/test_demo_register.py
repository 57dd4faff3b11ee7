"""The demo register loads through the real import for the demo ledger's suppliers."""

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from contracts import selectors
from contracts.models import Contract, Publication
from spend import services
from spend.ingest.generate import GeneratorConfig, generate_extracts

pytestmark = pytest.mark.django_db


def test_demo_register_for_the_ledger_suppliers(tmp_path: Path) -> None:
    config = GeneratorConfig(seed=5, suppliers=300, payments_per_month=60, years=2)
    generated = generate_extracts(tmp_path, config)
    services.import_paths(paths=[p for p, _ in generated.files])
    call_command("load_demo_contracts", stdout=StringIO())
    assert Contract.objects.count() > 50
    assert Publication.objects.filter(status="published").count() == 1
    framework = max(Contract.objects.all(), key=lambda c: c.suppliers.count())
    assert framework.suppliers.count() > 100
    fy = (
        framework.award_date.year
        if framework.award_date.month >= 4
        else framework.award_date.year - 1
    )
    monitoring = selectors.award_monitoring(fy)
    assert any(m.footnote for m in monitoring.months)
    assert selectors.forward_plan(dt.date.today())
    # Running it again changes nothing.
    before = Contract.objects.count()
    call_command("load_demo_contracts", stdout=StringIO())
    assert Contract.objects.count() == before
