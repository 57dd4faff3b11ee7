"""`pytest -n 2` (pytest-xdist): each worker's Redis database, queue and media folder are its
own, so one worker's cache.clear() or queue purge never reaches another's (settings/test.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
READ = (
    "import json; from django.conf import settings as s; print(json.dumps([s.REDIS_URL, "
    "s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL, s.CELERY_TASK_DEFAULT_QUEUE, "
    "str(s.MEDIA_ROOT)]))"
)


def _settings(worker: str | None, redis_url: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    env |= {"DJANGO_SETTINGS_MODULE": "portal.settings.test", "TEST_REDIS_URL": redis_url}
    if worker:
        env["PYTEST_XDIST_WORKER"] = worker
    out = subprocess.run(
        [sys.executable, "-c", READ], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


@pytest.mark.parametrize("redis_url", ["redis://127.0.0.1:6379/9", "redis://127.0.0.1:6379/0"])
def test_each_worker_has_its_own_redis_queue_and_media(redis_url: str) -> None:
    alone = _settings(None, redis_url)
    workers = [_settings(f"gw{n}", redis_url) for n in range(3)]
    for redis, cache, broker, _queue, _media in [alone, *workers]:
        assert redis == cache == broker  # the cache and the queue on the same database
    redis_dbs = {int(w[0].rsplit("/", 1)[1]) for w in workers}
    assert len(redis_dbs) == len(workers)
    assert all(0 <= db < 16 for db in redis_dbs)
    assert len({w[3] for w in workers}) == len(workers)  # queues
    assert len({w[4] for w in workers}) == len(workers)  # media folders
    # Without xdist, or as its first worker, the database asked for.
    assert alone[0] == workers[0][0] == redis_url
