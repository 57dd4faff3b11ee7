"""The embedded fallback: with no PostgreSQL or Redis to use, the bootstrap starts its own.

PORTAL_EMBEDDED=always makes the bootstrap behave as on a laptop with neither installed
(the servers on the default ports are ignored), with its data in a temporary folder.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

CHECK = """
import os, django, redis
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_database(), version()")
    name, version = cursor.fetchone()
client = redis.Redis.from_url(os.environ["REDIS_URL"])
client.set("bootstrap-check", "ok")
print(f"database={name} host={connection.settings_dict['HOST']} {version.split(',')[0]}")
print("redis=" + client.get("bootstrap-check").decode())
"""


@pytest.mark.timeout(300)
def test_embedded_postgres_and_redis_start_migrate_and_stop(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        PORTAL_EMBEDDED="always",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="portal.settings.base",
    )
    boot = [sys.executable, "-m", "portal.bootstrap", "exec", "--"]
    migrate = subprocess.run(
        [*boot, sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "starting the embedded one" in migrate.stdout
    check = subprocess.run(
        [*boot, sys.executable, "-c", CHECK],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "database=portal" in check.stdout
    assert f"host={tmp_path / 'var' / 'pgdata'}" in check.stdout
    assert "PostgreSQL 16" in check.stdout
    assert "redis=ok" in check.stdout
    # Data is kept between runs under var/, and both servers were stopped afterwards.
    assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()
    assert "stopping the embedded PostgreSQL" in check.stdout
    assert "stopping the embedded Redis" in check.stdout
    leftover = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "var")], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == ""
