"""Data built once for a module's tests instead of once per test.

``built_once`` writes what ``build`` writes inside a transaction that stays open for the
module's tests and is rolled back after the last. Each test's own writes still roll back
after it (its ``db`` transaction is a savepoint inside this one), so no test sees another's.
Only for modules whose tests all use ``db``: a transactional test (live_server, a Celery
worker) would not see the uncommitted rows, and its flush would run inside this transaction.

    @pytest.fixture(scope="module")
    def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
        yield from built_once(django_db_blocker, build_the_demo)
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import transaction

T = TypeVar("T")


def built_once(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
