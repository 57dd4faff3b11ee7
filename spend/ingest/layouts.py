"""The file layouts the spend ledger understands, held as data.

A layout maps each *canonical field* (our name for a piece of a payment, such as
``amount`` or ``payment_date``) to the header texts that mean it in a file. Headers are
compared after normalising (see :func:`normalise_header`), so ``"Name:  "``, ``"NAME"``
and ``"\\ufeffName"`` all match the synonym ``"Name"``.

* ``r12``: Oracle E-Business Suite R12 paid-invoice extract (until December 2022).
* ``fusion``: Oracle Fusion Payables paid-invoice report (from January 2023).
* ``transparency``: a council's published "spend over £500" (or £250) file, as
  required by the Local Government Transparency Code. Headings vary from council
  to council, so this layout has many synonyms.

An unknown header can still be read with a saved custom mapping
(:func:`apply_custom_mapping`): a dict of canonical field to header text, kept by
the Django side as a mapping profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from spend.ingest.errors import ImportRejected

# Every canonical field a payment record can be filled from.
CANONICAL_FIELDS: tuple[str, ...] = (
    "org",
    "invoice_id",
    "invoice_number",
    "invoice_date",
    "supplier_number",
    "supplier_name",
    "site_code",
    "address_line",
    "city",
    "postcode",
    "payment_reference",
    "payment_date",
    "status",
    "invoice_payment_id",
    "line_number",
    "amount",
    "currency",
    "cost_centre",
    "account",
    "account_description",
    "description",
    "order_reference",
    # Optional dates the payments compliance notice needs (Procurement Regulations 2024 reg 38).
    "received_date",
    "terms_date",
    "due_date",
)

# Plain-English names of canonical fields, for messages about a custom mapping.
FIELD_LABELS: dict[str, str] = {
    "org": "operating unit",
    "invoice_id": "invoice id",
    "invoice_number": "invoice number",
    "invoice_date": "invoice date",
    "supplier_number": "supplier number",
    "supplier_name": "supplier name",
    "site_code": "supplier site",
    "address_line": "address line",
    "city": "town or city",
    "postcode": "postcode",
    "payment_reference": "payment reference",
    "payment_date": "payment date",
    "status": "payment status",
    "invoice_payment_id": "invoice payment id",
    "line_number": "line number",
    "amount": "amount",
    "currency": "currency",
    "cost_centre": "cost centre or service area",
    "account": "account code",
    "account_description": "expense type",
    "description": "description",
    "order_reference": "purchase order or contract reference",
    "received_date": "invoice received date",
    "terms_date": "terms date",
    "due_date": "due date",
}

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(text: object) -> str:
    """Header text reduced to lower-case letters and digits.

    Case, spaces, punctuation, a byte-order mark and surrounding blanks are
    all ignored: ``" Name:  "`` -> ``"name"``, ``"INVOICE_NUM"`` -> ``"invoicenum"``.
    """
    if text is None:
        return ""
    return _NOT_ALNUM.sub("", str(text).lower())


@dataclass(frozen=True)
class Layout:
    """One file layout: synonyms per canonical field, what is required, the key."""

    name: str
    title: str
    # canonical field -> header synonyms, most specific first.
    synonyms: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    # Canonical fields that, with the layout name, identify a payment row.
    natural_key: tuple[str, ...]
    # Date columns in this layout (parsed as dates, Excel serials allowed).
    date_fields: tuple[str, ...] = (
        "payment_date",
        "invoice_date",
        "received_date",
        "terms_date",
        "due_date",
    )
    # Normalised synonyms, computed once.
    normalised: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "normalised",
            {f: tuple(normalise_header(s) for s in syns) for f, syns in self.synonyms.items()},
        )


R12 = Layout(
    name="r12",
    title="Oracle R12 paid invoices",
    synonyms={
        "org": ("ORG_ID",),
        "invoice_id": ("INVOICE_ID",),
        "invoice_number": ("INVOICE_NUM",),
        "invoice_date": ("INVOICE_DATE",),
        "supplier_number": ("VENDOR_NUM", "SEGMENT1"),
        "supplier_name": ("VENDOR_NAME",),
        "site_code": ("VENDOR_SITE_CODE",),
        "address_line": ("ADDRESS_LINE1",),
        "city": ("CITY",),
        "postcode": ("ZIP",),
        "payment_reference": ("CHECK_NUMBER",),
        "payment_date": ("CHECK_DATE",),
        "status": ("STATUS_LOOKUP_CODE",),
        "invoice_payment_id": ("INVOICE_PAYMENT_ID",),
        "line_number": ("DIST_LINE_NUM", "DISTRIBUTION_LINE_NUMBER"),
        "amount": ("AMOUNT",),
        "currency": ("CURRENCY_CODE",),
        "cost_centre": ("COST_CENTRE", "COST_CENTER"),
        "account": ("ACCOUNT",),
        "account_description": ("ACCOUNT_DESCRIPTION",),
        "description": ("DESCRIPTION",),
        "order_reference": ("PO_NUMBER", "PO_NUM", "CONTRACT_REFERENCE", "CONTRACT_NUMBER"),
        # AP_INVOICES_ALL / AP_PAYMENT_SCHEDULES_ALL columns, when the extract carries them.
        "received_date": ("INVOICE_RECEIVED_DATE", "RECEIVED_DATE"),
        "terms_date": ("TERMS_DATE",),
        "due_date": ("DUE_DATE",),
    },
    required=(
        "invoice_payment_id",
        "line_number",
        "supplier_number",
        "supplier_name",
        "payment_date",
        "amount",
    ),
    natural_key=("invoice_payment_id", "line_number"),
)

FUSION = Layout(
    name="fusion",
    title="Oracle Fusion paid invoices",
    synonyms={
        "org": ("Business Unit",),
        "invoice_id": ("Invoice ID",),
        "invoice_number": ("Invoice Number", "Invoice Num"),
        "invoice_date": ("Invoice Date",),
        "supplier_number": ("Supplier Number", "Supplier Num"),
        "supplier_name": ("Supplier or Party", "Supplier", "Supplier Name"),
        "site_code": ("Supplier Site", "Site"),
        "address_line": ("Address Line 1", "Address Line1"),
        "city": ("Town or City", "City"),
        "postcode": ("Postal Code", "Postcode"),
        "payment_reference": ("Payment Number",),
        "payment_date": ("Payment Date",),
        "status": ("Payment Status",),
        "line_number": ("Distribution Line Number", "Distribution Line"),
        "amount": ("Paid Amount", "Payment Amount"),
        "currency": ("Currency", "Payment Currency"),
        "cost_centre": ("Cost Centre", "Cost Center"),
        "account": ("Account",),
        "account_description": ("Account Description",),
        "description": ("Invoice Description", "Description"),
        "order_reference": (
            "Purchase Order",
            "Purchase Order Number",
            "PO Number",
            "Contract Reference",
            "Contract Number",
        ),
        "received_date": ("Invoice Received Date", "Received Date"),
        "terms_date": ("Terms Date",),
        "due_date": ("Due Date", "Payment Due Date"),
    },
    required=(
        "invoice_id",
        "payment_reference",
        "line_number",
        "supplier_number",
        "supplier_name",
        "payment_date",
        "amount",
    ),
    natural_key=("invoice_id", "payment_reference", "line_number"),
)

# Published spend files. The synonyms come from the Transparency Code's fields, the LGA spend
# schema (OrganisationLabel ... ProcurementCategory), Oracle BI's "Invoices Over Specified Nett
# Amount" report, Agresso/Unit4 report headings ("Supplier(T)", "Apar Name"), and the real
# files of Hyndburn, Oxford, Lancashire Fire, Lancashire PCC, Craven and Harrogate.
TRANSPARENCY = Layout(
    name="transparency",
    title="Published spend over £500 (Transparency Code)",
    synonyms={
        "org": ("Body Name", "Body", "Organisation", "Organisation Label", "Client"),
        "invoice_number": ("Invoice Number", "Invoice No", "Invoice Ref", "Invoice Reference"),
        "invoice_date": ("Invoice Date",),
        "supplier_number": (
            "Supplier ID",
            "Supplier Number",
            "Supplier No",
            "Supplier Code",
            "Supplier Ref",
            "Vendor ID",
            "Vendor Number",
            "Creditor Number",
            "Creditor ID",
            "Beneficiary ID",
            "Beneficiary Other ID",
            "Apar Id",
            "Supplier Id (T)",
        ),
        "supplier_name": (
            "Supplier Name",
            "Beneficiary",
            "Beneficiary Name",
            "Benificiary Name",
            "Supplier",
            "Supplier Final",
            "Supplier(T)",
            "Supplier Name(T)",
            "Apar Name",
            "Supplier Text",
            "Supplier (Beneficiary)",
            "Payee",
            "Payee Name",
            "Vendor Name",
            "Creditor Name",
            "Merchant Name",
            "Name",
        ),
        "postcode": ("Postcode", "Post Code", "Supplier Postcode", "Postal Code", "Zip"),
        "payment_reference": (
            "Transaction Number",
            "Transaction No",
            "Transaction Reference",
            "Trans No",
            "Reference",
            "Reference Number",
            "Ref No",
            "HBC Ref No.",
            "Payment Reference",
            "Document Number",
            "Voucher Number",
            "Voucher No",
            "Trans Id",
            "TransNo",
            "Document No",
            "SAP Document Number",
        ),
        "payment_date": (
            "Payment Date",
            "Date Paid",
            "Paid Date",
            "Date",
            "Transaction Date",
            "Date Incurred",
            "Posting Date",
            "Pay Date",
            "Voucher Date",
            "Trans Date",
            "Check Date",
            "Invoice Payment Date",
            "Date of Payment",
            "Clearing Date",
            # The only date some councils publish is the ledger (GL) date.
            "GL Date",
            "Invoice GL Date",
        ),
        "status": ("Payment Status", "Status"),
        "line_number": ("Line", "Line Number", "Line No", "Invoice Line"),
        "amount": (
            "Net Amount",
            "Amount",
            "Amount Paid",
            "Paid Amount",
            "Value",
            "Net Value",
            "Amount (£)",
            "Amount £",
            "Invoice Nett Amount",
            "Nett Amount",
            "Total Invoice Amount",
            "Invoice Amount",
            "Cur. Amount",
            "Invoice Line Value (net of VAT)",
            "Invoiced Value",
            "Net",
            "Spend",
            "Total",
        ),
        "currency": ("Currency",),
        "cost_centre": (
            "Service Area",
            "Expense Area",
            "Service Area Categorisation",
            "Service",
            "Department",
            "Department Area",
            "Directorate",
            "Responsible Unit",
            "Organisational Unit",
            "Service Category Label",
            "Service Label",
            "Cost Centre",
            "Cost Centre(T)",
            "Cost Centre Name",
            "Cost Centre Description",
            "Cost Centre Code",
            "Business Unit Description",
        ),
        "account": (
            "Expenditure Code",
            "Expense Code",
            "Account Code",
            "Subjective Code",
            "CIPFA Code",
            "Account",
        ),
        "account_description": (
            "Expense Type",
            "Expenses Type",
            "Expenditure Category",
            "Expenditure Type",
            "Account(T)",
            "Account Description",
            "Subjective Description",
            "Expense Code Description",
            "Expenditure Account Code Description",
            "Expenditure Account",
            "G/L Description",
            "Purpose",
            "Procurement Category",
            "Category",
            "Merchant Category",
        ),
        "description": (
            "Description",
            "Extended Description",
            "Narrative",
            "Summary of Purpose",
            "Purpose",
            "Details",
            "Text",
        ),
        "order_reference": (
            "Purchase Order Number",
            "Purchase Order",
            "PO Number",
            "PO No",
            "Contract Reference",
            "Contract Ref",
            "Contract Number",
        ),
        "received_date": (
            "Invoice Received Date",
            "Received Date",
            "Date Received",
            "Date Invoice Received",
        ),
        "terms_date": ("Terms Date",),
        "due_date": ("Due Date", "Payment Due Date", "Invoice Due Date"),
    },
    required=("supplier_name", "payment_date", "amount"),
    # A published file has no reliable payment id: references repeat across invoice
    # lines. parse.py builds the key from these plus an occurrence count.
    natural_key=("payment_reference", "line_number"),
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (R12, FUSION, TRANSPARENCY)}

# Detection order: the Oracle layouts are specific, the published-file layout is loose.
DETECTION_ORDER: tuple[Layout, ...] = (R12, FUSION, TRANSPARENCY)
ORACLE_LAYOUTS = (R12, FUSION)


@dataclass(frozen=True)
class ColumnMapping:
    """Which column (0-based) holds each canonical field, for one file's header."""

    layout: Layout
    columns: Mapping[str, int]
    headers: tuple[str, ...]  # the header cells as text, for messages
    custom: bool = False

    def header_text(self, field_name: str) -> str:
        """The file's own heading for a field (what the administrator sees)."""
        index = self.columns.get(field_name)
        if index is None:
            return FIELD_LABELS.get(field_name, field_name)
        text = self.headers[index].strip().lstrip("\ufeff").strip()
        return text or FIELD_LABELS.get(field_name, field_name)

    def as_header_texts(self) -> dict[str, str]:
        """canonical field -> header text: the shape a saved mapping profile takes."""
        return {f: self.headers[i] for f, i in self.columns.items()}


