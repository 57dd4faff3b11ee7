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
from collections import defaultdict
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
from demo.extracts import main_account
from portal.locality import normalise_postcode
from portal.periods import Quarter, financial_year_of
from spend.models import SupplierSite

# What the council buys from each kind of supplier, by the account the ledger pays it from
# (``demo.extracts.main_account``, read from its name): a waste company's contract is about
# waste, a care home's about residential care. (category, department, titles, CPV code)
WORK: dict[str, tuple[Category, str, tuple[str, ...], str]] = {
    "52100": (
        Category.CONSTRUCTION,
        "Waste Management",
        ("Household waste recycling centres", "Waste haulage", "Waste disposal and recycling"),
        "90500000",
    ),
    "55200": (
        Category.CARE,
        "Adult Services",
        ("Residential care", "Nursing care beds", "Respite care"),
        "85144000",
    ),
    "56100": (
        Category.CARE,
        "Children's Services",
        ("Children's placements", "Foster care placements", "Children's residential care"),
        "85311300",
    ),
    "55100": (
        Category.CARE,
        "Adult Services",
        ("Home care", "Supported living", "Day opportunities"),
        "85312000",
    ),
    "54800": (
        Category.CORPORATE,
        "Education",
        ("Home to school transport", "Special educational needs transport", "Passenger transport"),
        "60130000",
    ),
    "50900": (
        Category.CORPORATE,
        "Finance",
        ("Agency staff", "Interim and temporary staff", "Social work agency staff"),
        "79620000",
    ),
    "53100": (
        Category.CONSTRUCTION,
        "Highways",
        ("Highway resurfacing", "School extension", "Bridge maintenance", "Building repairs"),
        "45000000",
    ),
    "53700": (
        Category.DIGITAL,
        "Digital Services",
        ("Software licences", "Network services", "Laptops and devices"),
        "72000000",
    ),
    "52500": (Category.CORPORATE, "Finance", ("Print and post", "Printing services"), "79800000"),
    "52700": (
        Category.CORPORATE,
        "Education",
        ("School meals provisions", "Catering services"),
        "55520000",
    ),
    "54300": (
        Category.CARE,
        "Public Health",
        ("Substance misuse services", "Sexual health services", "Stop smoking services"),
        "85100000",
    ),
}
# Suppliers paid for professional services: the work their name says, else advice.
PROFESSIONAL: tuple[tuple[str, str], ...] = (
    ("CLEANING", "Office cleaning"),
    ("TRAINING", "Staff training"),
    ("CONSULTING", "Consultancy support"),
    ("SUPPLIES", "Office supplies"),
)
PROFESSIONAL_DEFAULT = ("Professional advice", "Legal advice")
FRAMEWORK_ACCOUNTS = ("55100", "55200")  # the care suppliers the home care system is with
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


def supplier_kind(name: str) -> str:
    """The kind of work a supplier of this name does: its main account, or for professional
    services the word of its name that says which."""
    account = main_account(name)
    if account in WORK:
        return account
    padded = f" {name.upper()} "
    return next((word for word, _ in PROFESSIONAL if word in padded), "")


def contract_work(name: str, rng: random.Random) -> tuple[Category, str, str, str]:
    """(category, department, title, CPV code) of a contract with a supplier of this name:
    the work the ledger pays it for."""
    kind = supplier_kind(name)
    if kind in WORK:
        category, department, titles, cpv = WORK[kind]
        return category, department, rng.choice(titles), cpv
    title = dict(PROFESSIONAL).get(kind) or rng.choice(PROFESSIONAL_DEFAULT)
    return Category.CORPORATE, "Finance", title, "79000000"


def _rows(rng: random.Random, sites: list[SupplierSite], today: date, years: int) -> Any:
    fy = financial_year_of(today)
    first = date(fy - years + 1, 4, 1)
    month = first
    number = 0
    framework_month = date(fy - 1, 8, 1)
    # One site per supplier, grouped by the work they do: a contract with several suppliers
    # is with suppliers of one kind.
    by_kind: dict[str, list[SupplierSite]] = defaultdict(list)
    seen: set[int] = set()
    for site in sites:
        if site.supplier_id not in seen:
            seen.add(site.supplier_id)
            by_kind[supplier_kind(site.supplier.name)].append(site)
    while month <= today:
        awards = rng.randint(3, 8)
        for _ in range(awards):
            number += 1
            award = month + timedelta(days=rng.randint(0, 26))
            if award > today:
                continue
            start = award + timedelta(days=rng.randint(14, 60))
            end = start + timedelta(days=365 * rng.randint(1, 5) - 1)
            value = Decimal(int(rng.lognormvariate(12.5, 1.3))) + Decimal("0.00")
            lead = rng.choice(sites)
            work = contract_work(lead.supplier.name, rng)
            suppliers = [lead]
            if rng.random() >= 0.8:
                alike = by_kind[supplier_kind(lead.supplier.name)]
                others = [s for s in alike if s.supplier_id != lead.supplier_id]
                suppliers += rng.sample(others, min(len(others), rng.randint(1, 4)))
            yield from _contract_rows(
                rng,
                f"LCC-{award:%Y%m}-{number:03d}",
                work,
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
            care = [s for account in FRAMEWORK_ACCOUNTS for s in by_kind[account]]
            yield from _contract_rows(
                rng,
                f"LCC-{award:%Y%m}-{number:03d}",
                (
                    Category.CARE,
                    "Adult Services",
                    "Living Well at Home dynamic purchasing system",
                    "85312000",
                ),
                award,
                award + timedelta(days=21),
                award + timedelta(days=4 * 365),
                Decimal("3500000000.00"),
                rng.sample(care, min(len(care), 124)),
                framework=True,
            )
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _contract_rows(
    rng: random.Random,
    reference: str,
    work: tuple[Category, str, str, str],
    award: date,
    start: date,
    end: date,
    value: Decimal,
    suppliers: list[SupplierSite],
    *,
    framework: bool,
) -> Any:
    category, department, subject, cpv = work
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
            "CPV code": cpv,
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
