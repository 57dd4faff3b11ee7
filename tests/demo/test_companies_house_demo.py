"""The demo's Companies House extract gives the supplier size and head-office pages
something to show (not 100% Unknown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.companies_house import write_companies_house_extract
from demo.extracts import GeneratorConfig, build_suppliers, generate_extracts
from spend import services
from suppliers import quality, selectors

pytestmark = pytest.mark.django_db


def test_the_demo_extract_matches_most_suppliers_by_name_and_postcode(tmp_path: Path) -> None:
    config = GeneratorConfig(seed=5, suppliers=300, payments_per_month=60, years=2)
    generated = generate_extracts(tmp_path, config)
    services.import_paths(paths=[p for p, _ in generated.files])
    path = tmp_path / "BasicCompanyData-demo.csv"
    rows = write_companies_house_extract(path, build_suppliers(config), config.seed)
    assert 100 < rows < 300
    quality.companies_house_paths(path=path)
    coverage = selectors.companies_house_coverage()
    assert coverage["matched"] >= rows * 0.8  # written at the paid site, so they match
    fy = selectors.summary_years()[0]
    bands, _sme, total = selectors.spend_by_size(fy)
    by_band = {row.band: row.total_pence for row in bands}
    assert total > 0
    assert by_band["unknown"] < total * 0.6
    assert by_band["large"] > 0
    assert by_band["micro"] + by_band["small"] > 0
    rows_by_office, office_total = selectors.locality_by_head_office(fy)
    office = {row.locality: row.office_pence for row in rows_by_office}
    assert office["unknown"] < office_total
