"""Copy the framework files (diagnostics/frameworks/*.json) into the database.

`migrate` does this too; run it after adding a framework file without a migration.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diagnostics.framework_files import FrameworkFileError
from diagnostics.services import frameworks_sync


class Command(BaseCommand):
    help = "Load or update the self-assessment frameworks from their JSON files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Folder of <slug>.v<version>.json files (default: the shipped ones).",
        )

    def handle(self, *args: Any, directory: Path | None = None, **options: Any) -> None:
        try:
            report = frameworks_sync(directory=directory)
        except FrameworkFileError as problem:
            raise CommandError(str(problem)) from problem
        for label, keys in (
            ("Added", report.created),
            ("Updated", report.updated),
            ("Unchanged", report.unchanged),
            ("Kept (already answered; add a new version)", report.kept),
        ):
            if keys:
                self.stdout.write(f"{label}: {', '.join(keys)}")
