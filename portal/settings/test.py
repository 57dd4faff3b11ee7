"""pytest: the development settings on the test database, with faster password hashing."""

import os
import re

from portal.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests use their own Redis database (15 unless TEST_REDIS_URL says otherwise), so clearing
# the cache between tests never touches a developer's running portal, its queue or cache.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or re.sub(r"/\d+$", "", REDIS_URL) + "/15"  # noqa: F405
# Under pytest-xdist (`pytest -n 2`) each worker, gw0, gw1, ..., gets what no other may touch:
# pytest-django gives it its own test database (test_<name>_gw0); here its own Redis database
# (cache.clear() empties the whole database, queue included), counting down from the one
# above (15, 14, ...; Redis has 16), its own queue and media folder. A Celery worker a test
# starts inherits PYTEST_XDIST_WORKER, so it reads the same settings.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_worker_suffix = f"-{_xdist_worker}" if _xdist_worker else ""
if _xdist_worker:
    _base, _db = re.fullmatch(r"(.*?)(?:/(\d+))?", REDIS_URL).groups("0")  # type: ignore[union-attr]
    REDIS_URL = f"{_base}/{(int(_db) - int(_xdist_worker.removeprefix('gw'))) % 16}"
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "portal-test"  # noqa: F405
CELERY_BROKER_URL = REDIS_URL
# A transactional test's flush empties tables with DELETE, not TRUNCATE, and puts back the
# rows post_migrate writes only if the test changed them (tests/postgresql/base.py).
for _alias in ("default", "jobs"):
    DATABASES[_alias]["ENGINE"] = "tests.postgresql"  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / f"test-media{_worker_suffix}"  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests' jobs go to their own queue, so a developer's running worker never takes them.
CELERY_TASK_DEFAULT_QUEUE = f"portal-test{_worker_suffix}"

# A Celery worker started by a test (tests/conftest.py) is pointed at pytest's test database.
_test_database = os.environ.get("PORTAL_TEST_DATABASE_NAME")
if _test_database:
    for _alias in ("default", "jobs"):
        DATABASES[_alias]["NAME"] = _test_database  # noqa: F405
# In-process tests run inside one transaction per test, which a second connection cannot see;
# there job records go through the default connection. A worker uses the separate one.
JOBS_DATABASE = "jobs" if _test_database else "default"
# Serve static files straight from static/ and the finders: tests do not run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
