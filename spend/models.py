"""The spend ledger: suppliers, their sites, the payments made to them, and how they got here.

One ``Payment`` is one invoice payment allocated to one distribution line: the unit of spend.
Rows come from Oracle R12/Fusion extracts and published spend files through
``spend.ingest`` and ``spend.services.import_file``; nothing else writes them. Dashboards read
``SpendSummary``, which the import keeps current for the financial years it touches.
"""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class LocalityClass(models.TextChoices):
    HOME = "home", "Home area"
    REGION = "region", "Rest of region"
    UK = "uk", "Rest of UK"
    UNKNOWN = "unknown", "Unknown"


class PostcodeDistrict(models.Model):
    """Postcode district (outward code) → local authority district → region.

    Equal to ``portal.locality.districts()`` (``fixtures/postcode_districts.csv``, the one
    source): reloaded after every migrate by ``spend.services.postcode_districts_sync``, for
    the ledger's SQL to join. Replace the file, not these rows.
    """

    district = models.CharField(max_length=4, primary_key=True)
    local_authority = models.CharField(max_length=100, db_index=True)
    region = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"{self.district} ({self.local_authority})"


class Category(models.Model):
    """A spending category, assigned to payments by account-code rules."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CategoryRule(models.Model):
    """Payments whose natural account starts with ``account_prefix`` belong to ``category``.

    The longest matching prefix wins, so '521' can refine a broader '52' rule.
    """

    account_prefix = models.CharField(max_length=30, unique=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["account_prefix"]

    def __str__(self) -> str:
        return f"{self.account_prefix}* → {self.category}"


class Supplier(models.Model):
    """An organisation (or person) the council pays, identified by its supplier number."""

    supplier_number = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=240, help_text="The one name the portal shows.")
    name_key = models.CharField(
        max_length=240, db_index=True, help_text="Normalised name for matching and search."
    )
    # The payment date of the extract row the name was taken from: the newest name wins.
    name_as_of = models.DateField(null=True, blank=True)
    company_number = models.CharField(max_length=8, blank=True, db_index=True)
    is_sme = models.BooleanField(null=True, blank=True)
    is_vcfs = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Supplier data quality (suppliers.quality): identifiers, size and who set the flags.
    # Database defaults, because the import inserts suppliers in SQL (spend.ingest.load).
    vat_number = models.CharField(max_length=20, blank=True, db_default="", db_index=True)
    size_band = models.CharField(
        max_length=8,
        blank=True,
        db_default="",
        help_text="Effective size band: the officer's override, else Companies House's.",
    )
    size_band_override = models.CharField(max_length=8, blank=True, db_default="")
    sme_set_by_officer = models.BooleanField(
        db_default=False,
        help_text="An officer set is_sme: Companies House data does not change it.",
    )
    vcfs_set_by_officer = models.BooleanField(db_default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("spend:supplier", args=[self.pk])


class SupplierSite(models.Model):
    """Where a supplier was paid: its site code and postcode on the payment row.

    Locality is decided here, by the site postcode, not by the supplier's head office.
    """

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="sites")
    site_code = models.CharField(max_length=60, blank=True)
    address_line = models.CharField(max_length=240, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    district = models.CharField(max_length=4, blank=True)
    locality_class = models.CharField(
        max_length=8, choices=LocalityClass.choices, default=LocalityClass.UNKNOWN
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "site_code", "postcode"], name="spend_site_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} - {self.site_code or 'site'} {self.postcode}".strip()


class ColumnMappingProfile(models.Model):
    """A saved column mapping for a published spend file whose header no layout knows."""

    name = models.CharField(max_length=120, unique=True)
    # The file's header cells, normalised, so the next file with this header reuses it.
    header_signature = models.CharField(max_length=64, unique=True)
    mapping = models.JSONField(help_text="canonical field → the file's header text")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


# The file layouts as people name them (the codes are the ingest layouts' names).
LAYOUT_LABELS = {
    "auto": "Detect from the file",
    "r12": "Oracle E-Business Suite R12",
    "fusion": "Oracle Fusion",
    "transparency": "Published spend over £500 file",
}


class ImportBatch(models.Model):
    """One uploaded file and what happened when it was loaded into the ledger."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        LOADING = "loading", "Loading"
        LOADED = "loaded", "Loaded"
        DUPLICATE = "duplicate", "Already imported"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        # A file that looks doubled is held until an administrator decides (import anyway,
        # or as the replacement of what the ledger holds for its months).
        HELD = "held", "Needs a decision"
        WITHDRAWN = "withdrawn", "Withdrawn"

    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(
        max_length=500, blank=True, help_text="Path under MEDIA_ROOT of the uploaded copy."
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(default=0)
    layout_requested = models.CharField(max_length=20, default="auto")
    layout = models.CharField(max_length=20, blank=True)

    mapping_profile = models.ForeignKey(
        ColumnMappingProfile, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    rows_read = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_already_present = models.PositiveIntegerField(default=0)
    rows_not_spend = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0, help_text="Totals lines, blank lines.")
    rows_voided_later = models.PositiveIntegerField(default=0)
    total_added_pence = models.BigIntegerField(default=0)
    financial_years = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    error_line = models.PositiveIntegerField(null=True, blank=True)
    error_column = models.CharField(max_length=120, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    job = models.ForeignKey("portal.Job", null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the reading found: sheets read and skipped (with why), aggregate rows set aside,
    # redacted payments, sundry numbers (see spend.services.import_batch).
    report = models.JSONField(default=dict, blank=True)
    warning = models.TextField(blank=True, help_text="Why the file is held.")
    confirmed = models.BooleanField(
        default=False, help_text="An administrator chose to import it despite the warning."
    )
    # The file replaces a batch, or every payment of these months (its own months when the
    # administrator chose "replace the months it covers"): they are withdrawn as it loads.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    replaces_months = models.BooleanField(default=False)
    # "Import the good rows": an administrator's explicit choice for a refused file; the rows
    # set aside are kept here as [line, column, value, reason] (downloadable as CSV).
    good_rows_only = models.BooleanField(default=False)
    refused_rows = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("spend:import", args=[self.pk])

    @property
    def layout_label(self) -> str:
        """The layout read (or asked for, before it is read), in words."""
        code = self.layout or self.layout_requested
        if self.mapping_profile_id and self.layout == "transparency":
            return f"{LAYOUT_LABELS[code]}, mapped as “{self.mapping_profile}”"
        return LAYOUT_LABELS.get(code, code)


class Withdrawal(models.Model):
    """Payments taken out of the ledger (a batch withdrawn, or a period replaced): the audit
    record, and the rows kept (``WithdrawnPayment``) so it can be undone."""

    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="withdrawals"
    )
    months = models.JSONField(default=list, blank=True, help_text="ISO first days, if a period.")
    replaced_by = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment_count = models.PositiveIntegerField(default=0)
    total_pence = models.BigIntegerField(default=0, help_text="Spend taken out.")
    financial_years = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_at = models.DateTimeField(default=timezone.now, db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-performed_at", "-pk"]

    def __str__(self) -> str:
        return f"Withdrawal {self.pk} ({self.payment_count} payments)"


class PaymentQuerySet(models.QuerySet["Payment"]):
    def spend(self) -> "PaymentQuerySet":
        """Payments that count as spend (voided, spoiled and stop-initiated ones do not)."""
        return self.filter(is_spend=True)


class Payment(models.Model):
    """One invoice payment on one distribution line. Money in integer pence."""

    # The import is the only writer and resolves every reference in the same statement, so
    # the database is not asked to re-check a million foreign keys at each commit
    # (db_constraint=False); Django still enforces PROTECT and SET_NULL on deletes.
    # Every index costs each imported row an insertion, so there is none Meta does not list:
    # no separate ones for batch and supplier (Meta's indexes lead with them) and no
    # pattern-ops copy of natural_key (the unique constraint below, not unique=True).
    natural_key = models.CharField(max_length=200)
    layout = models.CharField(max_length=20)
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
        db_index=False,
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
        db_index=False,
    )
    site = models.ForeignKey(
        SupplierSite,
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
        db_index=False,
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        db_constraint=False,
        db_index=False,
    )
    payment_date = models.DateField()
    financial_year = models.PositiveSmallIntegerField(help_text="2023 means 2023/24.")
    amount_pence = models.BigIntegerField(help_text="Negative for a credit note.")
    currency = models.CharField(max_length=3, default="GBP")
    is_spend = models.BooleanField(default=True)
    status = models.CharField(max_length=40, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    invoice_date = models.DateField(null=True, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    cost_centre = models.CharField(max_length=100, blank=True)
    account = models.CharField(max_length=60, blank=True)
    account_description = models.CharField(max_length=240, blank=True)
    description = models.TextField(blank=True)
    # The purchase order or contract reference on the extract row, when the file has such a
    # column: it ties the payment to a contract whatever the supplier or dates say.
    order_reference = models.CharField(
        "purchase order or contract reference", max_length=100, blank=True, db_default=""
    )
    source_line = models.PositiveIntegerField(default=0)
    # Optional extract columns (R12 INVOICE_RECEIVED_DATE, TERMS_DATE, DUE_DATE; Fusion
    # "Invoice Received Date", ...): the payments compliance notice counts days from receipt.
    received_date = models.DateField(null=True, blank=True)
    terms_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["financial_year", "payment_date"], name="spend_pay_fy_date"),
            models.Index(fields=["supplier", "payment_date"], name="spend_pay_supplier"),
            # Batches arrive one after another, so their rows lie together on disk: a BRIN
            # index finds a batch's rows (deleting a batch) at almost no cost per insert.
            BrinIndex(fields=["batch"], name="spend_pay_batch_brin"),
            # Most extracts carry no reference: a partial index costs their rows nothing.
            models.Index(
                fields=["order_reference"],
                name="spend_pay_order_ref",
                condition=~Q(order_reference=""),
            ),
            # A contract's spend takes away its supplier's payments in its dates that carry a
            # contract's reference: found here, not among every referenced payment.
            models.Index(
                fields=["supplier", "payment_date"],
                name="spend_pay_supplier_ref",
                condition=~Q(order_reference=""),
            ),
            # "Has invoice X been paid?": the site search's exact and prefix matches on
            # invoice and payment numbers (pattern ops serve both = and LIKE 'X%').
            models.Index(
                fields=["invoice_number"],
                name="spend_pay_invoice_no",
                opclasses=["varchar_pattern_ops"],
                condition=~Q(invoice_number=""),
            ),
            models.Index(
                fields=["payment_reference"],
                name="spend_pay_payment_no",
                opclasses=["varchar_pattern_ops"],
                condition=~Q(payment_reference=""),
            ),
        ]
        constraints = [
            # The import's ON CONFLICT (natural_key) uses it: a payment is in the ledger once.
            models.UniqueConstraint(fields=["natural_key"], name="spend_pay_natural_key"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_date} {self.supplier_id} {self.amount_pence}p"


class SpendSummary(models.Model):
    """Spend per financial year, month, supplier, locality class and category.

    Kept by each import in its own transaction (its spend added, voided payments' taken off),
    so dashboards read thousands of rows instead of millions. Only payments that are spend are
    summed. Its pages are filled to 90% (migration 0015), so that adding to a row rewrites it
    in place.
    """

    financial_year = models.PositiveSmallIntegerField()
    month = models.DateField(help_text="First day of the calendar month.")
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    locality_class = models.CharField(max_length=8, choices=LocalityClass.choices)
    category = models.ForeignKey(
        Category,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    total_pence = models.BigIntegerField()
    payment_count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["supplier", "financial_year"], name="spend_sum_supplier"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(payment_count__gt=0), name="spend_sum_nonempty"),
            # One row per key: an import adds each chunk's spend to its rows as it goes (ON
            # CONFLICT on this). Led by year and month, it also serves the pages' year and
            # month filters (it replaced an index on those two).
            models.UniqueConstraint(
                fields=["financial_year", "month", "supplier", "locality_class", "category"],
                name="spend_sum_key",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.financial_year} {self.month:%b} {self.supplier_id}: {self.total_pence}p"


class WithdrawnPayment(models.Model):
    """A payment row as it was in the ledger when withdrawn (same id, every column)."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.CASCADE, related_name="rows")
    payment_id = models.BigIntegerField()
    row = models.JSONField()

    def __str__(self) -> str:
        return f"{self.withdrawal_id}: payment {self.payment_id}"


class SummaryVersion(models.Model):
    """One row: bumped in the same transaction as every write to ``SpendSummary``, so the
    dashboards' cache key changes with every change to the figures (in-place updates too)."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


class RedactionMarker(models.Model):
    """A text councils put in place of a payee's name ("Redacted", "Withheld", "*****").

    A payment whose payee is a marker (compared by letters and digits only) is filed as
    "Redacted": it counts in totals but is never a supplier. Administrators keep the list."""

    text = models.CharField(max_length=120, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["text"]

    def __str__(self) -> str:
        return self.text


class SundrySupplierNumber(models.Model):
    """A supplier number used for many one-off payees: each payee paid under it is a supplier
    of its own, named as its payments name it. Found by the import, or declared."""

    supplier_number = models.CharField(max_length=40, unique=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_in = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["supplier_number"]

    def __str__(self) -> str:
        return self.supplier_number


# --- Supplier data quality (suppliers.quality) -----------------------------------------------


class SizeBand(models.TextChoices):
    MICRO = "micro", "Micro"
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"
    UNKNOWN = "unknown", "Unknown"


class SupplierNumberAlias(models.Model):
    """A supplier number that now belongs to another supplier (left behind by a merge).

    The import resolves staged rows through this table, so a later extract that still carries
    the old number lands on the surviving supplier.
    """

    supplier_number = models.CharField(max_length=40, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="aliases")
    merge = models.ForeignKey(
        "SupplierMerge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "supplier number aliases"

    def __str__(self) -> str:
        return f"{self.supplier_number} → {self.supplier_id}"


class SupplierMerge(models.Model):
    """One merge of a supplier into a survivor: the audit record, and all undo needs.

    ``merged_fields`` holds the merged supplier's row as it was (it is deleted by the merge and
    recreated, with the same id, by undo); ``payment_ids`` the payments moved; ``site_ids`` the
    sites moved whole; ``folded_sites`` the sites that duplicated one of the survivor's (same
    site code and postcode), each with its row and the payments re-pointed to the survivor's
    site; ``alias_numbers`` the aliases that pointed at the merged supplier.
    """

    # No database constraint: the survivor may itself be merged away later (undo that first).
    survivor = models.ForeignKey(
        Supplier, on_delete=models.DO_NOTHING, db_constraint=False, related_name="merges"
    )
    survivor_fields = models.JSONField(
        default=dict, help_text="The survivor's fields this merge filled in."
    )
    merged_supplier_id = models.BigIntegerField()
    merged_number = models.CharField(max_length=40)
    merged_name = models.CharField(max_length=240)
    merged_fields = models.JSONField()
    payment_ids = models.JSONField(default=list)
    site_ids = models.JSONField(default=list)
    folded_sites = models.JSONField(default=list)
    alias_numbers = models.JSONField(default=list)
    companies_house = models.JSONField(null=True, blank=True)
    not_duplicates = models.JSONField(default=list)
    financial_years = models.JSONField(default=list)
    total_pence = models.BigIntegerField(default=0, help_text="Spend moved, at the merge.")
    reason = models.TextField(blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_at = models.DateTimeField(default=timezone.now, db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-performed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merged_name} ({self.merged_number}) into {self.survivor_id}"


class SupplierNotDuplicate(models.Model):
    """Two suppliers an officer has said are not the same: never offered as a pair again."""

    supplier_low = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    supplier_high = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["supplier_low", "supplier_high"], name="spend_not_duplicate_unique"
            ),
            models.CheckConstraint(
                condition=Q(supplier_low__lt=models.F("supplier_high")),
                name="spend_not_duplicate_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_low_id} ≠ {self.supplier_high_id}"


class DuplicateCandidate(models.Model):
    """A pair of suppliers that are probably one organisation, with why (refreshed by a job)."""

    supplier_low = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    supplier_high = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(max_digits=4, decimal_places=3)
    similarity = models.DecimalField(max_digits=4, decimal_places=3)
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "supplier_low", "supplier_high"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier_low", "supplier_high"], name="spend_duplicate_candidate_unique"
            ),
        ]
        indexes = [models.Index(fields=["-score"], name="spend_dupcand_score")]

    def __str__(self) -> str:
        return f"{self.supplier_low_id} ~ {self.supplier_high_id} ({self.score})"


class CompaniesHouseImport(models.Model):
    """One Companies House free company data file loaded (the ``spend.companies_house`` job)."""

    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_staged = models.PositiveIntegerField(default=0)
    matched_by_number = models.PositiveIntegerField(default=0)
    matched_by_name = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    job = models.ForeignKey("portal.Job", null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class CompaniesHouseRecord(models.Model):
    """What Companies House says about one supplier (only matched companies are kept)."""

    class MatchedBy(models.TextChoices):
        NUMBER = "number", "Company number"
        NAME = "name", "Name and registered postcode"

    supplier = models.OneToOneField(
        Supplier, on_delete=models.CASCADE, related_name="companies_house"
    )
    company_number = models.CharField(max_length=8, db_index=True)
    company_name = models.CharField(max_length=240)
    status = models.CharField(max_length=80, blank=True)
    category = models.CharField(max_length=120, blank=True)
    reg_postcode = models.CharField(max_length=12, blank=True)
    accounts_category = models.CharField(max_length=60, blank=True)
    size_band = models.CharField(max_length=8, choices=SizeBand.choices, default=SizeBand.UNKNOWN)
    sic_codes = models.JSONField(default=list)
    matched_by = models.CharField(max_length=8, choices=MatchedBy.choices)
    source = models.ForeignKey(
        CompaniesHouseImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.company_number} {self.company_name}"
