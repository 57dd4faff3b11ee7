"""Fixtures every test can use: users per role, a real Celery worker, and a real browser.

- ``officer``, ``councillor``, ``administrator``: users holding one role each.
- ``celery_worker``: a real ``celery worker`` process on Redis, using the test database.
- ``browser_page``: Debian's Chromium driven by Playwright; every page it visits is checked
  with axe-core and for anything its Content-Security-Policy blocked, and the test fails on
  any violation.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from portal import locality, services
from portal.models import User
from portal.roles import Role

BASE_DIR = Path(__file__).resolve().parent.parent
# Real public files the tests read, kept in the repository (origin and licence: SOURCES.md).
DATA_DIR = BASE_DIR / "tests" / "data"
TEST_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def data_dir() -> Path:
    """The real public files the tests use (``tests/data``; see its SOURCES.md)."""
    return DATA_DIR


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database, with a copy of what migrate left in it, so a transactional test's
    flush puts back only what the test changed (tests/postgresql/base.py)."""
    from tests.postgresql.base import take_baseline

    with django_db_blocker.unblock():
        take_baseline(connection)


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    """Sign-in throttling and other cached state must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    locality.home_area_forget()  # a test's home area change is rolled back with its writes
    yield
    cache.clear()
    locality.home_area_forget()


def make_user(role: Role, email: str | None = None) -> User:
    email = email or f"{role.name.lower()}@example.gov.uk"
    return services.user_create(
        email=email, role=role, password=TEST_PASSWORD, full_name=f"Test {role.value}"
    )


@pytest.fixture
def administrator(db: None) -> User:
    return make_user(Role.ADMINISTRATOR)


@pytest.fixture
def officer(db: None) -> User:
    return make_user(Role.PROCUREMENT_OFFICER)


@pytest.fixture
def councillor(db: None) -> User:
    return make_user(Role.COUNCILLOR)


# --- A real Celery worker -------------------------------------------------------------------


class WorkerProcess:
    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Kill the worker as a crash would: no chance to clean up."""
        self.process.kill()
        self.process.wait(timeout=10)


def _start_worker(tmp_path: Path, *extra_args: str) -> WorkerProcess:
    from django.conf import settings

    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    # The worker must use the test database pytest-django created, not the development one.
    env["PORTAL_TEST_DATABASE_NAME"] = db["NAME"]
    tmp_path.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "celery-worker.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "-n",
            f"test-{os.getpid()}@%h",
            *extra_args,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=BASE_DIR,
    )
    worker = WorkerProcess(process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The Celery worker exited at start:\n{worker.log()}")
        if "ready." in worker.log():
            return worker
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"The Celery worker did not start within 60 s:\n{worker.log()}")


@pytest.fixture
def celery_worker(transactional_db: None, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real worker process consuming the test queue on Redis, against the test database."""
    from portal.celery import app

    app.control.purge()
    worker = _start_worker(tmp_path)
    yield worker
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()


@pytest.fixture
def start_worker(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start as many workers as a test needs (one after another, e.g. after killing one);
    arguments are added to the worker's command line (e.g. ``"--pool", "prefork"``)."""
    started: list[WorkerProcess] = []

    def start(*extra_args: str) -> WorkerProcess:
        worker = _start_worker(tmp_path / f"w{len(started)}", *extra_args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=10)


def wait_for(condition: Callable[[], Any], timeout: float = 60, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Condition not met within {timeout} s")


def downloaded(response: Any) -> bytes:
    """A download's bytes, whether it was built whole or streamed (every CSV streams)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


# --- A real browser with axe-core -----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def _playwright_browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make system-deps` (make test does).")
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does).")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test body are still synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class AccessibilityViolation(AssertionError):
    pass


class ContentSecurityPolicyViolation(AssertionError):
    pass


# Before any of the page's own scripts: note whatever the Content-Security-Policy blocks (an
# inline script or style without the nonce, a style attribute), so the page's test fails.
CSP_LISTENER_JS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


class CheckedPage:
    """A Playwright page that runs axe-core on every document it shows.

    Each navigation is noted; before the next action (and when the test ends) the new
    document is checked, so every page a test visits is audited without the test asking.
    """

    def __init__(self, page: Any, base_url: str) -> None:
        self._page = page
        self.base_url = base_url
        self._navigations = 0
        self._audited = 0
        self.audited_urls: list[str] = []
        page.on("framenavigated", self._on_navigated)

    def _on_navigated(self, frame: Any) -> None:
        if frame == self._page.main_frame:
            self._navigations += 1

    def audit(self) -> None:
        """Check the current document now (also called automatically)."""
        self._audited = self._navigations
        self._page.wait_for_load_state("load")
        if not self._page.evaluate("() => typeof window.axe !== 'undefined'"):
            self._page.add_script_tag(path=str(AXE_JS))
        result = self._page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        self.audited_urls.append(self._page.url)
        blocked = self._page.evaluate("() => window.__cspViolations || []")
        if blocked:
            raise ContentSecurityPolicyViolation(
                f"The Content-Security-Policy blocked on {self._page.url}:\n" + "\n".join(blocked)
            )
        violations = result["violations"]
        if violations:
            lines = [f"axe-core found {len(violations)} violation(s) on {self._page.url}:"]
            for violation in violations:
                targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
                lines.append(
                    f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
                )
            raise AccessibilityViolation("\n".join(lines))

    def _audit_if_new(self) -> None:
        if self._navigations != self._audited:
            self.audit()

    def goto(self, path: str, **kwargs: Any) -> Any:
        self._audit_if_new()
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        response = self._page.goto(url, **kwargs)
        self.audit()
        return response

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._page, name)
        if not callable(attribute):
            return attribute

        def checked(*args: Any, **kwargs: Any) -> Any:
            self._audit_if_new()
            return attribute(*args, **kwargs)

        return checked

    @property
    def raw(self) -> Any:
        """The underlying Playwright page (for expect() and locators)."""
        self._audit_if_new()
        return self._page


@pytest.fixture
def browser_page(_playwright_browser: Any, live_server: Any) -> Iterator[CheckedPage]:
    context = _playwright_browser.new_context(base_url=live_server.url, locale="en-GB")
    # Injected as init scripts, which the page's Content-Security-Policy does not apply to.
    context.add_init_script(script=CSP_LISTENER_JS)
    context.add_init_script(path=str(AXE_JS))
    page = CheckedPage(context.new_page(), live_server.url)
    yield page
    try:
        page._audit_if_new()
    finally:
        context.close()


@pytest.fixture
def sign_in_browser(browser_page: CheckedPage, live_server: Any) -> Callable[[User], CheckedPage]:
    """Sign a user in by putting a real session cookie into the browser."""
    from django.conf import settings
    from django.test import Client

    def sign_in(user: User) -> CheckedPage:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        browser_page._page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": live_server.url,
                }
            ]
        )
        return browser_page

    return sign_in
