"""A small spend ledger for the contract tests, loaded through the real import from a
published-spend-file layout (with a purchase order column), and its register."""

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from contracts import services
from contracts.models import Contract
from tests.contracts.conftest import register_row, write_csv
from tests.factories import contract_fields

# The day the tests look from.
TODAY = date(2025, 6, 15)
CARE = "55100"  # Adult social care, in the starting category rules
PROFESSIONAL = "52900"  # Professional services


@dataclass(frozen=True)
class Paid:
    supplier: str
    name: str
    day: date
    pounds: str
    code: str = CARE
    order: str = ""
    invoice: str = ""

    @property
    def pence(self) -> int:
        return int(Decimal(self.pounds) * 100)


def acme_monthly() -> list[Paid]:
    """£6,000 on the 20th of each month, April 2024 to May 2025 (14 months)."""
    months = [date(2024 + (m + 3) // 12, (m + 3) % 12 + 1, 20) for m in range(14)]
    return [
        Paid("S100", "Acme Care Ltd", day, "6000.00", invoice=f"A{i}")
        for i, day in enumerate(months)
    ]


def ledger_rows() -> list[Paid]:
    return [
        *acme_monthly(),
        # Before C-ACME started (15 April 2024): off-contract, in a month it partly covers.
        Paid("S100", "Acme Care Ltd", date(2024, 4, 5), "7000.00", invoice="A-early"),
        # Beta has no contract, but one payment carries C-ACME's reference.
        Paid("S200", "Beta Services", date(2025, 1, 10), "2500.00", order="C-ACME", invoice="B1"),
        Paid("S200", "Beta Services", date(2024, 6, 1), "3000.00", PROFESSIONAL, invoice="B2"),
        Paid("S200", "Beta Services", date(2024, 9, 1), "3000.00", invoice="B3"),
        # Gamma: one payment an officer links to C-ACME, one not.
        Paid("S300", "Gamma Supplies", date(2025, 2, 11), "1200.00", invoice="G-LINK"),
        Paid("S300", "Gamma Supplies", date(2024, 7, 1), "4500.00", invoice="G2"),
        # Delta's contract was ended early on 30 September 2024.
        Paid("S400", "Delta Transport", date(2024, 5, 1), "10000.00", invoice="D1"),
        Paid("S400", "Delta Transport", date(2024, 10, 1), "20000.00", invoice="D2"),
        # Epsilon's only contract is a draft: it covers nothing.
        Paid("S500", "Epsilon Consulting", date(2024, 8, 8), "8000.00", PROFESSIONAL, invoice="E1"),
        # A credit note on Acme's contract.
        Paid("S100", "Acme Care Ltd", date(2024, 12, 3), "-500.00", invoice="A-credit"),
    ]


SPEND_HEADER = [
    "Supplier ID",
    "Supplier Name",
    "Payment Date",
    "Transaction Number",
    "Amount",
    "Expenditure Code",
    "Purchase Order Number",
    "Invoice Number",
]


def write_spend_file(path: Path, rows: list[Paid]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SPEND_HEADER)
        for number, p in enumerate(rows, start=1):
            writer.writerow(
                [
                    p.supplier,
                    p.name,
                    p.day.isoformat(),
                    f"T{number}",
                    p.pounds,
                    p.code,
                    p.order,
                    p.invoice,
                ]
            )
    return path


def register_rows() -> list[dict[str, str]]:
    return [
        register_row(
            "C-ACME",
            "Acme Care Ltd",
            **{
                "Supplier number": "S100",
                "Award date": "2024-03-01",
                "Start date": "2024-04-15",
                "End date": "2026-04-14",
                "Awarded value": "100000.00",
            },
        ),
        register_row(
            "C-DELTA",
            "Delta Transport",
            **{
                "Supplier number": "S400",
                "Award date": "2023-12-01",
                "Start date": "2024-01-01",
                "End date": "2026-12-31",
                "Awarded value": "500000.00",
            },
        ),
        register_row(
            "C-EPS",
            "Epsilon Consulting",
            **{
                "Supplier number": "S500",
                "Award date": "2024-01-01",
                "Start date": "2024-01-01",
                "End date": "2026-12-31",
                "Awarded value": "50000.00",
            },
        ),
    ]


def build_ledger_and_register(tmp_path: Path) -> None:
    from contracts.models import ContractPaymentLink
    from spend import services as spend_services
    from spend.models import Payment

    [batch] = spend_services.import_paths(
        paths=[write_spend_file(tmp_path / "spend.csv", ledger_rows())]
    )
    assert batch.status == batch.Status.LOADED, batch.error
    services.register_import(path=write_csv(tmp_path / "register.csv", register_rows()))
    Contract.objects.filter(reference="C-EPS").update(status=Contract.Status.DRAFT)
    delta = Contract.objects.get(reference="C-DELTA")
    services.contract_end(
        contract=delta, ended_on=date(2024, 9, 30), reason="Service moved in-house", user=None
    )
    acme = Contract.objects.get(reference="C-ACME")
    services.payment_link(
        contract=acme,
        payment=Payment.objects.get(invoice_number="G-LINK"),
        reason="Call-off",
        user=None,
    )
    assert ContractPaymentLink.objects.count() == 1


def make_contract(
    reference: str, supplier: str, start: date, end: date | None, value: str = "100000.00"
) -> Contract:
    """A registered contract for the ledger supplier numbered ``supplier`` (named "Supplier
    <number>", as the test extracts name it) from ``start`` to ``end``; ``value`` and a
    missing end are set afterwards, as a register may hold them."""
    contract = services.contract_create(
        reference=reference,
        contract=contract_fields(
            title=f"Contract {reference}",
            department="Highways",
            award_date=start,
            start_date=start,
            end_date=end or date(2199, 3, 31),
            awarded_value=Decimal("100000.00"),
        ),
        supplier={"name": f"Supplier {supplier}", "supplier_number": supplier},
        user=None,
        draft=False,
    )
    # Set as they may stand in the register (a nil value, no end date from Contracts Finder).
    Contract.objects.filter(pk=contract.pk).update(awarded_value=Decimal(value), end_date=end)
    contract.refresh_from_db()
    return contract
