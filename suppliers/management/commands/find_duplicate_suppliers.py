"""manage.py find_duplicate_suppliers [--threshold 0.6]

Refreshes the duplicate candidate pairs (the same service as the page's button).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.jobs import JobFailed
from suppliers import quality


class Command(BaseCommand):
    help = "Find suppliers that are probably the same organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threshold",
            type=float,
            default=quality.SIMILARITY_THRESHOLD,
            help="trigram similarity of names for a candidate pair (0-1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = quality.duplicates_refresh(threshold=options["threshold"])
        except JobFailed as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(f"{count:,} possible duplicate pairs")
