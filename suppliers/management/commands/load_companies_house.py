"""manage.py load_companies_house FILE

Matches a Companies House free company data file (BasicCompanyDataAsOneFile, CSV or the zip
it comes in) to suppliers, with the same service as the upload page, in this process.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from suppliers import quality


class Command(BaseCommand):
    help = "Enrich suppliers from a Companies House company data file (CSV or zip)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        ch_import = quality.companies_house_paths(path=path)
        job = ch_import.job
        if job is not None and job.status != job.Status.SUCCEEDED:
            raise CommandError(job.error or ch_import.error or f"The job ended {job.status}.")
        self.stdout.write(
            f"{ch_import.file_name}: {ch_import.rows_read:,} companies read, "
            f"{ch_import.rows_staged:,} staged, {ch_import.matched_by_number:,} suppliers "
            f"matched by company number, {ch_import.matched_by_name:,} by name and postcode"
        )
