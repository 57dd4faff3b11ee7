"""When an import refreshes the planner's statistics on suppliers and sites (decision 0009):
at once when they were counted empty, else only once the file has added a tenth of what
they were counted at (and at least a thousand), not after every chunk that adds some."""

from __future__ import annotations

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
