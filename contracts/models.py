"""The contract register, its awarded suppliers, and the frozen quarterly publications.

A contract has one or more awarded suppliers (a framework can have 129). Officers keep the
live register (``Contract``, ``AwardedSupplier``); each quarter a publication copies it into
snapshot tables (``PublishedContract``, ``PublishedSupplier``) so later edits never change
what was published. The public sees only published snapshots.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Category(models.TextChoices):
    CORPORATE = "Corporate", "Corporate"
    CONSTRUCTION = "Construction and Assets", "Construction and Assets"
    DIGITAL = "Digital", "Digital"
    CARE = "Care and Public Health", "Care and Public Health"


class Route(models.TextChoices):
    OPEN = "Open", "Open"
    RESTRICTED = "Restricted", "Restricted"
    COMPETITIVE_FLEXIBLE = "Competitive flexible", "Competitive flexible"
    DIRECT_AWARD = "Direct award", "Direct award"
    CALL_OFF = "Call-off from framework", "Call-off from framework"
    QUOTATION = "Below threshold quotation", "Below threshold quotation"
    PSR = "Provider Selection Regime", "Provider Selection Regime"
    WAIVER = "Waiver", "Waiver"


class Regime(models.TextChoices):
    """The law the contract was procured under: decides which notices it needs."""

    PCR_2015 = "pcr2015", "Public Contracts Regulations 2015"
    ACT = "act", "Procurement Act 2023"
    LIGHT_TOUCH = "light-touch", "Procurement Act 2023, light touch"
    PSR = "psr", "Provider Selection Regime"


class MainCategory(models.TextChoices):
    """OCDS mainProcurementCategory: works changes may grow by 15% before a notice, others 10%."""

    GOODS = "goods", "Goods"
    SERVICES = "services", "Services"
    WORKS = "works", "Works"


class ContractFields(models.Model):
    """The contract-level columns of the register layout, shared by live and published rows."""

    reference = models.CharField(max_length=64)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    department = models.CharField(max_length=200)
    category = models.CharField(max_length=40, choices=Category.choices, blank=True)
    procurement_route = models.CharField(max_length=40, choices=Route.choices, blank=True)
    cpv_code = models.CharField("CPV code", max_length=8, blank=True)
    award_date = models.DateField()
    start_date = models.DateField()
    # Required by the layout; blank only for notices imported from Contracts Finder, which
    # do not say when the contract ends.
    end_date = models.DateField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True)
    awarded_value = models.DecimalField(
        max_digits=16, decimal_places=2, help_text="The whole contract's value, VAT excluded."
    )
    vat_not_recoverable = models.DecimalField(
        "VAT not recoverable", max_digits=16, decimal_places=2, default=Decimal("0.00")
    )
    framework = models.BooleanField(default=False)
    ocid = models.CharField("Open Contracting ID", max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class SupplierFields(models.Model):
    """The supplier-level columns of the register layout."""

    name = models.CharField("supplier name", max_length=300)
    supplier_number = models.CharField(
        max_length=50,
        blank=True,
        db_index=True,
        help_text="The supplier's number in the finance system: links the contract to spend.",
    )
    company_number = models.CharField(max_length=8, blank=True, db_index=True)
    charity_number = models.CharField(max_length=20, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    sme = models.BooleanField("SME", null=True, blank=True)
    vcfs = models.BooleanField("VCFS", null=True, blank=True)
    ppon = models.CharField(
        "PPON", max_length=20, blank=True, help_text="Public Procurement Organisation Number."
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Contract(ContractFields):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REGISTERED = "registered", "Registered"

    reference = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.REGISTERED, db_index=True
    )
    ended_on = models.DateField(
        null=True, blank=True, help_text="Set when the contract is ended early."
    )
    end_reason = models.CharField(max_length=300, blank=True)
    # Procurement Act 2023 notices need these; the register layout has no column for them.
    awarded_value_gross = models.DecimalField(
        "awarded value including VAT",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The Act's thresholds and notices use values including VAT.",
    )
    regime = models.CharField(max_length=12, choices=Regime.choices, blank=True)
    main_category = models.CharField(
        "goods, services or works", max_length=8, choices=MainCategory.choices, blank=True
    )
    reprocurement_started = models.BooleanField(default=False)
    # Procurement Act 2023 s.70: payments over £30,000 are published for contracts whose
    # procurement began on or after 1 April 2026; blank for contracts procured before the Act.
    procurement_start_date = models.DateField(
        "procurement start date",
        null=True,
        blank=True,
        help_text="The day the procurement began (decides which law and duties apply).",
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="Where the record came from, e.g. the imported file."
    )
    # Set by an import that could not complete the contract (a notice naming "Contract not
    # awarded" or "Multiple suppliers" as the supplier): what an officer must do. Such a
    # contract comes in as a draft, so no figure counts it until an officer registers it.
    needs_attention = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["award_date"]),
            models.Index(fields=["end_date"]),
        ]

    def get_absolute_url(self) -> str:
        return reverse("contracts:detail", args=[self.pk])

    @property
    def effective_end(self) -> date | None:
        """The end date, or the day it was ended early."""
        return self.ended_on or self.end_date


NAME_KEY_LENGTH = 300


class AwardedSupplier(SupplierFields):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="suppliers")
    # The ledger's key of the name (portal.suppliers.name_key: case, punctuation, "&" and
    # "Limited" ignored): a Reference + supplier is unique on it, so importing the same file
    # twice, or "Ltd" for "Limited", updates rather than duplicates.
    name_key = models.CharField(max_length=NAME_KEY_LENGTH, editable=False)
    # What the Act's notices say of each supplier (PA 2023 reg 32); not in the register layout.
    email = models.EmailField(blank=True)
    address = models.CharField("postal address", max_length=500, blank=True)
    supported_employment = models.BooleanField(
        "supported employment provider", null=True, blank=True
    )
    public_service_mutual = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "name_key"], name="awarded_supplier_unique_per_contract"
            ),
        ]


class ContractPaymentLink(models.Model):
    """An officer's word that a ledger payment was made under a contract.

    It outranks the other rules (the payment's contract reference, then supplier and dates):
    a linked payment counts for this contract only. A payment has at most one link.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="payment_links")
    # No database constraint, like the ledger's own references: a withdrawn import file takes
    # its payments, and the link is then simply left pointing at nothing (and is ignored).
    payment = models.OneToOneField(
        "spend.Payment",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="contract_link",
    )
    reason = models.CharField(max_length=300, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "payment"]

    def __str__(self) -> str:
        return f"payment {self.payment_id} under {self.contract_id}"


