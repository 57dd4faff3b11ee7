"""Mutation check of the rule modules and selectors (``make mutation``; not run in CI).

mutmut changes one thing at a time in a module (``<`` to ``<=``, ``4`` to ``5``, a constant,
a dropped call) and runs the tests that cover it; a mutant the tests do not notice "survived"
and shows a rule no test pins down. Modules are done one at a time, each against its own
tests only, so it can run on a shared machine (one test process at a time):

    make mutation                                   # every module below
    make mutation MODULES="portal/formatting.py"    # some of them
    MUTATION_MINUTES=20 make mutation               # stop each module after 20 minutes

How a module's run is kept short (docs/mutation.md has the measurements):

1. Its tests run once with a line tracer (``-p tests.mutation``) that records, for each test,
   which lines of the module it ran (setup, call and teardown), into ``.mutmut-lines.json``.
2. mutmut's runner is this file again (``--run-tests``): it compares the mutant with
   mutmut's backup (``MODULE.bak``), finds the statement that changed and runs only the tests
   that ran that statement. A test that never runs a statement cannot see it change, so the
   verdict is the one the whole list would give, minus the waiting. A change to module-level
   code (a constant, a ``def`` line's defaults, a decorator) runs every test in the list; a
   statement no test runs survives without starting pytest.
3. Any failure of the chosen tests kills the mutant, including a mutant that no longer
   imports (pytest exit 2, which mutmut alone would count as survived).

Prints killed / survived / timed out / not reached per module and the score (killed and
timed out, of those tried); ``.venv/bin/mutmut show N`` after a module shows a survivor.
It changes the module's file while it runs: run no other tests in this tree meanwhile.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import json
import os
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

# Run as a script, Python puts tests/ first on the path, where tests/html.py hides the standard
# library's html (which pytest imports): the root goes there instead, as with python -m pytest.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import pytest

from mutmut_config import line_ranges, sample_every, tried

ROOT = Path(__file__).resolve().parent.parent
LINES_FILE = ROOT / ".mutmut-lines.json"
SOCKET = ROOT / ".mutmut-server.sock"
# One line a mutant: its seconds, how many tests ran, the verdict (for measuring a run).
RUNS_LOG = ROOT / ".mutmut-runs.log"
# Bytecode of the test runs, kept out of the tree (the environment may set
# PYTHONDONTWRITEBYTECODE, and then every pytest compiled some 500 project and test files, about
# 2 s a mutant); the mutated module's own is deleted before each mutant (``_forget_bytecode``).
PYCACHE = ROOT / ".mutmut-pycache"
# mutmut beside this Python (``make mutation`` installs it there), or MUTMUT=path where the
# virtualenv is shared and mutmut lives in a virtualenv of its own.
MUTMUT = os.environ.get("MUTMUT") or str(Path(sys.executable).with_name("mutmut"))
PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    "--reuse-db",
    "-m",
    "not browser and not worker",
]

# Each module with the tests that hold its rules (fast ones: no browser, no worker).
MODULES: dict[str, list[str]] = {
    "portal/formatting.py": ["tests/portal/test_figure_rules.py"],
    "portal/exports.py": ["tests/portal/test_figure_rules.py"],
    "portal/locality.py": ["tests/portal/test_locality.py", "tests/portal/test_figure_rules.py"],
    "portal/periods.py": [
        "tests/contracts/test_quarters.py",
        "tests/contracts/test_rules.py",
        "tests/portal/test_figure_rules.py",
    ],
    "socialvalue/periods.py": ["tests/portal/test_figure_rules.py"],
    "payments/periods.py": ["tests/payments/test_periods.py"],
    # Award monitoring and its rules; the register's statuses, order and search; the notices
    # due and their deadlines; contract and off-contract spend; the register's pages.
    "contracts/selectors.py": [
        "tests/contracts/test_rules.py",
        "tests/contracts/test_awards.py",
        "tests/contracts/test_spend.py",
        "tests/contracts/test_register_selectors.py",
        "tests/contracts/test_change_history.py",
        "tests/contracts/test_pipeline.py",
        "tests/contracts/test_notices_due.py",
        "tests/contracts/test_projection_rate.py",
        "tests/contracts/test_notices.py",
        "tests/contracts/test_contract_spend.py",
        "tests/contracts/test_views.py",
        "tests/contracts/test_contract_spend_rules.py",
        "tests/contracts/test_selector_late_rules.py",
        "tests/contracts/test_notice_fields.py",
        "tests/spend/test_selector_rules.py",  # the drill-down by contract
    ],
    # The dashboards' figures; the drill-down, a supplier's sites and who is an individual;
    # the published file, the payments download and the category rules.
    "spend/selectors.py": [
        "tests/spend/test_figure_rules.py",
        "tests/spend/test_dashboards.py",
        "tests/spend/test_selector_rules.py",
        "tests/spend/test_transparency.py",
        "tests/spend/test_payments_export.py",
        "tests/spend/test_categories.py",
        "tests/spend/test_transparency_years.py",
        "tests/portal/test_export_sql.py",
        "tests/home/test_search.py",
    ],
    # The payments notice's day counting and bands, the dashboard and the over-£30,000 file;
    # the notice's pages (the figures' notes, the periods to report).
    "payments/selectors.py": [
        "tests/payments/test_notice_figures.py",
        "tests/payments/test_dashboard.py",
        "tests/payments/test_over_30000.py",
        "tests/payments/test_views.py",
        "tests/payments/test_notice_lists.py",
        "tests/payments/test_dashboard_limits.py",
        "tests/payments/test_dashboard_order.py",
    ],
}


# --- 1. Which tests run which lines ----------------------------------------------------------


class LineTrace:
    """pytest plugin: the lines of one module each test runs (``MUTATION_TRACE=module``)."""

    def __init__(self, module: str) -> None:
        self.filename = str((ROOT / module).resolve())
        self.lines: dict[str, set[int]] = {}
        self.seconds: dict[str, float] = {}

    def _tracer(self, hits: set[int]) -> Any:
        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "line":
                hits.add(frame.f_lineno)
            return local

        def calls(frame: FrameType, event: str, arg: object) -> Any:
            if frame.f_code.co_filename == self.filename:
                hits.add(frame.f_lineno)
                return local
            return None

        return calls

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Iterator[None]:
        hits: set[int] = set()
        tracer = self._tracer(hits)
        started = time.monotonic()
        sys.settrace(tracer)
        threading.settrace(tracer)
        try:
            yield
        finally:
            sys.settrace(None)
            threading.settrace(None)  # type: ignore[arg-type]
            self.lines.setdefault(item.nodeid, set()).update(hits)
            self.seconds[item.nodeid] = time.monotonic() - started

    def pytest_sessionfinish(self, session: Any) -> None:
        lines = {test: sorted(ran) for test, ran in self.lines.items()}
        record = {"module": self.filename, "lines": lines, "seconds": self.seconds}
        LINES_FILE.write_text(json.dumps(record))


def pytest_configure(config: Any) -> None:
    module = os.environ.get("MUTATION_TRACE")
    if module:
        config.pluginmanager.register(LineTrace(module), "mutation-line-trace")


def _bytecode_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def trace_lines(module: str, tests: list[str]) -> None:
    env = {**_bytecode_env(), "MUTATION_TRACE": module}
    subprocess.run([*PYTEST, "-p", "tests.mutation", *tests], cwd=ROOT, env=env, check=True)


# --- 2. The runner mutmut calls for each mutant -----------------------------------------------

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _changed_lines(original: list[str], mutant: list[str]) -> set[int]:
    """1-based line numbers of the original that the mutant changed."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=original, b=mutant, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return changed


