"""Self-assessment records: frameworks (copied from the JSON files), organisations,
assessments with their answers, and invitations for other organisations' officers.

The framework files in ``diagnostics/frameworks/`` are the source; ``Framework`` rows are
kept in step with them after every ``migrate`` (see ``apps.py`` and
``services.frameworks_sync``) so an assessment always points at the exact version it
answered, even after a newer version ships.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from diagnostics import framework_files


class Framework(models.Model):
    """One version of one maturity framework, with its definition as stored JSON."""

    slug = models.SlugField(max_length=50)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=200)
    public = models.BooleanField(default=False, help_text="Anyone may take it without signing in.")
    definition = models.JSONField(help_text="The framework file's content, as loaded.")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="diag_framework_slug_version")
        ]

    def __str__(self) -> str:
        return f"{self.short_title} (version {self.version})"

    @property
    def key(self) -> str:
        return f"{self.slug}.v{self.version}"

    @cached_property
    def spec(self) -> framework_files.Framework:
        """The validated framework (levels, themes, questions) the scoring functions take."""
        return framework_files.framework_from_dict(self.definition, source=self.key)


class Organisation(models.Model):
    """A council, supplier or other body whose officers answer self-assessments."""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council or other public body"
        SUPPLIER = "supplier", "Supplier"
        OTHER = "other", "Other organisation"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COUNCIL)
    is_host = models.BooleanField(
        default=False, help_text="The council that runs this portal (there is one)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_host"], condition=Q(is_host=True), name="diag_one_host_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Assessment(models.Model):
    """One round of one organisation answering one framework version (or an anonymous one)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="assessments")
    # Null for anonymous responses to a public framework (the SVMI quick test).
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    respondent_kind = models.CharField(
        max_length=10,
        choices=Organisation.Kind.choices,
        blank=True,
        help_text="For anonymous responses: what kind of organisation answered.",
    )
    round_label = models.CharField(max_length=100, blank=True)
    round_date = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="diagnostic_assessments",
    )
    respondent_name = models.CharField(max_length=200, blank=True)
    respondent_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-round_date", "-created_at"]
        indexes = [models.Index(fields=["framework", "status"])]

    def __str__(self) -> str:
        who = self.organisation.name if self.organisation else "Anonymous response"
        return f"{who}: {self.framework.short_title} {self.round_label}".strip()

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_anonymous(self) -> bool:
        return self.organisation_id is None


class Answer(models.Model):
    """The level chosen for one question (or none yet) and the evidence noted for it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question_code = models.CharField(max_length=20)
    # NULL is "not answered" (distinct from any level code), as the scoring functions take it.
    level_code = models.CharField(max_length=50, null=True, blank=True)  # noqa: DJ001
    evidence = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment", "question_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_code"], name="diag_answer_once_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_code}: {self.level_code or 'not answered'}"


class Invitation(models.Model):
    """A link emailed to another organisation's officer, who answers without an account.

    Only a SHA-256 hash of the token is stored: the link in the email is the only copy.
    """

    email = models.EmailField()
    organisation_name = models.CharField(max_length=200)
    organisation_kind = models.CharField(
        max_length=10, choices=Organisation.Kind.choices, default=Organisation.Kind.COUNCIL
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="diagnostic_invitations",
    )
    assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.organisation_name})"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def status_label(self) -> str:
        if self.assessment and not self.assessment.is_draft:
            return "Submitted"
        if self.expired:
            return "Expired"
        if self.assessment:
            return "Started"
        return "Sent"
