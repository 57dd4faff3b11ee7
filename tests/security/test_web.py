"""Security review (issue 23), part A: the web tier. One test per item, named after it."""

import json
import re
import subprocess
import sys
from pathlib import Path

from django.db import connection

from portal import deploy_check

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