def _statement_lines(tree: ast.Module, line: int) -> set[int] | None:
    """The lines whose running shows the statement holding ``line`` ran, or None when that
    statement runs at import (module or class level, or a top-level ``def`` line)."""
    innermost: ast.stmt | None = None
    inside_function = False
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        for child in ast.iter_child_nodes(node):
            start = min(
                [child.lineno, *(d.lineno for d in getattr(child, "decorator_list", []))]
                if hasattr(child, "lineno")
                else [0]
            )
            end = getattr(child, "end_lineno", None) or 0
            if not (start <= line <= end):
                continue
            if isinstance(child, ast.stmt):
                innermost, inside_function = child, in_function
            stack.append((child, in_function or isinstance(child, _FUNCTIONS)))
    if innermost is None or not inside_function:
        return None
    body = getattr(innermost, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        header_end = body[0].lineno - 1  # a compound statement's header, not its body
    else:
        header_end = innermost.end_lineno or innermost.lineno
    return set(range(innermost.lineno, max(header_end, innermost.lineno) + 1))


def tests_for_mutant(module: str, tests: list[str]) -> list[str] | None:
    """The tests that run the changed statement (None: all of them, [] none)."""
    path = ROOT / module
    backup = Path(f"{path}.bak")
    if not backup.exists() or not LINES_FILE.exists():
        return None  # mutmut's baseline run: the whole list
    original = backup.read_text()
    changed = _changed_lines(original.splitlines(), path.read_text().splitlines())
    if not any(tried(module, line) for line in changed):
        return []  # outside the sample or lines (mutmut_config.py skips these first)
    recorded = json.loads(LINES_FILE.read_text())
    if recorded["module"] != str(path.resolve()):
        return None
    tree = ast.parse(original)
    chosen: set[str] = set()
    for line in changed:
        lines = _statement_lines(tree, line)
        if lines is None:
            # Import-time code (a constant, a default, a decorator) can change only what the
            # module's own functions do, so the tests that ran any of them; a test that reads
            # the constant without calling the module would be missed (survived, not killed).
            users = [t for t, ran in recorded["lines"].items() if ran]
            if not users:
                return None
            chosen.update(users)
            continue
        chosen.update(t for t, ran in recorded["lines"].items() if lines.intersection(ran))
    # Quickest first: pytest stops at the first failure (-x), so a mutant one quick test
    # notices is not kept waiting for the slow ones; a survivor runs them all either way.
    seconds = recorded.get("seconds", {})
    order = list(recorded["lines"])
    return sorted(chosen, key=lambda test: (seconds.get(test, 0.0), order.index(test)))


def _forget_bytecode(module: str) -> None:
    """A stale .pyc of an earlier mutant of the same size and second must not be imported."""
    path = (ROOT / module).resolve()
    cached = (
        PYCACHE / path.parent.relative_to("/") / f"{path.stem}.{sys.implementation.cache_tag}.pyc"
    )
    cached.unlink(missing_ok=True)
    for pyc in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"):
        pyc.unlink(missing_ok=True)


def run_tests(module: str) -> int:
    tests = MODULES[module]
    chosen = tests_for_mutant(module, tests)
    if chosen == []:
        print(f"no test runs the changed statement of {module}, or it is not in the sample")
        return 0
    _forget_bytecode(module)
    # A mutant that loops forever fails its test here (pytest-timeout): mutmut's own timeout
    # stops only this process, and the pytest it started would hold mutmut's terminal open.
    started = time.monotonic()
    limit = os.environ.get("MUTATION_TEST_SECONDS", "120")
    arguments = [*PYTEST[3:], f"--timeout={limit}", *(chosen or tests)]
    returncode = _ask_server(arguments)
    if returncode is None:
        command = [*PYTEST[:3], *arguments]
        returncode = subprocess.run(command, cwd=ROOT, env=_bytecode_env()).returncode
    record = {"module": module, "seconds": round(time.monotonic() - started, 2)}
    record |= {"tests": len(chosen or tests), "exit": returncode, "at": time.time()}
    with RUNS_LOG.open("a") as log:
        log.write(json.dumps(record) + "\n")
    # mutmut reads only exit code 1 as "killed"; a mutant that stops the tests any other way
    # (it no longer imports: exit 2) is noticed too.
    return 0 if returncode == 0 else 1


# --- 2b. A fork server, so a mutant does not pay for Python importing Django again ---------
#
# Most of a mutant's time was pytest starting: importing Django, openpyxl, Celery, psycopg and
# the rest. The server imports those third-party modules once; for each mutant it forks, and
# the child runs pytest with this runner's output. None of the project's own modules that could
# hold the mutant is imported in the server (it checks), so the child imports the mutated file
# from disk exactly as a fresh ``python -m pytest`` would.


def _preload_names() -> list[str]:
    """The third-party modules a test run imports, found by a throwaway child that sets Django
    up (that imports the project, so it happens in a child, never in the server)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            import django  # only in this throwaway child

            django.setup()
            site = [
                name
                for name, loaded in list(sys.modules.items())
                if "site-packages" in (getattr(loaded, "__file__", None) or "")
                and not name.startswith("pytest_")  # plugins: pytest must rewrite them itself
            ]
            os.write(write, json.dumps(site).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return list(json.loads(b"".join(chunks) or b"[]"))


def _project_modules() -> list[str]:
    return [
        name
        for name, loaded in list(sys.modules.items())
        if (path := getattr(loaded, "__file__", None) or "").startswith(str(ROOT))
        and ".venv" not in path
    ]


def _keep_test_database() -> None:
    """In a child: use the kept test database (``--reuse-db``) as it is. Django's keepdb still
    runs ``migrate`` and its post-migrate handlers on each start, over a second a mutant; the
    baseline run already did, and no mutant of the modules here changes a migration or a model."""
    from django.conf import settings
    from django.db.backends.base.creation import BaseDatabaseCreation

    original = BaseDatabaseCreation.create_test_db

    def create_test_db(
        self: BaseDatabaseCreation,
        verbosity: int = 1,
        autoclobber: bool = False,
        serialize: bool = True,
        keepdb: bool = False,
    ) -> str:
        if not keepdb or serialize:
            return original(self, verbosity, autoclobber, serialize, keepdb)
        name = self._get_test_db_name()  # type: ignore[attr-defined]
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        return name

    BaseDatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign]


def serve(module: str) -> None:
    """Answer each runner's request (a pytest command line and its stdout and stderr) with the
    exit code of that pytest, run in a fork of this process."""
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(PYCACHE)
    for name in _preload_names():
        try:
            __import__(name)
        except Exception:  # noqa: S112  (models need Django set up; the child imports those)
            continue
    dotted = module.removesuffix(".py").replace("/", ".")
    # Only settings may be imported here; anything else of ours might hold the mutant.
    # (this file is __main__, and multiprocessing's __mp_main__; the sample's mutmut_config).
    allowed = ("portal", "portal.celery", "__main__", "__mp_main__", "mutmut_config")
    loaded = [m for m in _project_modules() if not m.startswith("portal.settings")]
    if dotted in sys.modules or [m for m in loaded if m not in allowed]:
        print(f"mutation server: project modules imported before forking: {loaded}")
        return
    SOCKET.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(SOCKET))
    listener.listen(1)
    print("mutation server: ready", flush=True)
    migrated = False
    while True:
        connection, _ = listener.accept()
        with connection:
            message, fds, _flags, _address = socket.recv_fds(connection, 1 << 20, 2)
            arguments = json.loads(message)
            pid = os.fork()
            if pid == 0:
                listener.close()
                code = 3
                try:
                    os.dup2(fds[0], 1)
                    os.dup2(fds[1], 2)
                    if migrated:
                        _keep_test_database()
                    code = int(pytest.main(arguments))
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            for fd in fds:
                os.close(fd)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            # mutmut's baseline run passed, so the test database is migrated and stays so.
            migrated = migrated or code == 0
            with contextlib.suppress(OSError):
                connection.sendall(str(code).encode())


def _ask_server(arguments: list[str]) -> int | None:
    """The exit code of pytest run by the fork server, or None when no server is running."""
    if not SOCKET.exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        try:
            connection.connect(str(SOCKET))
        except OSError:
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        socket.send_fds(connection, [json.dumps(arguments).encode()], [1, 2])
        answer = connection.recv(64)
    return int(answer) if answer else None  # the server stopped: run pytest here instead


# --- 3. One module's mutmut run and its score ---------------------------------------------------


def _trace_kept(module: str) -> bool:
    """MUTATION_KEEP_TRACE=1 reuses the last trace of this module with these tests (for a run
    restarted with the tests unchanged; a trace takes minutes on a loaded machine)."""
    if not os.environ.get("MUTATION_KEEP_TRACE") or not LINES_FILE.exists():
        return False
    recorded = json.loads(LINES_FILE.read_text())
    files = {test.split("::")[0] for test in recorded["lines"]}
    return recorded["module"] == str((ROOT / module).resolve()) and files == set(MODULES[module])


def start_server(module: str) -> subprocess.Popen[bytes] | None:
    """The fork server (section 2b), once it listens; None (each mutant starts its own pytest)
    when it would not start."""
    SOCKET.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", module]
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 300
    while not SOCKET.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            print("mutation server did not start: each mutant starts its own pytest")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            return None
        time.sleep(0.5)
    return server


def run_module(module: str, tests: list[str], minutes: float) -> dict[str, int]:
    cache = ROOT / ".mutmut-cache"
    cache.unlink(missing_ok=True)  # a fresh score for this module
    started = time.monotonic()
    if not _trace_kept(module):
        trace_lines(module, tests)
    runner = shlex.join([sys.executable, str(Path(__file__).resolve()), "--run-tests", module])
    command = [
        MUTMUT,
        "run",
        "--paths-to-mutate",
        module,
        "--tests-dir",
        "tests",
        "--runner",
        runner,
        "--no-progress",
    ]
    server = start_server(module)
    # Its own process group, so the time budget stops mutmut and the tests it started.
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        process.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        print(f"{module}: stopped after {minutes:g} minutes; the rest are not reached")
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        # mutmut restores the file after each mutant; undo the one it was trying.
        backup = ROOT / f"{module}.bak"
        if backup.exists():
            backup.replace(ROOT / module)
    finally:
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        SOCKET.unlink(missing_ok=True)
    survivors = subprocess.run(
        [MUTMUT, "results"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if sample_every() > 1 or line_ranges():
        _unsample(cache, module)
    print(survivors)
    counts = _counts(cache)
    counts["seconds"] = round(time.monotonic() - started)
    return counts


# mutmut 2 keeps each mutant's status in its cache: "ok_killed" and "ok_suspicious" (killed,
# slowly) and "bad_timeout" (the tests hung) are caught; "bad_survived" is not; "untested"
# were not reached within the budget.
def _unsample(cache: Path, module: str) -> None:
    """Mark the mutants of lines outside the sample or the line ranges "untested" (not
    reached): the runner let them pass without running a test, which is no verdict."""
    with sqlite3.connect(cache) as connection:
        lines = connection.execute("SELECT id, line_number FROM Line").fetchall()
        # mutmut counts lines from 0.
        outside = [(i,) for i, number in lines if not tried(module, number + 1)]
        connection.executemany("UPDATE Mutant SET status = 'untested' WHERE line = ?", outside)


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
    if argv[:1] == ["--run-tests"]:
        return run_tests(argv[1])
    if argv[:1] == ["--serve"]:
        serve(argv[1])
        return 0
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
            f"{score:.0f}% of {tried} tried killed in {counts['seconds']} s"
        )
    print("\n".join(["", "Mutation score", *lines]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
