"""mutmut's hook file (mutmut imports it from the directory it runs in): with
``MUTATION_SAMPLE=K`` the mutants of lines outside the sample, and with ``MUTATION_LINES=a-b,c-d``
those outside the line ranges, are skipped before mutmut writes them, so they cost nothing and
are reported as not reached (tests/mutation.py)."""

from __future__ import annotations

import hashlib
import os
from typing import Any


def sample_every() -> int:
    """MUTATION_SAMPLE=K tries the mutants of about one line in K (1: every line)."""
    return max(1, int(os.environ.get("MUTATION_SAMPLE", "1")))


def in_sample(module: str, line: int, every: int) -> bool:
    """Whether a line's (1-based) mutants are tried: a fixed pseudo-random choice of lines (the
    same on every run), so a sample spreads over the whole module, not its first functions."""
    digest = hashlib.sha256(f"{module}:{line}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % every == 0


def line_ranges() -> list[tuple[int, int]]:
    """MUTATION_LINES=a-b,c-d tries only the mutants of those (1-based, inclusive) lines, so a
    long module can be run in parts, on several machines or sessions (empty: every line)."""
    ranges = []
    for part in os.environ.get("MUTATION_LINES", "").split(","):
        if part.strip():
            first, _, last = part.partition("-")
            ranges.append((int(first), int(last or first)))
    return ranges


def tried(module: str, line: int) -> bool:
    """Whether a (1-based) line's mutants are tried under MUTATION_SAMPLE and MUTATION_LINES."""
    every = sample_every()
    if every > 1 and not in_sample(module, line, every):
        return False
    ranges = line_ranges()
    return not ranges or any(first <= line <= last for first, last in ranges)


def pre_mutation(context: Any) -> None:
    module = os.path.relpath(context.filename)
    # mutmut counts lines from 0.
    if not tried(module, context.current_line_index + 1):
        context.skip = True
