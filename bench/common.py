"""What several benches share: a database of their own beside DATABASE_URL's, psql, and
running a step as a child process that is timed and whose peak memory is its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def database_url(name: str) -> str:
    """DATABASE_URL's server (default 127.0.0.1:5432) with the database ``name``."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def psql(url: str, *args: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", *args], check=True)


# Runs a command and prints its peak resident memory (KB) last on stderr: getrusage of the
# bench itself would give the largest child so far, not this one.
_PEAK_OF = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


def timed_child(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds, peak resident memory in MB of the child, and its output."""
    seconds, peak, out, _log = timed_child_logged(command, env)
    return seconds, peak, out


def timed_child_logged(command: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    """Seconds, peak resident memory in MB of the child (and its own children), its output,
    and what it logged (stderr)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_OF, *command],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    *log, last = done.stderr.strip().splitlines()
    return seconds, int(last) / 1024, done.stdout.strip(), "\n".join(log)
