"""``make check-deploy``: the production settings as the image uses them.

1. ``manage.py check --deploy`` under production settings;
2. ``collectstatic`` under production settings, the Dockerfile's step (a stylesheet that
   refers to a missing file stops it, and without its manifest every page is a 500);
3. gunicorn started with ``gunicorn.conf.py`` as the image starts it, asked for the sign-in
   page and the static files it links to, and ``/healthz`` through the compose health check.

Needs the database and Redis (``DATABASE_URL``, ``REDIS_URL``; ``portal.bootstrap exec``
finds them). Exit status 0 when all of it holds.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "portal.example.gov.uk"


def production_env(static_root: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(static_root),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=env, check=True, cwd=BASE_DIR)


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn as the image runs it; yields its base URL once it answers."""
    base = f"http://127.0.0.1:{env['PORT']}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi:application"],
            env=env,
            cwd=BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited at start:\n{log.read_text()}")
                try:
                    socket.create_connection(("127.0.0.1", int(env["PORT"])), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def fetch(url: str) -> tuple[int, str]:
    """GET as a browser behind the TLS proxy would ask."""
    assert url.startswith("http://127.0.0.1:"), url  # only ever the local gunicorn
    request = urllib.request.Request(url, headers={"Host": HOST, "X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The compose file's health check command, run in the web server's environment."""
    return subprocess.run(
        [sys.executable, "-m", "portal.healthcheck"],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="check-deploy-") as tmp:
        env = production_env(Path(tmp) / "staticfiles", free_port())
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        with gunicorn(env, Path(tmp) / "gunicorn.log") as base:
            status, page = fetch(f"{base}/sign-in/")
            if status != 200:
                print(f"GET /sign-in/ under production settings: {status}\n{page[:2000]}")
                return 1
            assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page)))
            for asset in assets:
                status, _ = fetch(base + asset)
                if status != 200:
                    print(f"GET {asset} (linked from /sign-in/): {status}")
                    return 1
            health = healthcheck(env)
            if health.returncode != 0:
                print(f"The compose health check failed:\n{health.stdout}{health.stderr}")
                return 1
        print(f"check-deploy: sign-in page, {len(assets)} static files and /healthz answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
