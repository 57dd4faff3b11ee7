"""mutmut's hook file (mutmut imports it from the directory it runs in): with
``MUTATION_SAMPLE=K`` the mutants of lines outside the sample are skipped before mutmut writes
them, so they cost nothing and are reported as not reached (tests/mutation.py)."""

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


def pre_mutation(context: Any) -> None:
    every = sample_every()
    module = os.path.relpath(context.filename)
    # mutmut counts lines from 0.
    if every > 1 and not in_sample(module, context.current_line_index + 1, every):
        context.skip = True
