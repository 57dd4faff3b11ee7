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
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = f"{sys.executable} -m pytest -x -q -p no:cacheprovider --reuse-db"

# Each module with the tests that hold its rules (fast ones: no browser, no worker).
MODULES: dict[str, list[str]] = {
    "portal/formatting.py": ["tests/portal/test_figure_rules.py"],
    "portal/exports.py": ["tests/portal/test_figure_rules.py"],
    "portal/locality.py": ["tests/portal/test_locality.py"],
    "contracts/quarters.py": ["tests/contracts/test_rules.py", "tests/portal/test_figure_rules.py"],
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
    try:
        subprocess.run(command, cwd=ROOT, timeout=minutes * 60, check=False)
    except subprocess.TimeoutExpired:
        print(f"{module}: stopped after {minutes:g} minutes; the rest are not reached")
        # mutmut restores the file after each mutant; make sure the last one is undone.
        subprocess.run(["git", "checkout", "--", module], cwd=ROOT, check=True)
    results = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts = {"killed": 0, "survived": 0, "timeout": 0, "suspicious": 0, "untested": 0}
    # mutmut prints one heading per kind with its count, e.g. "Survived 🙁 (3)".
    for kind, count in re.findall(r"^(\w[\w ]*?) \S+ \((\d+)\)", results, re.MULTILINE):
        key = kind.split()[0].lower()
        if key == "timed":
            key = "timeout"
        counts[key] = counts.get(key, 0) + int(count)
    total_mutants = int(
        subprocess.run(
            [sys.executable, "-c", _COUNT_MUTANTS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or 0
    )
    counts["killed"] = max(
        total_mutants - sum(v for k, v in counts.items() if k != "killed"), counts["killed"]
    )
    print(results)
    return counts


# mutmut 2 lists survivors, timeouts and the rest but not the killed ones: count all mutants
# in its cache and take the others away.
_COUNT_MUTANTS = """
import sqlite3
con = sqlite3.connect('.mutmut-cache')
print(con.execute("select count(*) from Mutant").fetchone()[0])
"""


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
        tried = counts["killed"] + counts["timeout"] + counts["survived"] + counts["suspicious"]
        score = 100 * (counts["killed"] + counts["timeout"]) / tried if tried else 0.0
        lines.append(
            f"{module}: {counts['killed']} killed, {counts['timeout']} timed out, "
            f"{counts['survived']} survived, {counts['suspicious']} suspicious, "
            f"{counts['untested']} not reached: {score:.0f}% killed"
        )
    print("\n".join(["", "Mutation score", *lines]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