@dataclass(frozen=True)
class HeaderCandidate:
    """How well one row matches one layout (used to explain a refusal)."""

    layout: Layout
    columns: dict[str, int]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def _header_texts(cells: Sequence[object]) -> tuple[str, ...]:
    return tuple("" if c is None else str(c) for c in cells)


# A heading that repeats means code, then description (Craven: "Account Code, Account Code"):
# the repeat fills the description field when nothing else does. A cost centre's description
# is what the portal calls the service area, so it takes the field from the code.
REPEATED_HEADING_MEANS = {"account": "account_description", "cost_centre": "cost_centre"}


def match_layout(layout: Layout, cells: Sequence[object]) -> HeaderCandidate:
    """Match one row against one layout's synonyms."""
    index_by_name: dict[str, int] = {}
    repeat_of: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = normalise_header(cell)
        if key and key not in index_by_name:  # first of duplicate headings wins
            index_by_name[key] = i
        elif key and key not in repeat_of:
            repeat_of[key] = i
    columns: dict[str, int] = {}
    used: set[int] = set()
    for field_name, synonyms in layout.normalised.items():
        for synonym in synonyms:
            index = index_by_name.get(synonym)
            # A column taken by an earlier field is not read twice: the LGA schema's
            # ExpenseType is the expense type and its Purpose the description, but a lone
            # Purpose column is the expense type.
            if index is not None and index not in used:
                columns[field_name] = index
                used.add(index)
                break
    if repeat_of:
        for field_name, described_by in REPEATED_HEADING_MEANS.items():
            heading = normalise_header(cells[columns[field_name]]) if field_name in columns else ""
            if heading in repeat_of and (described_by == field_name or described_by not in columns):
                columns[described_by] = repeat_of[heading]
    # One column cannot mean two things: e.g. a lone "Name" heading.
    missing = tuple(f for f in layout.required if f not in columns)
    return HeaderCandidate(layout, columns, missing)