class RulesVersion(models.Model):
    """One row: the version of everything the payment-to-contract rules read besides the
    payments (contracts' references, statuses, dates and values; awarded suppliers' numbers;
    officers' links; ledger suppliers' numbers). Database triggers (migration 0011) set it
    from a sequence in the same transaction as each such write, whoever makes it."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


class Publication(models.Model):
    """One quarter's frozen register and its files. Only ``published`` ones are public."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        PUBLISHED = "published", "Published"

    quarter = models.CharField(max_length=6, help_text="Calendar quarter, e.g. 2024Q1.")
    version = models.PositiveSmallIntegerField(default=1)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contract_count = models.PositiveIntegerField(default=0)
    supplier_count = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to="contracts/publications/", blank=True)
    xlsx = models.FileField(upload_to="contracts/publications/", blank=True)
    csv = models.FileField(upload_to="contracts/publications/", blank=True)
    ocds = models.FileField("OCDS", upload_to="contracts/publications/", blank=True)

    class Meta:
        ordering = ["-period_end", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["quarter", "version"], name="publication_quarter_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quarter} (version {self.version})"

    @property
    def label(self) -> str:
        start, end = self.period_start, self.period_end
        return f"{start:%B} to {end:%B %Y}"


class PublishedContract(ContractFields):
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="contracts")
    # Denormalised for the public page: search, sort and show without a join.
    supplier_names = models.TextField(blank=True)
    supplier_count = models.PositiveIntegerField(default=0)
    # Lower-cased reference, title, department and supplier names: what the search matches.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "reference"], name="published_contract_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["publication", "award_date"]),
            models.Index(fields=["publication", "end_date"]),
            models.Index(fields=["publication", "awarded_value"]),
        ]

    def get_absolute_url(self) -> str:
        return reverse("register:contract", args=[self.pk])


class PublishedSupplier(SupplierFields):
    contract = models.ForeignKey(
        PublishedContract, on_delete=models.CASCADE, related_name="suppliers"
    )

    class Meta:
        ordering = ["contract", "name"]


class RegisterColumnMapping(models.Model):
    """A saved column mapping for register files in a council's own headings: the next file
    with the same headings is read with it (as spend uploads' mapping profiles are)."""

    name = models.CharField(max_length=120, unique=True)
    # The file's headings, normalised (``spend.services.header_signature``).
    header_signature = models.CharField(max_length=64, unique=True)
    mapping = models.JSONField(help_text="register column → the file's heading")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class RegisterUpload(models.Model):
    """An uploaded register file, kept until it imports or an officer discards it, so a
    failed import can be corrected (a column mapping) and run again."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Not imported"
        DISCARDED = "discarded", "Discarded"

    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=500, help_text="Path of the kept upload.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    error = models.TextField(blank=True)
    # What the import did: counts, releases skipped and why, drafts to complete, notes.
    result = models.JSONField(default=dict, blank=True)
    mapping = models.ForeignKey(
        RegisterColumnMapping, null=True, blank=True, on_delete=models.SET_NULL
    )
    job = models.ForeignKey("portal.Job", null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("contracts:import-detail", args=[self.pk])

    @property
    def path(self) -> Path:
        path = Path(self.stored_file)
        return path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path


class ContractChange(models.Model):
    """A change to a contract's value or end date, with its ground (PA 2023 s.74): the
    history s.75 counts cumulatively to decide whether a change notice is needed."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="changes")
    changed_on = models.DateField(default=timezone.localdate)
    ground = models.CharField(
        max_length=500, help_text="Why the contract may be changed, e.g. the Schedule 8 ground."
    )
    value_before = models.DecimalField(max_digits=16, decimal_places=2)
    value_after = models.DecimalField(max_digits=16, decimal_places=2)
    value_gross_after = models.DecimalField(
        "value including VAT after", max_digits=16, decimal_places=2, null=True, blank=True
    )
    end_before = models.DateField(null=True, blank=True)
    end_after = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"change to {self.contract_id} on {self.changed_on}"


