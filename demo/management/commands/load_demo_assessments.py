"""manage.py load_demo_assessments [--seed N]

Demo self-assessment rounds through the real services: the council's two rounds of each
framework a year apart (the later one a little further on), and six other councils'
submitted rounds so the peer view has enough organisations to show. Called by
``load_demo``; does nothing if any round exists.
"""

import random
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from diagnostics import services
from diagnostics.models import Assessment, Framework, Organisation
from diagnostics.selectors import frameworks_current

PEERS = (
    "Cumbria County Council",
    "North Yorkshire Council",
    "Derbyshire County Council",
    "Staffordshire County Council",
    "Kent County Council",
    "Norfolk County Council",
)


class Command(BaseCommand):
    help = "Load demo self-assessment rounds for the council and six peers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2022)

    def handle(self, *args: Any, **options: Any) -> None:
        if Assessment.objects.exists():
            self.stdout.write("Self-assessments exist already; demo rounds not loaded.")
            return
        rng = random.Random(options["seed"])  # noqa: S311 (demo data, not secrets)
        host = services.organisation_host_ensure()
        peers = [
            services.organisation_for_invitee(name=name, kind=Organisation.Kind.COUNCIL)
            for name in PEERS
        ]
        rounds = 0
        for framework in frameworks_current():
            for years_ago, lift in ((1, 0), (0, 1)):
                _round(framework, host, rng, base=2 + lift, years_ago=years_ago)
                rounds += 1
            for peer in peers:
                _round(framework, peer, rng, base=rng.randint(1, 3), years_ago=0)
                rounds += 1
        self.stdout.write(f"Demo self-assessments: {rounds} submitted rounds.")


def _round(
    framework: Framework,
    organisation: Organisation,
    rng: random.Random,
    *,
    base: int,
    years_ago: int,
) -> None:
    spec = framework.spec
    when = timezone.now() - timedelta(days=365 * years_ago)
    assessment = services.assessment_start(
        framework=framework, organisation=organisation, round_label=f"{when:%B %Y} round"
    )
    answers: dict[str, tuple[str | None, str]] = {}
    for _theme, question in spec.questions():
        if rng.random() < 0.08:
            continue  # a few questions left unanswered, as in real rounds
        score = max(1, min(len(spec.levels), base + rng.choice((-1, 0, 0, 1))))
        answers[question.code] = (spec.levels[score - 1].code, "")
    services.answer_save(assessment=assessment, answers=answers)
    services.assessment_submit(assessment=assessment)
    Assessment.objects.filter(pk=assessment.pk).update(
        submitted_at=when, created_at=when, round_date=when.date()
    )
