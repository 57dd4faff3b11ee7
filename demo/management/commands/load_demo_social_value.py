from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.social_value import demo_social_value_load


class Command(BaseCommand):
    help = (
        "Demo social value: commitments and quarterly returns on existing contracts "
        "(skips quietly when there are none)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--contracts",
            type=int,
            default=40,
            help="How many of the largest running contracts to use.",
        )
        parser.add_argument("--seed", type=int, default=20240401)

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = demo_social_value_load(seed=options["seed"], contracts=options["contracts"])
        if loaded.contracts:
            self.stdout.write(
                f"Social value demo: {loaded.commitments} commitments and "
                f"{loaded.returns} returns on {loaded.contracts} contracts."
            )
