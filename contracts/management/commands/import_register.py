"""manage.py import_register FILE: a register (CSV or XLSX, the layout or a council's own
headings), or an OCDS release or record package (JSON)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts import services
from contracts.layout import LayoutError


class Command(BaseCommand):
    help = (
        "Import a contract register file: CSV or XLSX (the register layout or a council's "
        "own headings), or an OCDS release or record package (.json) from Contracts Finder, "
        "Find a Tender or this portal. All or nothing; importing again updates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            result = services.register_import(path=path)
        except LayoutError as problem:
            raise CommandError(
                f"{path.name} was not imported, and nothing in it was saved: {problem}"
            ) from None
        self.stdout.write(
            f"{path.name}: {result.rows} rows; contracts {result.contracts_created} new, "
            f"{result.contracts_updated} updated; suppliers {result.suppliers_created} new, "
            f"{result.suppliers_updated} updated."
        )
        for reason in result.skipped:
            self.stdout.write(f"  skipped {reason}")
        for flag in result.flagged:
            self.stdout.write(f"  draft, to complete: {flag}")
        for note in result.notes:
            self.stdout.write(f"  note: {note}")