def detect_layout(
    header_cells: Sequence[object], layout_hint: str = "auto"
) -> ColumnMapping | None:
    """The layout and column mapping of a header row, or None if it is not one.

    With ``layout_hint='auto'`` the Oracle layouts are tried first, then the
    published-file layout. Returns None when no layout has all its required
    columns; :func:`closest_layout` then explains what is missing.
    """
    for layout in _layouts_for(layout_hint):
        candidate = match_layout(layout, header_cells)
        if candidate.complete:
            if layout is TRANSPARENCY and _looks_like_oracle(header_cells):
                # An Oracle extract with a column missing must not slip in as a
                # published file: its payments would get different keys.
                return None
            return ColumnMapping(layout, candidate.columns, _header_texts(header_cells))
    return None


def _looks_like_oracle(cells: Sequence[object]) -> bool:
    for layout in ORACLE_LAYOUTS:
        candidate = match_layout(layout, cells)
        found = len(layout.required) - len(candidate.missing)
        if found >= len(layout.required) - 2 and layout.normalised["line_number"][0] in {
            normalise_header(c) for c in cells
        }:
            return True
    return False


def closest_layout(header_cells: Sequence[object], layout_hint: str = "auto") -> HeaderCandidate:
    """The layout this row comes nearest to, with its missing required fields."""
    candidates = [match_layout(layout, header_cells) for layout in _layouts_for(layout_hint)]
    # An Oracle extract missing a column is explained as such, even if the loose
    # published-file layout happens to match it.
    oracle = [c for c in candidates if c.layout in ORACLE_LAYOUTS and _found_share(c) >= 0.6]
    return max(oracle or candidates, key=_found_share)


