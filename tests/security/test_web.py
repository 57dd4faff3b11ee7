"""Security review (issue 23), part A: the web tier. One test per item, named after it."""

import json
import os
import re
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from contracts.models import Publication
from portal import deploy_check, services
from portal.models import User
from portal.pdf import html_to_pdf, static_only_fetcher
from portal.roles import Role
from tests.conftest import TEST_PASSWORD, make_user

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _compose_healthcheck() -> list[str]:
    """The web service's health check command, as docker-compose.yml gives it."""
    text = (BASE_DIR / "docker-compose.yml").read_text()
    web = text[text.index("\n  web:") :]
    found = re.search(r"^\s+test: (\[.*\])$", web, re.MULTILINE)
    assert found, "docker-compose.yml's web service has no healthcheck test"
    command: list[str] = json.loads(found.group(1))
    assert command[0] == "CMD"
    return [sys.executable if part == "python" else part for part in command[1:]]


def test_item_1_13_production_static_files_build_and_healthz_answers_the_compose_check(
    transactional_db: None, tmp_path: Path
) -> None:
    # The image's two steps: the assets, then collectstatic under production settings.
    subprocess.run(["node", "frontend/build.mjs"], cwd=BASE_DIR, check=True, capture_output=True)
    env = deploy_check.production_env(tmp_path / "staticfiles", deploy_check.free_port())
    env["DATABASE_URL"] = _test_database_url()
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert collect.returncode == 0, collect.stderr[-2000:]
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()

    with deploy_check.gunicorn(env, tmp_path / "gunicorn.log") as base:
        status, page = deploy_check.fetch(f"{base}/sign-in/")
        assert status == 200, page[:1000]
        # The manifest is in use: the stylesheet is linked by its hashed name and served.
        stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, "the sign-in page does not link the hashed stylesheet"
        assert deploy_check.fetch(base + stylesheet.group(1))[0] == 200

        health = subprocess.run(
            _compose_healthcheck(),
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert health.returncode == 0, health.stdout + health.stderr
        assert json.loads(health.stdout)["database"] == {"ok": True}


# --- 2: sign-in throttling by the real client address, and per account ------------------------


def _sign_in(client: Client, email: str, password: str, forwarded_for: str) -> Any:
    return client.post(
        reverse("portal:sign-in"),
        {"email": email, "password": password},
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_item_2_one_address_cannot_lock_others_out_behind_the_proxy(
    officer: User, councillor: User, settings: SettingsWrapper
) -> None:
    # Every request comes through the proxy at 10.0.0.2, which appends the client's address.
    settings.TRUSTED_PROXY_IPS = ["10.0.0.2"]
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    attacker = "203.0.113.66"
    # The attacker sprays far more failures than every limit, at both accounts and others.
    for attempt in range(settings.SIGN_IN_MAX_FAILURES * 12):
        email = [officer.email, councillor.email, f"nobody{attempt}@example.gov.uk"][attempt % 3]
        # A made-up X-Forwarded-For from the client is kept left of what the proxy appends.
        _sign_in(proxy, email, "wrong password", f"198.51.100.{attempt % 250}, {attacker}")
    assert _sign_in(proxy, officer.email, TEST_PASSWORD, attacker).status_code == 429

    # The officer and the councillor, from their own addresses, still sign in.
    assert _sign_in(Client(REMOTE_ADDR="10.0.0.2"), officer.email, TEST_PASSWORD, "192.0.2.10")[
        "Location"
    ] == reverse("home:home")
    assert (
        _sign_in(
            Client(REMOTE_ADDR="10.0.0.2"), councillor.email, TEST_PASSWORD, "192.0.2.11"
        ).status_code
        == 302
    )

    # X-Forwarded-For from a client that is not the proxy is not believed: changing it each
    # time does not buy a fresh address.
    direct = Client(REMOTE_ADDR="203.0.113.67")
    for attempt in range(settings.SIGN_IN_MAX_FAILURES):
        _sign_in(direct, officer.email, "wrong password", f"198.51.100.{attempt}")
    assert _sign_in(direct, officer.email, TEST_PASSWORD, "198.51.100.200").status_code == 429
    # Many addresses guessing one account are paused for that account too.
    settings.SIGN_IN_MAX_FAILURES = 2
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for attempt in range(20):
        _sign_in(proxy, "target@example.gov.uk", "guess", f"198.51.100.{attempt}")
    response = _sign_in(proxy, "target@example.gov.uk", "guess", "198.51.100.99")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


# --- 7: Django admin's sign-in goes through the throttled sign-in page --------------------------


@pytest.mark.django_db
def test_item_7_django_admin_login_does_not_check_passwords_unthrottled(
    administrator: User, settings: SettingsWrapper
) -> None:
    administrator.is_staff = True
    administrator.save(update_fields=["is_staff"])
    client = Client()
    for _ in range(settings.SIGN_IN_MAX_FAILURES + 1):
        response = client.post(
            "/django-admin/login/", {"username": administrator.email, "password": "wrong"}
        )
    # Even the right password is not checked there: the admin sends people to the sign-in page.
    response = client.post(
        "/django-admin/login/?next=/django-admin/portal/job/",
        {"username": administrator.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("portal:sign-in") + "?next=%2Fdjango-admin%2Fportal%2Fjob%2F"
    )
    assert client.get("/django-admin/").status_code == 302  # still signed out
    assert client.get("/django-admin/login/?next=https://evil.example/")["Location"] == (
        reverse("portal:sign-in") + "?next=%2Fdjango-admin%2F"
    )
    # The sign-in page counts the failures and, once paused, says so.
    for _ in range(settings.SIGN_IN_MAX_FAILURES):
        client.post(reverse("portal:sign-in"), {"email": administrator.email, "password": "x"})
    response = client.post(
        reverse("portal:sign-in"), {"email": administrator.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429


# --- Low items ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_low_an_administrator_cannot_deactivate_their_own_account(
    administrator: User,
) -> None:
    client = Client()
    client.force_login(administrator)
    url = reverse("portal:user-edit", args=[administrator.pk])
    response = client.post(url, {"roles": [Role.ADMINISTRATOR.value]})  # "Can sign in" unticked
    assert response.status_code == 200
    assert "You cannot stop your own account signing in" in response.content.decode()
    administrator.refresh_from_db()
    assert administrator.is_active
    # Another administrator's account can still be switched off.
    other = make_user(Role.ADMINISTRATOR, "second.admin@example.gov.uk")
    response = client.post(
        reverse("portal:user-edit", args=[other.pk]), {"roles": [Role.ADMINISTRATOR.value]}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_active


@pytest.mark.django_db
def test_low_create_user_password_meets_the_password_rules() -> None:
    with pytest.raises(CommandError, match="too short"):
        call_command("create_user", "weak@example.gov.uk", "--role", "officer", "--password", "a")
    with pytest.raises(CommandError, match="too common"):
        call_command(
            "create_user", "weak@example.gov.uk", "--role", "officer", "--password", "password1234"
        )
    assert not User.objects.filter(email="weak@example.gov.uk").exists()
    call_command(
        "create_user",
        "strong@example.gov.uk",
        "--role",
        "officer",
        "--password",
        "amber-lantern-quietly-73",
        stdout=StringIO(),
    )
    assert User.objects.get(email="strong@example.gov.uk").check_password(
        "amber-lantern-quietly-73"
    )


@pytest.mark.django_db
def test_low_a_flash_message_does_not_leak_through_the_public_page_cache(
    officer: User,
) -> None:
    Publication.objects.create(
        quarter="2024Q1",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        status=Publication.Status.PUBLISHED,
    )
    leaving = Client()
    leaving.force_login(officer)
    leaving.post(reverse("portal:sign-out"))  # queues "You have signed out."
    assert "You have signed out." in leaving.get(reverse("register:home")).content.decode()
    stranger = Client()
    page = stranger.get(reverse("register:home")).content.decode()
    assert "You have signed out." not in page
    assert "January to March 2024" in page


@pytest.mark.django_db
def test_low_sign_in_page_does_not_say_emails_are_case_sensitive(officer: User) -> None:
    response = Client().post(
        reverse("portal:sign-in"), {"email": officer.email, "password": "wrong"}
    )
    text = response.content.decode()
    assert "Enter a correct email address and password" in text
    assert "Both are case-sensitive" not in text
    assert "password is case-sensitive" in text
    # As it says: the email address is taken in any case.
    response = Client().post(
        reverse("portal:sign-in"), {"email": officer.email.upper(), "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


# --- 10: a request-size limit for clients who are not signed in --------------------------------


@pytest.mark.django_db
def test_item_10_an_oversized_request_from_an_anonymous_client_is_refused_unread(
    officer: User, settings: SettingsWrapper
) -> None:
    settings.ANONYMOUS_REQUEST_MAX_BYTES = 64 * 1024
    body = b"x" * (settings.ANONYMOUS_REQUEST_MAX_BYTES + 1)
    for path in (reverse("portal:sign-in"), reverse("portal:password-reset")):
        response = Client().generic(
            "POST", path, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 413, path
        text = response.content.decode()
        assert "What you sent is too large" in text
        assert "up to 64.0\xa0KB in one go" in text
        assert "Nothing was saved" in text
    # A signed-in user may send up to the upload limit: the same body reaches the page.
    client = Client()
    client.force_login(officer)
    response = client.generic(
        "POST", reverse("portal:sign-in"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code != 413
    # A normal sign-in is untouched.
    response = Client().post(
        reverse("portal:sign-in"), {"email": officer.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


# --- 12: a password reset flow ------------------------------------------------------------------


@pytest.mark.django_db
def test_item_12_password_reset_by_email_link(
    officer: User, mailoutbox: list[Any], settings: SettingsWrapper
) -> None:
    client = Client()
    # The sign-in page and the lockout message lead to it.
    assert (
        reverse("portal:password-reset") in client.get(reverse("portal:sign-in")).content.decode()
    )
    for _ in range(settings.SIGN_IN_MAX_FAILURES):
        client.post(reverse("portal:sign-in"), {"email": officer.email, "password": "wrong"})
    locked = client.post(
        reverse("portal:sign-in"), {"email": officer.email, "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429
    assert "Forgotten your password?" in locked.content.decode()

    # Asking for an unknown address looks the same and sends nothing.
    response = client.post(reverse("portal:password-reset"), {"email": "nobody@example.gov.uk"})
    assert response["Location"] == reverse("portal:password-reset-sent")
    assert mailoutbox == []
    response = client.post(reverse("portal:password-reset"), {"email": officer.email.upper()})
    assert response["Location"] == reverse("portal:password-reset-sent")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [officer.email]
    link = re.search(r"http://testserver(/password-reset/\S+/)", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    # The link leads to a form that applies the password rules, then changes the password.
    form_url = client.get(link.group(1))["Location"]
    weak = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert "This password is too short" in weak.content.decode()
    new_password = "saffron-kettle-meadow-41"
    done = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert done["Location"] == reverse("portal:password-reset-complete")
    officer.refresh_from_db()
    assert officer.check_password(new_password)
    # The link works once; the pause ends for the account; the new password signs in.
    assert "This link does not work" in client.get(link.group(1), follow=True).content.decode()
    response = client.post(
        reverse("portal:sign-in"), {"email": officer.email, "password": new_password}
    )
    assert response.status_code == 302

    # A user added on the Users page (no password yet) sets a first one the same way.
    newcomer = services.user_create(email="new.starter@example.gov.uk", role=Role.COUNCILLOR)
    assert not newcomer.has_usable_password()
    Client().post(reverse("portal:password-reset"), {"email": newcomer.email})
    assert mailoutbox[-1].to == [newcomer.email]

    # Not a way to flood an inbox: a few emails an hour for one address, then a clear refusal.
    for _ in range(services.PASSWORD_RESETS_PER_EMAIL):
        client.post(reverse("portal:password-reset"), {"email": "flooded@example.gov.uk"})
    refused = client.post(reverse("portal:password-reset"), {"email": "flooded@example.gov.uk"})
    assert refused.status_code == 429
    assert "Too many password reset emails" in refused.content.decode()


# --- 14: a Content-Security-Policy with nonces ---------------------------------------------------

# Rendered to PDF by WeasyPrint, never served to a browser.
PDF_TEMPLATES = {
    "register/publication_pdf.html",
    "reports/committee.html",
    "payments/notice_pdf.html",
}


def test_item_14_every_template_gives_its_inline_scripts_and_styles_the_nonce() -> None:
    templates = BASE_DIR / "templates"
    checked = 0
    for path in sorted(templates.rglob("*.html")):
        name = path.relative_to(templates).as_posix()
        if name in PDF_TEMPLATES:
            continue
        text = path.read_text()
        checked += 1
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            assert "src=" in tag or 'nonce="{{ request.csp_nonce }}"' in tag, f"{name}: {tag}"
        assert not re.search(r"\sstyle=", text), f"{name} has a style attribute"
        assert not re.search(r"\son[a-z]+=", text), f"{name} has an inline event handler"
    assert checked > 50


def _nonce_of(response: Any) -> str:
    found = re.search(
        r"script-src 'self' 'nonce-([A-Za-z0-9_-]{20,})'", response["Content-Security-Policy"]
    )
    assert found, response["Content-Security-Policy"]
    return found.group(1)


@pytest.mark.django_db
def test_item_14_pages_carry_a_content_security_policy_with_a_fresh_nonce() -> None:
    client = Client()
    first, second = client.get(reverse("portal:sign-in")), client.get(reverse("portal:sign-in"))
    policy = first["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = _nonce_of(first)
    assert nonce != _nonce_of(second)
    html = first.content.decode()
    inline = re.findall(r"<(?:script|style)\b(?![^>]*\bsrc=)[^>]*>", html)
    assert len(inline) >= 3
    assert all(f'nonce="{nonce}"' in tag for tag in inline), inline

    # The public register's cached page is served with the nonce of the response it is in.
    Publication.objects.create(
        quarter="2024Q1",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        status=Publication.Status.PUBLISHED,
    )
    pages = [Client().get(reverse("register:home")) for _ in range(2)]
    for page in pages:
        nonce = _nonce_of(page)
        body = page.content.decode()
        assert body.count(f'nonce="{nonce}"') >= 3
        assert len(re.findall(r'nonce="', body)) == body.count(f'nonce="{nonce}"')
    assert _nonce_of(pages[0]) != _nonce_of(pages[1])


def test_item_14_production_settings_always_send_the_policy() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "portal.example.gov.uk",
        "CSP_ENABLED": "false",
    }
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CSP_ENABLED, 'portal.csp.ContentSecurityPolicyMiddleware' in "
            "settings.MIDDLEWARE)",
        ],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["True", "True"]


# --- Hardening -----------------------------------------------------------------------------------


def test_hardening_pdf_rendering_reads_only_the_static_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text('body::before { content: "LEAKED-FROM-FILE"; }')
    html = (
        f'<html lang="en"><head><title>t</title><link rel="stylesheet" href="{secret.as_uri()}">'
        "</head><body><p>Body text</p>"
        '<img alt="" src="static/images/favicon.svg">'
        '<img alt="" src="http://127.0.0.1:9/tracker.png"></body></html>'
    )
    pdf_path = tmp_path / "out.pdf"
    pdf_path.write_bytes(html_to_pdf(html, str(BASE_DIR)))
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Body text" in text
    assert "LEAKED-FROM-FILE" not in text
    fetcher = static_only_fetcher()
    allowed = fetcher((BASE_DIR / "static" / "images" / "favicon.svg").as_uri())
    assert allowed.read().startswith(b"<svg")
    allowed.close()
    for url in (
        secret.as_uri(),
        (BASE_DIR / "static" / ".." / "pyproject.toml").as_uri(),
        "file:///etc/hostname",
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.css",
    ):
        with pytest.raises(ValueError, match="static files"):
            fetcher(url)


def test_hardening_gunicorn_trusts_forwarded_headers_only_from_the_configured_proxy(
    monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    # The portal too: X-Forwarded-Proto from a client reaching it directly is not believed.
    settings.TRUSTED_PROXY_IPS = ["10.0.0.2"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    url = reverse("portal:accessibility")
    via_proxy = Client(REMOTE_ADDR="10.0.0.2").get(url, HTTP_X_FORWARDED_PROTO="https")
    assert via_proxy.status_code == 200
    direct = Client(REMOTE_ADDR="203.0.113.5").get(url, HTTP_X_FORWARDED_PROTO="https")
    assert direct.status_code == 301
    assert direct["Location"].startswith("https://")

    from gunicorn.config import Config

    def loaded(trusted: str | None) -> list[str]:
        if trusted is None:
            monkeypatch.delenv("TRUSTED_PROXY_IPS", raising=False)
        else:
            monkeypatch.setenv("TRUSTED_PROXY_IPS", trusted)
        namespace: dict[str, Any] = {}
        exec((BASE_DIR / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 - our config
        config = Config()
        config.set("forwarded_allow_ips", namespace["forwarded_allow_ips"])
        return list(config.forwarded_allow_ips)

    assert loaded("10.0.0.2,192.168.0.0/24") == ["10.0.0.2", "192.168.0.0/24"]
    assert loaded(None) == ["127.0.0.1", "::1"]
    assert "*" not in (BASE_DIR / "Dockerfile").read_text().split("CMD", 1)[1]
    assert '"-c", "gunicorn.conf.py"' in (BASE_DIR / "Dockerfile").read_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_item_12_password_reset_in_a_browser(browser_page: Any, mailoutbox: list[Any]) -> None:
    """The reset pages as a person uses them (axe-core and the CSP check every page)."""
    user = make_user(Role.COUNCILLOR)
    page = browser_page
    page.goto("/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    page.get_by_role("button", name="Send the link").click()  # nothing entered
    assert "Enter your email address" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(re.compile(r"/password-reset/sent/$"))
    assert page.locator("h1").inner_text() == "Check your email"
    link = re.search(r"http://\S+/password-reset/\S+/", mailoutbox[0].body)
    assert link
    page.goto(link.group(0))
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Save the password").click()
    assert "too short" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("New password", exact=True).fill("lantern-orchard-drizzle-58")
    page.get_by_label("New password confirmation").fill("lantern-orchard-drizzle-58")
    page.get_by_role("button", name="Save the password").click()
    page.wait_for_url(re.compile(r"/password-reset/done/$"))
    page.get_by_role("link", name="Sign in with your new password").click()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill("lantern-orchard-drizzle-58")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "Procurement portal"
