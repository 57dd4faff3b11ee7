"""Deployment artefacts: production settings pass Django's deploy checks; compose is valid."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def clean_environment() -> dict[str, str]:
    """The environment a deployment has: none of the test run's own switches."""
    leave_out = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}
    return {k: v for k, v in os.environ.items() if k not in leave_out}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=BASE_DIR,
        env={**clean_environment(), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_production_settings_pass_check_deploy() -> None:
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="procurement.example.gov.uk",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    result = run(
        [sys.executable, "manage.py", "check"], DJANGO_SETTINGS_MODULE="portal.settings.production"
    )
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr


def test_a_colour_that_is_not_hex_is_refused() -> None:
    result = run(
        [sys.executable, "manage.py", "check"], COUNCIL_BRAND_COLOUR="red;} body{display:none"
    )
    assert result.returncode != 0
    assert "Council colours must look like #0b4f6c" in result.stderr


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = run([str(checker), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"])
    assert result.returncode == 0, result.stdout + result.stderr
    compose = (BASE_DIR / "docker-compose.yml").read_text()
    for service in ("db:", "redis:", "web:", "worker:", "beat:"):
        assert f"\n  {service}" in compose
