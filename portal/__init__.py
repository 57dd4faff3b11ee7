"""Procurement portal: settings, sign-in and roles, jobs, shared UI and reports."""

from typing import Any

__all__ = ["celery_app"]


def __getattr__(name: str) -> Any:
    # The Celery app on first use (`celery -A portal` asks for it; PortalConfig.ready loads it
    # in every Django process before a task can be sent), not on importing any portal module:
    # the import's chunk processes read files with portal's rules and send no task.
    if name == "celery_app":
        from portal.celery import app  # noqa: PLC0415

        return app
    raise AttributeError(f"module 'portal' has no attribute {name!r}")