def _found_share(candidate: HeaderCandidate) -> float:
    required = candidate.layout.required
    return (len(required) - len(candidate.missing)) / len(required)


def _layouts_for(layout_hint: str) -> tuple[Layout, ...]:
    if layout_hint in ("auto", "", None):
        return DETECTION_ORDER
    try:
        return (LAYOUTS[layout_hint],)
    except KeyError:
        raise ValueError(
            f"Unknown layout {layout_hint!r}: use auto, {', '.join(LAYOUTS)}."
        ) from None


def apply_custom_mapping(
    header_cells: Sequence[object],
    mapping: Mapping[str, str],
    layout_name: str = "transparency",
) -> ColumnMapping | None:
    """Column mapping from a saved profile (canonical field -> header text).

    Returns None when this row does not carry every mapped heading (so the
    reader can keep looking for the header row). Raises ``ValueError`` for a
    mapping that names an unknown field. The layout decides the required fields
    and how the natural key is built; ``transparency`` suits most unknown files.
    """
    layout = LAYOUTS[layout_name]
    unknown = sorted(set(mapping) - set(CANONICAL_FIELDS))
    if unknown:
        raise ValueError(f"The column mapping names unknown fields: {', '.join(unknown)}.")
    index_by_name: dict[str, int] = {}
    for i, cell in enumerate(header_cells):
        key = normalise_header(cell)
        if key and key not in index_by_name:
            index_by_name[key] = i
    columns: dict[str, int] = {}
    for field_name, header_text in mapping.items():
        if not header_text:
            continue
        index = index_by_name.get(normalise_header(header_text))
        if index is None:
            return None
        columns[field_name] = index
    return ColumnMapping(layout, columns, _header_texts(header_cells), custom=True)


def missing_required(mapping: ColumnMapping) -> tuple[str, ...]:
    """Required fields of the mapping's layout that it does not cover."""
    return tuple(f for f in mapping.layout.required if f not in mapping.columns)


def missing_column_error(candidate: HeaderCandidate, line_number: int) -> ImportRejected:
    """One error naming every missing required column (not one per row)."""
    names = [candidate.layout.synonyms[f][0] for f in candidate.missing]
    if len(names) == 1:
        what = f"the required column {names[0]!r} is missing"
    else:
        what = "the required columns " + ", ".join(repr(n) for n in names) + " are missing"
    return ImportRejected(
        f"This looks like a {candidate.layout.title} file but {what}. "
        "Export the report again with that column, or save a column mapping for this file, "
        "and upload it again.",
        line_number=line_number,
        column=names[0] if len(names) == 1 else None,
    )
