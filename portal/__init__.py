"""Procurement portal: settings, sign-in and roles, jobs, shared UI and reports."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
