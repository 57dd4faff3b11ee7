"""Security review (issue 23), part A: the web tier. One test per item, named after it."""

import json
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
from portal import deploy_check
from portal.models import User
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
    ] == reverse("portal:home")
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
