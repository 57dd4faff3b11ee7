"""Writes for the portal itself: users and roles, sign-in throttling, job records and the
home area."""

import hashlib
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import DatabaseError, connections, transaction
from django.dispatch import Signal
from django.utils import timezone

from portal import locality
from portal.jobs import JobFailed, Progress, handler_for, job_handler
from portal.models import (
    JOB_QUEUE_UNREACHABLE,
    JOB_STALL_SECONDS,
    HomeArea,
    HomeAreaDistrict,
    Job,
    User,
)
from portal.roles import Role
from portal.tasks import run_job

logger = logging.getLogger(__name__)

# Sent in the transaction that changes the home area, with ``user``. The apps that keep a
# locality class (spend's sites and summary) re-classify in a job and return it, so the
# portal needs to import none of them.
home_area_changed = Signal()

# ---------------------------------------------------------------------------------------------
# Users and roles


def roles_ensure() -> None:
    """Create the role groups if they are missing (migrations also do this)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def user_create(
    *, email: str, role: Role, password: str | None = None, full_name: str = ""
) -> User:
    """Create a user holding one role, or give an existing user that role."""
    roles_ensure()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role.value))
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: list[Role], active: bool) -> User:
    roles_ensure()
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


# ---------------------------------------------------------------------------------------------
# Sign-in throttling. Failures are counted three ways, each with its own limit:
# - an account from one client address: the pause a mistyped password or a guesser meets;
# - a client address, over all accounts: one address trying many accounts is paused;
# - an account, over all addresses: guessing one account from many addresses is paused.
# One address can add at most the first limit to an account's count, below the third, so it
# cannot lock the account for anyone elsewhere (the client address comes from the trusted
# proxy, TRUSTED_PROXY_IPS, not from whatever X-Forwarded-For a client sends).


def _throttle_limits(email: str, client_ip: str) -> dict[str, int]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    limit = settings.SIGN_IN_MAX_FAILURES
    return {
        f"sign-in-failures:email-ip:{digest}:{client_ip}": limit,
        # Looser: a council office shares one address.
        f"sign-in-failures:ip:{client_ip}": limit * 4,
        f"sign-in-failures:email:{digest}": limit * 10,
    }


def sign_in_locked(*, email: str, client_ip: str) -> bool:
    limits = _throttle_limits(email, client_ip)
    counts = cache.get_many(list(limits))
    return any(counts.get(key, 0) >= limit for key, limit in limits.items())


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def sign_in_failed(*, email: str, client_ip: str) -> None:
    for key in _throttle_limits(email, client_ip):
        _count(key, settings.SIGN_IN_LOCKOUT_SECONDS)


def sign_in_succeeded(*, email: str, client_ip: str) -> None:
    cache.delete(next(iter(_throttle_limits(email, client_ip))))


def sign_in_unlock(*, email: str, client_ip: str) -> None:
    """After a password reset: the account's own pauses end for it, here and everywhere; the
    address's pause over all accounts stays."""
    keys = list(_throttle_limits(email, client_ip))
    cache.delete_many([keys[0], keys[2]])


# Password reset emails: a few an hour for one address, more from one client address, so the
# form cannot be used to flood someone's inbox. Counted whether or not the account exists.
PASSWORD_RESETS_PER_EMAIL = 3
PASSWORD_RESETS_PER_CLIENT = 20
PASSWORD_RESET_WINDOW_SECONDS = 60 * 60


def password_reset_allowed(*, email: str, client_ip: str) -> bool:
    """Count a request for a reset email; False once either limit for the hour is passed."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    window = PASSWORD_RESET_WINDOW_SECONDS
    by_email = _count(f"password-reset:email:{digest}", window)
    by_client = _count(f"password-reset:ip:{client_ip}", window)
    return by_email <= PASSWORD_RESETS_PER_EMAIL and by_client <= PASSWORD_RESETS_PER_CLIENT


# ---------------------------------------------------------------------------------------------
# Jobs


def email_after_commit(*, subject: str, body: str, to: str) -> None:
    """Send an email once the caller's transaction commits: a link is never mailed for a
    record that was rolled back."""
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])
    )


def job_start(
    *, kind: str, title: str, params: dict[str, Any] | None = None, user: User | None = None
) -> Job:
    """Record a job and queue it for a worker once the caller's transaction commits."""
    handler_for(kind)  # fail now, not in the worker, if nothing can run it
    job = Job.objects.create(kind=kind, title=title, params=params or {}, created_by=user)
    _enqueue(job)
    return job


