"""manage.py withdraw_spend BATCH [--reason TEXT] | --undo WITHDRAWAL | --decide BATCH import|months

The same services as the import page: withdraw a loaded batch, undo a withdrawal, or decide
what to do with a held (doubled-looking) file and import it here.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spend import services
from spend.models import ImportBatch, Withdrawal


class Command(BaseCommand):
    help = "Withdraw an imported spend file, undo a withdrawal, or decide on a held file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch", nargs="?", type=int, help="the import (batch) number")
        parser.add_argument("--reason", default="")
        parser.add_argument("--undo", type=int, metavar="WITHDRAWAL")
        parser.add_argument("--decide", choices=["import", "months"])

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["undo"]:
                withdrawal = Withdrawal.objects.get(pk=options["undo"])
                services.withdrawal_undo(withdrawal=withdrawal, user=None)
                self.stdout.write(f"Withdrawal {withdrawal.pk} undone.")
                return
            if options["batch"] is None:
                raise CommandError("Give the import (batch) number, or --undo WITHDRAWAL.")
            batch = ImportBatch.objects.get(pk=options["batch"])
            if options["decide"]:
                services.batch_decide(batch=batch, decision=options["decide"], user=None)
                batch = services.batch_run_here(batch=batch, user=None)
                self.stdout.write(f"{batch.file_name}: {batch.get_status_display()}")
                return
            withdrawal = services.batch_withdraw(batch=batch, user=None, reason=options["reason"])
            self.stdout.write(
                f"{batch.file_name}: {withdrawal.payment_count:,} payments withdrawn "
                f"(withdrawal {withdrawal.pk}; undo with --undo {withdrawal.pk})."
            )
        except (ImportBatch.DoesNotExist, Withdrawal.DoesNotExist):
            raise CommandError("No such import or withdrawal.") from None
        except services.WithdrawRefused as refusal:
            raise CommandError(str(refusal)) from None
