"""Social value: the measures catalogue, each contract's approach and commitments, and the
quarterly delivery returns suppliers make through a per-contract link.

Catalogue: ``Theme`` → ``Outcome`` → ``Measure`` (code, title, unit), and ``MeasureProxy``
rows giving the measure's value in £ per unit from a financial year on. The proxy in force
for a year is the row with the greatest ``valid_from_fy`` not after that year, so a proxy can
change year to year without rewriting earlier figures.

Per contract: ``ContractApproach`` (additional, prescribed or required social value);
``Commitment`` (a measure, a target quantity, the financial year it is for);
``DeliveryReturn`` (a quarter's delivered quantity with evidence; only verified returns count
as delivered). ``SupplierLink`` is a supplier's way in: a random token (only its hash is
stored), scoped to one contract and one awarded supplier, that expires.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from contracts.models import AwardedSupplier, Contract

FY_VALIDATORS = [MinValueValidator(2000), MaxValueValidator(2100)]


class Theme(models.Model):
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    mission = models.CharField(
        max_length=200, blank=True, help_text="The national mission or theme it follows."
    )
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Outcome(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="outcomes")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["theme__position", "position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Measure(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="measures")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=60, help_text="What one unit is, e.g. FTE-years, hours.")
    active = models.BooleanField(
        default=True, help_text="Inactive measures stay on old commitments but cannot be chosen."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["outcome__theme__position", "outcome__position", "position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class MeasureProxy(models.Model):
    """A measure's value in £ per unit from financial year ``valid_from_fy`` on."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="proxies")
    valid_from_fy = models.PositiveSmallIntegerField(
        "valid from (financial year)",
        validators=FY_VALIDATORS,
        help_text="The starting year: 2024 means 2024/25.",
    )
    value = models.DecimalField(
        "proxy value (£ per unit)",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    basis = models.TextField(blank=True, help_text="Where the value comes from.")

    class Meta:
        ordering = ["measure", "valid_from_fy"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "valid_from_fy"], name="measure_proxy_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} from {self.valid_from_fy}: £{self.value}"


class Approach(models.TextChoices):
    ADDITIONAL = "additional", "Additional social value"
    PRESCRIBED = "prescribed", "Prescribed social value"
    REQUIRED = "required", "Required social value"


APPROACH_HINTS = {
    Approach.ADDITIONAL: "Offered by the supplier over and above what the contract needs.",
    Approach.PRESCRIBED: "Chosen from the council's prescribed list of measures.",
    Approach.REQUIRED: "A contractual obligation: part of what must be delivered.",
}


class ContractApproach(models.Model):
    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, related_name="social_value_approach"
    )
    approach = models.CharField(max_length=12, choices=Approach.choices)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.contract.reference}: {self.get_approach_display()}"


class Commitment(models.Model):
    """A supplier's promise on a contract: ``target_quantity`` units of a measure in a year."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="social_value_commitments"
    )
    # Blank: the contract's supplier(s) as a whole. A framework's commitments name a supplier.
    supplier = models.ForeignKey(
        AwardedSupplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="commitments")
    target_quantity = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    period_fy = models.PositiveSmallIntegerField("financial year", validators=FY_VALIDATORS)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["contract", "period_fy", "measure__code", "pk"]
        indexes = [models.Index(fields=["period_fy"])]

    def __str__(self) -> str:
        return f"{self.measure.code} x {self.target_quantity} in {self.period_fy}"


QUARTER_LABELS = {
    1: "April to June",
    2: "July to September",
    3: "October to December",
    4: "January to March",
}


class DeliveryReturn(models.Model):
    """What was delivered against a commitment in one quarter of its financial year."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="returns")
    period_fy = models.PositiveSmallIntegerField(validators=FY_VALIDATORS)
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="Quarter of the financial year: 1 is April to June.",
    )
    quantity = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    evidence_note = models.TextField(blank=True)
    evidence = models.FileField(upload_to="socialvalue/evidence/%Y/%m/", blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by_name = models.CharField(max_length=200, blank=True)
    link = models.ForeignKey(
        "SupplierLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="returns"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["commitment", "period_fy", "quarter", "submitted_at"]
        constraints = [
            # A rejected return can be sent again; otherwise one return per quarter.
            models.UniqueConstraint(
                fields=["commitment", "period_fy", "quarter"],
                condition=~Q(status="rejected"),
                name="one_live_return_per_quarter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment} Q{self.quarter} {self.period_fy}: {self.quantity}"

    @property
    def quarter_label(self) -> str:
        return quarter_label(self.period_fy, self.quarter)


def quarter_label(fy: int, quarter: int) -> str:
    """``Q1 2024/25 (April to June)``."""
    return f"Q{quarter} {fy}/{(fy + 1) % 100:02d} ({QUARTER_LABELS[quarter]})"


class SupplierLink(models.Model):
    """A supplier's link for one contract: no account needed, the token is the key.

    Only a SHA-256 hash of the token is stored; the link shown once to the officer is the only
    copy. A link stops working when it expires or is revoked.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="social_value_links"
    )
    supplier = models.ForeignKey(AwardedSupplier, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link for {self.supplier.name} on {self.contract.reference}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ReturnReminder(models.Model):
    """A reminder emailed to a supplier's contact about its overdue returns, with a new link
    (links are kept only as hashes, so a reminder carries a fresh one)."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="social_value_reminders"
    )
    supplier = models.ForeignKey(AwardedSupplier, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(SupplierLink, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_to = models.EmailField()
    quarters = models.CharField(max_length=500, help_text="The quarters overdue when it was sent.")
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Reminder to {self.sent_to} on {self.contract.reference}"
