"""When an import refreshes the planner's statistics on suppliers and sites (decision 0009):
at once when they were counted empty, else only once the file has added a tenth of what
they were counted at (and at least a thousand), not after every chunk that adds some."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spend.ingest.load import analyse_due


@pytest.mark.parametrize(
    ("added", "counted", "due"),
    [
        (0, 0, False),  # nothing new: nothing to count
        (1, 0, True),  # tables counted empty (or never): the planner must not go on thinking so
        (1, -1, True),
        (999, 5_000, False),  # at least a thousand
        (1_000, 5_000, True),
        (9_999, 100_000, False),  # and a tenth of what was counted
        (10_000, 100_000, True),
        (10_001, 100_000, True),
    ],
)
def test_statistics_are_taken_again_when_the_file_has_added_enough(
    added: int, counted: int, due: bool
) -> None:
    assert analyse_due(added, counted) is due


def test_a_parsing_process_starts_without_celery_or_the_orm() -> None:
    # What `python -m spend.ingest.chunks` imports before its first part: the parser, the
    # staging code and psycopg. Celery (via portal/__init__.py) and the ORM (via portal.money)
    # took it from 0.15 s to 0.40 s to start, paid again by every file of a command.
    base = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, psycopg, spend.ingest.chunks, spend.ingest.staging; "
            "print(' '.join(sorted(sys.modules)))",
        ],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "spend.ingest.parse" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in {"celery", "kombu"} or m == "django.db.models"]
    assert heavy == []
