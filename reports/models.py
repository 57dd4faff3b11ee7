"""Committee report editions: one meeting's report, its front sheet and officers' narrative.

A draft shows the live figures; finalising freezes them: the figures and each section's
rendered table are kept as JSON and the PDF as a file, and a final edition is never recomputed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Edition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINAL = "final", "Final"

    fy = models.PositiveSmallIntegerField(help_text="Financial year by its first year.")
    committee = models.CharField(max_length=200)
    meeting_date = models.DateField()
    as_at = models.DateField(
        null=True,
        blank=True,
        help_text="Figures as at this date; empty means the end of the financial year.",
    )
    report_of = models.CharField(max_length=200, blank=True)
    contact_officer = models.CharField(max_length=200, blank=True)
    purpose = models.TextField(blank=True)
    # Officers' text by section anchor ("introduction", "recommendations", "key-spend", ...).
    narrative = models.JSONField(default=dict, blank=True)
    approximate_top = models.BooleanField(
        default=False, help_text="Round the top suppliers' spend as the reference report does."
    )
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.DRAFT)
    # Frozen at finalising: the figures and each section's rendered table, and the PDF.
    frozen = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(upload_to="reports/editions/", blank=True)
    # The same frozen edition as a Word document, for the committee clerk's template.
    docx = models.FileField(upload_to="reports/editions/", blank=True)
    started_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fy", "-meeting_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="final") | models.Q(finalised_at__isnull=False),
                name="final_edition_has_finalised_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.committee}, {self.meeting_date:%-d %B %Y}"

    def get_absolute_url(self) -> str:
        return reverse("reports:edition", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    def text(self, anchor: str) -> str:
        value: Any = (self.narrative or {}).get(anchor, "")
        return value if isinstance(value, str) else ""