def job_retry(*, job: Job) -> Job:
    """Put a failed, stalled or never-started job back on the queue, keeping its history."""
    if not job.can_run_again:
        raise JobFailed(
            "Only a failed or stalled job, or one that has waited a while without starting, "
            "can be run again."
        )
    # heartbeat_at marks when it was queued again, so it is not "waiting too long" at once.
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.QUEUED,
        progress=0,
        message="Queued to run again.",
        error="",
        heartbeat_at=timezone.now(),
    )
    job.refresh_from_db()
    _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    transaction.on_commit(lambda: _send_to_queue(job.pk))


def _send_to_queue(job_id: int) -> None:
    """Hand the job to the queue; if the queue cannot be reached, the job stays recorded
    as queued, says so, and can be run again from its page once the queue is back."""

    try:
        run_job.delay(job_id)
    except Exception as error:  # kombu raises OperationalError, redis ConnectionError, ...
        logger.warning("Job %s could not be queued: %s", job_id, error)
        Job.objects.using(settings.JOBS_DATABASE).filter(pk=job_id).update(
            message=JOB_QUEUE_UNREACHABLE
        )


def job_progress(job_id: int, percent: int, message: str = "") -> None:
    """Report progress on the separate ``jobs`` connection, outside the work's transaction."""
    fields: dict[str, Any] = {
        "progress": max(0, min(100, int(percent))),
        "heartbeat_at": timezone.now(),
    }
    if message:
        fields["message"] = message[:500]
    Job.objects.using(settings.JOBS_DATABASE).filter(pk=job_id).update(**fields)


def job_run(*, job_id: int) -> Job:
    """Run a queued job: mark it running, call its service, record the result or the failure.

    The same function runs in a Celery worker and in-process (management commands), so a job
    behaves identically wherever it runs.
    """
    with _job_lock(job_id) as held:
        if not held:
            # Another process is running this job now (a second delivery of its message).
            return Job.objects.get(pk=job_id)
        return _job_run_locked(job_id)


@contextmanager
def _job_lock(job_id: int) -> Iterator[bool]:
    """A PostgreSQL advisory lock held while the job runs, on the ``jobs`` connection. The
    server releases it when the process holding it dies, so it tells a job whose worker
    died (lock free, still marked running) from one still running elsewhere (lock held)."""
    connection = connections[settings.JOBS_DATABASE]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_JOB_LOCK_SPACE, job_id])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_JOB_LOCK_SPACE, job_id])
            except DatabaseError:
                # The connection is gone or unusable: the server released the lock with it.
                logger.warning("Job %s: its lock could not be released", job_id, exc_info=True)


# The first key of the job locks' two-key advisory locks ("jobs" in ASCII), apart from others.
_JOB_LOCK_SPACE = 0x6A6F6273


