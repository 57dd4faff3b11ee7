"""Mutation check of the rule modules and selectors (``make mutation``; not run in CI).

mutmut changes one thing at a time in a module (``<`` to ``<=``, ``4`` to ``5``, a constant,
a dropped call) and runs the tests that cover it; a mutant the tests do not notice "survived"
and shows a rule no test pins down. Modules are done one at a time, each against its own
tests only, so it can run on a shared machine (one test process at a time):

    make mutation                                   # every module below
    make mutation MODULES="portal/formatting.py"    # some of them
    MUTATION_MINUTES=20 make mutation               # stop each module after 20 minutes

Prints killed / survived / timed out / not reached per module and the score (killed and
timed out, of those tried); ``.venv/bin/mutmut show N`` after a module shows a survivor.
It changes the module's file while it runs: run no other tests in this tree meanwhile.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = f"{sys.executable} -m pytest -x -q -p no:cacheprovider --reuse-db"

# Each module with the tests that hold its rules (fast ones: no browser, no worker).
MODULES: dict[str, list[str]] = {
    "portal/formatting.py": ["tests/portal/test_figure_rules.py"],
    "portal/exports.py": ["tests/portal/test_figure_rules.py"],
    "portal/locality.py": ["tests/portal/test_locality.py", "tests/portal/test_figure_rules.py"],
    "portal/periods.py": ["tests/contracts/test_rules.py", "tests/portal/test_figure_rules.py"],
    "socialvalue/periods.py": ["tests/portal/test_figure_rules.py"],
    "contracts/selectors.py": [
        "tests/contracts/test_rules.py",
        "tests/contracts/test_awards.py",
        "tests/contracts/test_spend.py",
    ],
    "spend/selectors.py": ["tests/spend/test_figure_rules.py", "tests/spend/test_dashboards.py"],
}


def run_module(module: str, tests: list[str], minutes: float) -> dict[str, int]:
    cache = ROOT / ".mutmut-cache"
    cache.unlink(missing_ok=True)  # a fresh score for this module
    command = [
        str(Path(sys.executable).with_name("mutmut")),
        "run",
        "--paths-to-mutate",
        module,
        "--tests-dir",
        "tests",
        "--runner",
        f"{PYTEST} {' '.join(tests)}",
        "--no-progress",
    ]
    # Its own process group, so the time budget stops mutmut and the tests it started.
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        process.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        print(f"{module}: stopped after {minutes:g} minutes; the rest are not reached")
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        # mutmut restores the file after each mutant; undo the one it was trying.
        subprocess.run(["git", "checkout", "--", module], cwd=ROOT, check=True)
        (ROOT / f"{module}.bak").unlink(missing_ok=True)
    survivors = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    print(survivors)
    return _counts(cache)


# mutmut 2 keeps each mutant's status in its cache: "ok_killed" and "ok_suspicious" (killed,
# slowly) and "bad_timeout" (the tests hung) are caught; "bad_survived" is not; "untested"
# were not reached within the budget.
def _counts(cache: Path) -> dict[str, int]:
    with sqlite3.connect(cache) as connection:
        rows = connection.execute("SELECT status, count(*) FROM Mutant GROUP BY status")
        by_status = dict(rows.fetchall())
    return {
        "killed": by_status.get("ok_killed", 0) + by_status.get("ok_suspicious", 0),
        "timeout": by_status.get("bad_timeout", 0),
        "survived": by_status.get("bad_survived", 0),
        "untested": by_status.get("untested", 0) + by_status.get("skipped", 0),
    }


def main(argv: list[str]) -> int:
    wanted = argv or list(MODULES)
    unknown = [m for m in wanted if m not in MODULES]
    if unknown:
        print(f"No tests are set for {', '.join(unknown)}; choose from: {', '.join(MODULES)}")
        return 2
    minutes = float(os.environ.get("MUTATION_MINUTES", "30"))
    lines = []
    for module in wanted:
        counts = run_module(module, MODULES[module], minutes)
        # A mutant that makes the tests hang is caught too (they would not pass).
        tried = counts["killed"] + counts["timeout"] + counts["survived"]
        score = 100 * (counts["killed"] + counts["timeout"]) / tried if tried else 0.0
        lines.append(
            f"{module}: {counts['killed']} killed, {counts['timeout']} timed out, "
            f"{counts['survived']} survived, {counts['untested']} not reached: "
            f"{score:.0f}% of {tried} tried killed"
        )
    print("\n".join(["", "Mutation score", *lines]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