ACT_REGIMES = (Regime.ACT, Regime.LIGHT_TOUCH)


class Notice(models.Model):
    """A Procurement Act 2023 notice about a contract, drafted here and published on Find a
    Tender by an officer. Publishing freezes its OCDS release, so later edits to the contract
    never change what was published. Only published notices are public."""

    class Kind(models.TextChoices):
        CONTRACT_DETAILS = "UK7", "Contract details notice"
        PERFORMANCE = "UK9", "Contract performance notice"
        CHANGE = "UK10", "Contract change notice"
        TERMINATION = "UK11", "Contract termination notice"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    change = models.ForeignKey(
        ContractChange, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    description = models.TextField(blank=True, help_text="Change notice: what the modification is.")
    termination_reason = models.CharField(max_length=500, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    # The ledger's spend under the contract, set when a termination notice is published.
    final_value_pence = models.BigIntegerField(null=True, blank=True)
    proposed_automatically = models.BooleanField(default=False)
    # Contract performance notice: the assessments and failures it reports are those of
    # this period (verified assessments ending in it; failures decided in it).
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    release = models.JSONField(default=dict, blank=True, help_text="The published OCDS release.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["contract", "created_at", "pk"]
        constraints = [
            # One contract details and one termination notice per contract.
            models.UniqueConstraint(
                fields=["contract", "kind"],
                condition=models.Q(kind__in=["UK7", "UK11"]),
                name="notice_once_per_contract",
            ),
            models.UniqueConstraint(
                fields=["change"], condition=models.Q(kind="UK10"), name="notice_once_per_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.contract_id}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:notice", args=[self.pk])


class Kpi(models.Model):
    """A key performance indicator set for a contract (PA 2023 s.52: at least three for a
    contract over £5m), published in the contract details notice and assessed yearly."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="kpis")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    target = models.CharField(max_length=300)
    unit = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return self.title


class KpiAssessment(models.Model):
    """An assessment of a KPI over a period (s.71(2)): an officer's, or the supplier's return
    that an officer verifies. Only verified assessments go into a notice."""

    class Rating(models.TextChoices):
        # Value: Find a Tender's measureClassification id (UK extension).
        GOOD = "met", "Good"
        APPROACHING = "slightlyBelow", "Approaching target"
        REQUIRES_IMPROVEMENT = "below", "Requires improvement"
        INADEQUATE = "significantlyBelow", "Inadequate"
        OTHER = "other", "Other"

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="assessments")
    period_start = models.DateField()
    period_end = models.DateField()
    rating = models.CharField(max_length=20, choices=Rating.choices)
    measure = models.CharField("what was achieved", max_length=300, blank=True)
    notes = models.TextField(blank=True)
    returned_by_supplier = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kpi", "period_end", "pk"]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period_start} to {self.period_end}: {self.rating}"


class PerformanceFailure(models.Model):
    """A breach or failure to perform (s.71(5)), for any contract: reported in a contract
    performance notice."""

    class PenaltyType(models.TextChoices):
        CONTRACTED = "contracted", "Specified in the contract"
        IMPOSED = "imposed", "Imposed by a court or tribunal"
        NEGOTIATED = "negotiated", "Negotiated in a settlement"

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="performance_failures"
    )
    requirement = models.CharField("obligation not met", max_length=500)
    description = models.TextField(help_text="The nature, impact and duration of the failure.")
    decision_date = models.DateField(help_text="The day the council decided it had failed.")
    penalty_date = models.DateField(null=True, blank=True)
    penalty_type = models.CharField(max_length=12, choices=PenaltyType.choices, blank=True)
    penalty_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    partial_termination = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract", "decision_date", "pk"]

    def __str__(self) -> str:
        return f"failure on {self.contract_id}: {self.requirement}"


class PlannedProcurement(models.Model):
    """A procurement the council plans, for the pipeline notice (PA 2023 s.93, reg 15)."""

    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    department = models.CharField(max_length=200, blank=True)
    cpv_code = models.CharField("CPV code", max_length=8, blank=True)
    estimated_value_gross = models.DecimalField(
        "estimated value including VAT", max_digits=16, decimal_places=2
    )
    tender_notice_on = models.DateField("estimated date of the tender or transparency notice")
    award_on = models.DateField("estimated award date", null=True, blank=True)
    replaces = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tender_notice_on", "pk"]

    def __str__(self) -> str:
        return self.title


class PipelineNotice(models.Model):
    """The pipeline notice (UK1) for a financial year, drafted then published with who and
    when; publishing freezes its OCDS."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    fy = models.PositiveSmallIntegerField(unique=True, help_text="The year it looks ahead from.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    package = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"pipeline notice {self.fy}"
