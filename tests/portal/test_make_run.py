"""`make run`: the port option, and what it prints when: the portal's address only once the
web server answers, then the demo sign-ins again, last."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portal import bootstrap

BASE_DIR = Path(__file__).resolve().parents[2]
CREDENTIALS = "Demo users (development only):\n  Administrator  admin@example.gov.uk"


def _make_run(*args: str) -> str:
    done = subprocess.run(
        ["make", "-n", "run", *args], cwd=BASE_DIR, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_make_run_takes_a_port() -> None:
    assert "portal.bootstrap run --port 8080" in _make_run("PORT=8080")
    assert "portal.bootstrap run --port 8000" in _make_run()


@pytest.mark.timeout(60)
def test_the_address_is_printed_once_the_server_answers_and_the_sign_ins_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = bootstrap.free_port()
    url = f"http://127.0.0.1:{port}/"
    assert not bootstrap.web_answers(url)
    # A real server that takes a moment to start, as runserver does.
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time, http.server; time.sleep(1.5); "
            f"http.server.HTTPServer(('127.0.0.1', {port}), "
            "http.server.SimpleHTTPRequestHandler).serve_forever()",
        ],
        cwd=BASE_DIR / "docs",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert bootstrap.announce_when_answering(url, [server], CREDENTIALS, poll=0.1)
        assert bootstrap.web_answers(url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == f"[bootstrap] portal at {url}  (Ctrl-C stops everything)"
    assert lines[-2:] == CREDENTIALS.splitlines()


def test_no_address_when_the_server_stops_before_answering(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{bootstrap.free_port()}/"
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait(timeout=10)
    assert not bootstrap.announce_when_answering(url, [dead], CREDENTIALS, poll=0.1)
    out = capsys.readouterr().out
    assert "portal at" not in out
    assert "did not answer" in out
