"""manage.py load_demo_contracts [--seed N]

A realistic demo register for the ledger's own suppliers, written in the register layout and
imported through the real import (``contracts.services.register_import``): five years of
awards, a few each month, a large framework awarded to over a hundred suppliers, contracts
ending in the next two years (re-procurement started for about half of those ending within
18 months: not in the layout, so set after the import), and the last complete quarter
published. Called by ``load_demo``; does nothing if the
register already has contracts.
"""

import csv
import random
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from contracts.layout import COLUMNS
from contracts.models import Category, Contract, Route
from contracts.selectors import forward_plan_contracts
from contracts.services import contract_update, publication_build, register_import
from portal.locality import normalise_postcode
from portal.periods import Quarter, financial_year_of
from spend.models import SupplierSite

DEPARTMENTS: dict[Category, tuple[str, ...]] = {
    Category.CARE: ("Adult Services", "Public Health", "Children's Services"),
    Category.CONSTRUCTION: ("Highways", "Property Services", "Waste Management"),
    Category.DIGITAL: ("Digital Services",),
    Category.CORPORATE: ("Finance", "Legal and Democratic Services", "Education"),
}
SUBJECTS: dict[Category, tuple[str, ...]] = {
    Category.CARE: (
        "Home care",
        "Supported living",
        "Residential care",
        "Substance misuse services",
        "Children's placements",
        "Sexual health services",
    ),
    Category.CONSTRUCTION: (
        "Highway resurfacing",
        "School extension",
        "Bridge maintenance",
        "Waste haulage",
        "Facilities management",
    ),
    Category.DIGITAL: ("Software licences", "Network services", "Laptops and devices"),
    Category.CORPORATE: (
        "Agency staff",
        "Legal advice",
        "Print and post",
        "School meals provisions",
        "Energy supply",
    ),
}
CPV: dict[Category, str] = {
    Category.CARE: "85000000",
    Category.CONSTRUCTION: "45000000",
    Category.DIGITAL: "72000000",
    Category.CORPORATE: "79000000",
}
ROUTES = (
    Route.OPEN,
    Route.OPEN,
    Route.RESTRICTED,
    Route.CALL_OFF,
    Route.QUOTATION,
    Route.DIRECT_AWARD,
    Route.PSR,
)


class Command(BaseCommand):
    help = "Load a realistic demo contract register for the demo ledger's suppliers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--years", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        if Contract.objects.exists():
            self.stdout.write("The register already has contracts; demo register not loaded.")
            return
        sites = list(
            SupplierSite.objects.select_related("supplier").order_by(
                "supplier__supplier_number", "pk"
            )[:3000]
        )
        if not sites:
            self.stdout.write("No suppliers in the ledger yet; demo register not loaded.")
            return
        rng = random.Random(options["seed"])  # noqa: S311 (demo data, not secrets)
        today = timezone.localdate()
        rows = list(_rows(rng, sites, today, options["years"]))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo-register.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(rows)
            result = register_import(path=path, name="Demo register")
        started = _start_reprocurements(rng, today)
        quarter = Quarter.previous(today)
        publication_build(quarter=quarter, user=None)
        self.stdout.write(
            f"Demo register: {result.as_dict()}; re-procurement started for {started} "
            f"contracts ending soon; published {quarter.code}"
        )


def _start_reprocurements(rng: random.Random, today: date) -> int:
    """Work to replace about half the contracts ending in the next 18 months has begun, the
    sooner they end the likelier (the forward plan shows which have not)."""
    soon = today + timedelta(days=548)
    started = 0
    for contract in forward_plan_contracts(today).filter(end_date__lte=soon):
        months_left = ((contract.end_date or soon) - today).days / 30
        if rng.random() < 0.8 - months_left * 0.03:
            contract_update(contract=contract, data={"reprocurement_started": True}, user=None)
            started += 1
    return started


def _rows(rng: random.Random, sites: list[SupplierSite], today: date, years: int) -> Any:
    fy = financial_year_of(today)
    first = date(fy - years + 1, 4, 1)
    month = first
    number = 0
    framework_month = date(fy - 1, 8, 1)
    while month <= today:
        awards = rng.randint(3, 8)
        for _ in range(awards):
            number += 1
            category = rng.choice(list(DEPARTMENTS))
            award = month + timedelta(days=rng.randint(0, 26))
            if award > today:
                continue
            start = award + timedelta(days=rng.randint(14, 60))
            end = start + timedelta(days=365 * rng.randint(1, 5) - 1)
            value = Decimal(int(rng.lognormvariate(12.5, 1.3))) + Decimal("0.00")
            suppliers = rng.sample(sites, 1 if rng.random() < 0.8 else rng.randint(2, 5))
            yield from _contract_rows(
                rng,
                f"LCC-{award:%Y%m}-{number:03d}",
                category,
                award,
                start,
                end,
                value,
                suppliers,
                framework=False,
            )
        if month == framework_month:
            number += 1
            award = month + timedelta(days=10)
            yield from _contract_rows(
                rng,
                f"LCC-{award:%Y%m}-{number:03d}",
                Category.CARE,
                award,
                award + timedelta(days=21),
                award + timedelta(days=4 * 365),
                Decimal("3500000000.00"),
                rng.sample(sites, 124),
                framework=True,
                title="Living Well at Home dynamic purchasing system",
            )
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _contract_rows(
    rng: random.Random,
    reference: str,
    category: Category,
    award: date,
    start: date,
    end: date,
    value: Decimal,
    suppliers: list[SupplierSite],
    *,
    framework: bool,
    title: str = "",
) -> Any:
    subject = title or rng.choice(SUBJECTS[category])
    department = rng.choice(DEPARTMENTS[category])
    route = Route.OPEN if framework else rng.choice(ROUTES)
    for site in suppliers:
        supplier = site.supplier
        yield {
            "Reference": reference,
            "Title": subject,
            "Description": f"{subject} for {department.lower()}",
            "Department": department,
            "Category": category,
            "Procurement route": route,
            "CPV code": CPV[category],
            "Supplier name": supplier.name,
            "Supplier number": supplier.supplier_number,
            "Company number": "",
            "Charity number": "",
            # A tender gives a full postcode or none: sites with junk or a bare district go
            # in without one.
            "Supplier postcode": site.postcode if " " in normalise_postcode(site.postcode) else "",
            "SME": "Yes" if rng.random() < 0.55 else "No",
            "VCFS": "Yes" if rng.random() < 0.08 else "No",
            "Award date": award.isoformat(),
            "Start date": start.isoformat(),
            "End date": end.isoformat(),
            "Review date": "",
            "Awarded value": f"{value:.2f}",
            "VAT not recoverable": "0.00",
            "Framework": "Yes" if framework else "No",
        }
