"""People who sign in, and the record every long-running job keeps."""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.urls import reverse
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their work email address."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    # Django admin access (the data-steward back office), separate from the portal roles.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Job(models.Model):
    """One long-running piece of work (an import, a report) and how it is going.

    Every job has one of these so the person who started it can watch progress, read why it
    failed and run it again. Progress is written through the separate ``jobs`` database
    connection (see ``portal.services.job_progress``) so it shows while the work's own
    transaction is still open.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50, db_index=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, 0 to 100.")
    message = models.CharField(max_length=500, blank=True, help_text="What the job is doing now.")
    error = models.TextField(blank=True, help_text="Why the job failed, in plain words.")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("portal:job-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def is_waiting_too_long(self) -> bool:
        """Queued, and no worker has taken it for a while: the queue may have been down."""
        if self.status != self.Status.QUEUED:
            return False
        queued_at = self.heartbeat_at or self.created_at
        return (timezone.now() - queued_at).total_seconds() > JOB_QUEUE_STALE_SECONDS

    @property
    def can_run_again(self) -> bool:
        return self.status == self.Status.FAILED or self.is_stalled or self.is_waiting_too_long

    @property
    def is_stalled(self) -> bool:
        """Running, but no sign of life for a while: its worker probably died."""
        if self.status != self.Status.RUNNING or self.heartbeat_at is None:
            return False
        return (timezone.now() - self.heartbeat_at).total_seconds() > JOB_STALL_SECONDS


# A running job writes a heartbeat at least this often; twice that without one means stalled.
JOB_HEARTBEAT_SECONDS = 30
JOB_STALL_SECONDS = 5 * 60
# A queued job no worker has taken in this long may be run again (its message may be lost).
JOB_QUEUE_STALE_SECONDS = 2 * 60
# What a job says when it was recorded but its message could not be put on the queue.
JOB_QUEUE_UNREACHABLE = (
    "Waiting: the job queue could not be reached. Run it again once the portal's job queue is back."
)


class HomeArea(models.Model):
    """The council's home area: one row, with the region around it and a version bumped on
    every change (portal.locality caches the area under it). Its districts are
    ``HomeAreaDistrict`` rows; settings.HOME_AREA_DISTRICTS and HOME_REGION are only the first
    value, seeded at migrate time."""

    region = models.CharField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Home area (version {self.version})"


class HomeAreaDistrict(models.Model):
    """A local authority district that is part of the home area, named as the postcode
    district lookup names it."""

    local_authority = models.CharField(max_length=100, unique=True)

    class Meta:
        verbose_name = "home area district"
        ordering = ["local_authority"]

    def __str__(self) -> str:
        return self.local_authority