def _job_run_locked(job_id: int) -> Job:
    job = Job.objects.get(pk=job_id)
    if job.status == Job.Status.SUCCEEDED:
        return job  # a redelivered task for finished work does nothing
    if job.status == Job.Status.RUNNING:
        # Delivered again while marked running, and nobody holds its lock: the worker that
        # ran it died (killed, or out of memory on this very input). Running it again could
        # kill the next worker the same way, for ever; fail it and let a person decide.
        logger.warning("Job %s (%s) was redelivered after its worker died", job_id, job.kind)
        return _job_finish(
            job_id,
            Job.Status.FAILED,
            error="The worker running this job stopped part-way (it may have run out of "
            "memory, or been restarted). Nothing it was doing was saved. The job was not "
            "started again by itself, so it cannot stop another worker the same way: run it "
            "again, and if it stops again, tell the portal's administrator (for an import, "
            "try the file split into smaller files or saved as CSV).",
        )
    now = timezone.now()
    Job.objects.using(settings.JOBS_DATABASE).filter(pk=job_id).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=job.attempts + 1,
        error="",
        progress=0,
        message="Started.",
    )
    job.refresh_from_db()

    def progress(percent: int, message: str = "") -> None:
        job_progress(job_id, percent, message)

    try:
        result = handler_for(job.kind)(job, progress)
    except (JobFailed, LookupError) as failure:
        return _job_finish(job_id, Job.Status.FAILED, error=str(failure))
    except Exception as failure:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        detail = "".join(traceback.format_exception_only(type(failure), failure)).strip()
        return _job_finish(
            job_id,
            Job.Status.FAILED,
            error=f"The job stopped with an unexpected error: {detail}. "
            "Nothing it was doing was saved. Run it again; if it fails again, tell the "
            "portal's administrator.",
        )
    return _job_finish(job_id, Job.Status.SUCCEEDED, result=result or {})


def _job_finish(
    job_id: int, status: str, *, error: str = "", result: dict[str, Any] | None = None
) -> Job:
    fields: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "error": error}
    if status == Job.Status.SUCCEEDED:
        fields.update(progress=100, message="Finished.", result=result or {})
    else:
        fields["message"] = "Failed."
    Job.objects.using(settings.JOBS_DATABASE).filter(pk=job_id).update(**fields)
    return Job.objects.using(settings.JOBS_DATABASE).get(pk=job_id)


def jobs_fail_stalled() -> int:
    """Mark running jobs whose worker has gone silent as failed, so they can be run again."""
    cutoff = timezone.now() - timedelta(seconds=JOB_STALL_SECONDS)
    return Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        message="Failed.",
        error="The worker running this job stopped responding, so the job was abandoned. "
        "Nothing it was doing was saved. Run it again.",
    )


@job_handler("portal.housekeeping")
def housekeeping(job: Job, progress: Progress) -> dict[str, Any]:
    """Nightly: clear expired sessions and release jobs whose worker died."""

    sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    progress(50, "Expired sessions cleared.")
    stalled = jobs_fail_stalled()
    return {"expired_sessions": sessions, "stalled_jobs": stalled}


# ---------------------------------------------------------------------------------------------
# Per-client limits for anonymous forms


def client_limit_reached(*, scope: str, client: str, limit: int, window_seconds: int) -> bool:
    """Count one more use of ``scope`` by ``client`` in the current window; True once the
    client has used it ``limit`` times already (that use is then refused)."""
    digest = hashlib.sha256(client.encode()).hexdigest()[:32]
    key = f"client-limit:{scope}:{digest}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        used = 1
    return used > limit


# ---------------------------------------------------------------------------------------------
# The home area


@transaction.atomic
def home_area_set(
    *, region: str, local_authorities: list[str], user: User | None = None
) -> list[Job]:
    """Replace the home area and bump its version; returns the re-classification jobs the
    apps started (each rebuilds what it keeps by locality class)."""
    area, _ = HomeArea.objects.select_for_update().get_or_create(pk=1, defaults={"region": ""})
    area.region = region.strip()
    area.version += 1
    area.changed_at = timezone.now()
    area.changed_by = user
    area.save()
    HomeAreaDistrict.objects.all().delete()
    names = sorted({name.strip() for name in local_authorities if name.strip()})
    HomeAreaDistrict.objects.bulk_create([HomeAreaDistrict(local_authority=n) for n in names])
    locality.home_area_forget()
    transaction.on_commit(locality.home_area_forget)
    responses = home_area_changed.send(sender=HomeArea, user=user)
    answers: list[object] = [response for _, response in responses]
    return [answer for answer in answers if isinstance(answer, Job)]
