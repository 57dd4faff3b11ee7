"""Celery tasks. Each only calls a service; the work and its record-keeping live in services."""

from celery import shared_task

from portal import services


@shared_task(name="portal.run_job", ignore_result=True)
def run_job(job_id: int) -> None:
    services.job_run(job_id=job_id)


@shared_task(name="portal.ping", ignore_result=False)
def ping() -> str:
    """Answered by a live worker; /healthz uses the control ping, tests may use this."""
    return "pong"


@shared_task(name="portal.start_scheduled_job", ignore_result=True)
def start_scheduled_job(kind: str, title: str) -> None:
    services.job_start(kind=kind, title=title)
