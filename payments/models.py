"""Procurement Act 2023 payment duties: the payments compliance notice (s.69, Procurement
Regulations 2024 reg 38), its scope, the open invoices at a period's end, and approvals.

Paid invoices are the spend ledger's (``spend.Payment``); this app only reads them.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReceivedDateRule(models.TextChoices):
    INVOICE_DATE = "invoice_date", "The invoice date"
    INVOICE_DATE_PLUS = "invoice_date_plus", "The invoice date plus a number of days"


class PaymentDutySettings(models.Model):
    """The council's choices for the notice (one row): who it is, and the rule for an invoice
    whose received date the extract does not carry."""

    authority_name = models.CharField(max_length=200, blank=True)
    authority_address = models.TextField(blank=True)
    authority_email = models.EmailField(blank=True)
    ppon = models.CharField(
        "PPON", max_length=40, blank=True, help_text="Public Procurement Organisation Number."
    )
    received_rule = models.CharField(
        max_length=20, choices=ReceivedDateRule.choices, default=ReceivedDateRule.INVOICE_DATE
    )
    received_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days added to the invoice date when the rule says so."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "payment duty settings"

    def __str__(self) -> str:
        return "Payment duty settings"

    @property
    def days_added(self) -> int:
        return self.received_days if self.received_rule == ReceivedDateRule.INVOICE_DATE_PLUS else 0

    @property
    def rule_text(self) -> str:
        if self.days_added:
            return (
                f"the invoice date plus {self.days_added} day{'s' if self.days_added > 1 else ''}"
            )
        return "the invoice date"


class ScopeExclusion(models.Model):
    """Payments that are not under a public contract: a category, or account codes that start
    with a prefix (grants, payroll deductions, payments to other public bodies)."""

    category = models.ForeignKey(
        "spend.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account_prefix = models.CharField(max_length=30, blank=True)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category__name", "account_prefix"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(category__isnull=False) & models.Q(account_prefix=""))
                | (models.Q(category__isnull=True) & ~models.Q(account_prefix="")),
                name="payments_exclusion_one_kind",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(category__isnull=False),
                name="payments_exclusion_category_once",
            ),
            models.UniqueConstraint(
                fields=["account_prefix"],
                condition=~models.Q(account_prefix=""),
                name="payments_exclusion_prefix_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.category_id:
            return f"Category: {self.category}"
        return f"Account codes starting {self.account_prefix}"


class OpenInvoiceImport(models.Model):
    """One upload of the open (unpaid) invoices at a date: an aged-creditors extract.

    A later file for the same date replaces the earlier one whole, in one transaction; the same
    file twice is recognised by its SHA-256 and changes nothing."""

    class Status(models.TextChoices):
        LOADED = "loaded", "Loaded"
        REPLACED = "replaced", "Replaced by a later file"
        DUPLICATE = "duplicate", "Already imported"
        REJECTED = "rejected", "Rejected"

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    as_at = models.DateField(null=True, blank=True, help_text="The day the extract shows.")
    status = models.CharField(max_length=10, choices=Status.choices)
    rows_loaded = models.PositiveIntegerField(default=0)
    total_pence = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    error_line = models.PositiveIntegerField(null=True, blank=True)
    error_column = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class OpenInvoice(models.Model):
    """An invoice not yet paid on the extract's date. Money in integer pence."""

    batch = models.ForeignKey(OpenInvoiceImport, on_delete=models.CASCADE, related_name="invoices")
    as_at = models.DateField()
    supplier_number = models.CharField(max_length=40)
    supplier_name = models.CharField(max_length=240)
    invoice_number = models.CharField(max_length=100)
    invoice_date = models.DateField(null=True, blank=True)
    received_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    amount_pence = models.BigIntegerField(help_text="Outstanding; negative for a credit note.")
    disputed = models.BooleanField(default=False)
    account = models.CharField(max_length=60, blank=True)
    # By the spend category rules on the account, so category exclusions apply here too.
    category = models.ForeignKey(
        "spend.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    source_line = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["as_at", "due_date"], name="payments_open_asat_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "supplier_number", "invoice_number"],
                name="payments_open_invoice_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier_number} {self.invoice_number} {self.amount_pence}p"


class PaymentsComplianceNotice(models.Model):
    """A reporting period's notice: a draft until a named finance officer approves it, when
    its figures are frozen in ``figures`` (what the PDF, CSV and JSON are made from)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    period_start = models.DateField(unique=True)
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    figures = models.JSONField(null=True, blank=True)
    approver_name = models.CharField(max_length=200, blank=True)
    approver_job_title = models.CharField(max_length=200, blank=True)
    approval_statement = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"Payments compliance notice {self.period_start} to {self.period_end}"


class BaseRate(models.Model):
    """The Bank of England base rate from a day (data: the administrator adds each change)."""

    effective_from = models.DateField(unique=True)
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Per cent a year.")

    class Meta:
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"{self.rate}% from {self.effective_from}"
