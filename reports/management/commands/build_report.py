"""manage.py build_report committee --fy 2023 --output FILE.pdf
manage.py build_report register --quarter 2024Q1 --output DIR

Runs the same services as the report centre's jobs, in this process.
"""

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts.services import publication_build
from portal.periods import Quarter
from reports import committee as reports


class Command(BaseCommand):
    help = "Build the committee scrutiny report (PDF) or publish a quarter's contract register."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=["committee", "register"])
        parser.add_argument(
            "--fy",
            type=int,
            help="Financial year by its first year: 2023 is 2023/24 (committee report).",
        )
        parser.add_argument("--quarter", help="Calendar quarter such as 2024Q1 (register).")
        parser.add_argument(
            "--output",
            type=Path,
            required=True,
            help="The PDF file (committee) or a folder for the four files (register).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        if options["report"] == "committee":
            if options["fy"] is None:
                raise CommandError("Say which financial year: --fy 2023 for 2023/24.")
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(reports.render_committee_report(options["fy"]))
            self.stdout.write(f"Wrote {output} ({output.stat().st_size:,} bytes)")
            return
        try:
            quarter = Quarter.parse(options["quarter"] or "")
        except ValueError as problem:
            raise CommandError(f"{problem} Give the quarter as 2024Q1.") from None
        publication = publication_build(quarter=quarter, user=None)
        output.mkdir(parents=True, exist_ok=True)
        for kind in ("pdf", "xlsx", "csv", "ocds"):
            stored = getattr(publication, kind)
            target = output / Path(stored.name).name
            with stored.open("rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            self.stdout.write(f"Wrote {target}")
