"""Reads for the portal itself: users, jobs and the health of the services it depends on."""

from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import QuerySet

from portal.celery import app
from portal.models import JOB_QUEUE_UNREACHABLE, HomeArea, Job, User
from portal.roles import Role, has_role


def home_area_record() -> HomeArea | None:
    """The home area's row (who changed it last, and when)."""
    return HomeArea.objects.select_related("changed_by").filter(pk=1).first()


def users_list() -> QuerySet[User]:
    return User.objects.prefetch_related("groups").order_by("email")


def jobs_visible_to(user: Any) -> QuerySet[Job]:
    """Administrators see every job; others see the jobs they started."""
    jobs = Job.objects.select_related("created_by")
    if has_role(user, Role.ADMINISTRATOR):
        return jobs
    return jobs.filter(created_by=user)


def jobs_not_queued(job_ids: list[int]) -> int:
    """How many of these jobs are recorded but could not be put on the queue."""
    return Job.objects.filter(
        pk__in=job_ids, status=Job.Status.QUEUED, message=JOB_QUEUE_UNREACHABLE
    ).count()


def health() -> dict[str, Any]:
    """Reachability of the database, Redis and at least one Celery worker."""
    checks: dict[str, Any] = {}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as error:
        checks["database"] = {"ok": False, "error": type(error).__name__}
    try:
        cache.set("healthz", "1", timeout=10)
        checks["redis"] = {"ok": cache.get("healthz") == "1"}
    except Exception as error:
        checks["redis"] = {"ok": False, "error": type(error).__name__}
    try:
        replies = (app.control.ping(timeout=1.0) or []) if checks["redis"]["ok"] else []
        checks["worker"] = {"ok": bool(replies), "workers": len(replies)}
    except Exception as error:
        checks["worker"] = {"ok": False, "error": type(error).__name__}
    checks["ok"] = all(value["ok"] for value in checks.values() if isinstance(value, dict))
    return checks
