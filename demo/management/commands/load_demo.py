"""manage.py load_demo [--if-empty] [--years 5] [--payments-per-month 2000]

Generates five financial years of realistic R12 and Fusion extracts (about 7,000 suppliers, a
long tail, credit notes, voided payments, a missing month, every quirk of real extracts) and
loads them through the real import pipeline, as an administrator's upload would.
"""

import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser

from demo.companies_house import write_companies_house_extract
from demo.extracts import GeneratorConfig, build_suppliers, generate_extracts
from spend import services
from spend.models import ImportBatch, Payment
from suppliers import quality


class Command(BaseCommand):
    help = "Generate realistic demo extracts and import them through the real pipeline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the ledger already has payments."
        )
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--suppliers", type=int, default=7000)
        parser.add_argument("--payments-per-month", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=20240401)
        parser.add_argument("--keep", type=Path, help="Write the extracts here and keep them.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Payment.objects.exists():
            self.stdout.write("The ledger already has payments; demo data not loaded.")
            return
        config = GeneratorConfig(
            seed=options["seed"],
            years=options["years"],
            suppliers=options["suppliers"],
            payments_per_month=options["payments_per_month"],
        )
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="portal-demo-") as scratch:
            folder = options["keep"] or Path(scratch)
            generated = generate_extracts(folder, config)
            self.stdout.write(f"Generated {len(generated.files)} extracts in {folder}")
            batches = services.import_paths(paths=[path for path, _ in generated.files])
        loaded = sum(b.status == ImportBatch.Status.LOADED for b in batches)
        added = sum(b.rows_added for b in batches)
        self.stdout.write(
            f"Imported {loaded} of {len(batches)} extracts: {added:,} payments "
            f"in {time.monotonic() - started:.0f} s"
        )
        for batch in batches:
            if batch.status not in (ImportBatch.Status.LOADED, ImportBatch.Status.DUPLICATE):
                self.stderr.write(f"{batch.file_name}: {batch.error}")
        with tempfile.TemporaryDirectory(prefix="portal-demo-ch-") as scratch:
            path = Path(scratch) / "BasicCompanyData-demo.csv"
            rows = write_companies_house_extract(path, build_suppliers(config), config.seed)
            ch_import = quality.companies_house_paths(path=path)
            self.stdout.write(
                f"Companies House demo extract: {rows:,} companies, "
                f"{ch_import.matched_by_number + ch_import.matched_by_name:,} suppliers matched"
            )
        extra = [
            name
            for name in ("load_demo_contracts", "load_demo_social_value", "load_demo_assessments")
            if _command_exists(name)
        ]
        for name in extra:
            call_command(name, stdout=self.stdout)


def _command_exists(name: str) -> bool:
    return name in get_commands()
