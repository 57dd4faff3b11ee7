"""manage.py import_spend FILE... [--format auto|r12|fusion|transparency]

Runs the same import service as the upload page, in this process, one transaction per file.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spend import services
from spend.models import ImportBatch


class Command(BaseCommand):
    help = "Import Oracle R12/Fusion paid-invoice extracts or published spend files."
    # The system checks (URL configuration, templates, models) belong to deploying, not to
    # loading a file: they cost a monthly file's import a tenth of its time (decision 0009).
    # `manage.py check --deploy` runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--format", default="auto", choices=["auto", "r12", "fusion", "transparency"]
        )
        parser.add_argument("--replaces", type=int, metavar="BATCH", help="the import it replaces")
        parser.add_argument(
            "--replaces-months",
            action="store_true",
            help="the file replaces every payment of the months it covers",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = [str(p) for p in options["files"] if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        replaces = None
        if options["replaces"]:
            replaces = ImportBatch.objects.filter(pk=options["replaces"]).first()
            if replaces is None:
                raise CommandError(f"No import {options['replaces']}.")
        batches = services.import_paths(
            paths=options["files"],
            layout=options["format"],
            replaces=replaces,
            replaces_months=options["replaces_months"],
        )
        failed = 0
        for batch in batches:
            if batch.status == ImportBatch.Status.LOADED:
                self.stdout.write(
                    f"{batch.file_name}: {batch.layout}, {batch.rows_read:,} rows read, "
                    f"{batch.rows_added:,} added, {batch.rows_already_present:,} already "
                    f"present, {batch.rows_not_spend:,} not spend, "
                    f"{batch.rows_skipped:,} skipped"
                )
            elif batch.status == ImportBatch.Status.DUPLICATE:
                self.stdout.write(
                    f"{batch.file_name}: already imported (batch "
                    f"{batch.duplicate_of_id}); nothing changed"
                )
            elif batch.status == ImportBatch.Status.HELD:
                failed += 1
                self.stderr.write(
                    f"{batch.file_name}: held, nothing imported: {batch.warning} Decide with "
                    f"manage.py withdraw_spend {batch.pk} --decide import|months"
                )
            else:
                failed += 1
                self.stderr.write(f"{batch.file_name}: {batch.get_status_display()}: {batch.error}")
        if failed:
            raise CommandError(f"{failed} of {len(batches)} file(s) were not imported.")
