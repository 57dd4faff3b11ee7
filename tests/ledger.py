"""A small ledger written by a test as an Oracle R12 paid-invoice extract and loaded through
the real import, so the figures a test expects come from the lines it wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from spend import services
from spend.models import ImportBatch

R12_HEADER = (
    "ORG_ID,INVOICE_ID,INVOICE_NUM,INVOICE_DATE,VENDOR_NUM,VENDOR_NAME,VENDOR_SITE_CODE,"
    "ADDRESS_LINE1,CITY,ZIP,CHECK_NUMBER,CHECK_DATE,STATUS_LOOKUP_CODE,INVOICE_PAYMENT_ID,"
    "DIST_LINE_NUM,AMOUNT,CURRENCY_CODE,COST_CENTRE,ACCOUNT,ACCOUNT_DESCRIPTION,DESCRIPTION"
)

# Postcodes whose class is known under the default settings (Lancashire 12, North West).
HOME, REGION, UK, UNKNOWN = "PR1 2HE", "M1 1AE", "LS1 4DY", ""


@dataclass(frozen=True)
class Line:
    """One payment line: ``payment`` identifies it across files (to void it later)."""

    payment: int
    supplier: str  # vendor number; the supplier's name is "Supplier <number>"
    pounds: str  # "1234.56"; "-10.00" for a credit note
    day: dt.date
    postcode: str = HOME
    status: str = "NEGOTIABLE"
    account: str = "52100"
    name: str = ""  # the supplier's name; "Supplier <number>" when not given

    @property
    def pence(self) -> int:
        return int(Decimal(self.pounds) * 100)

    @property
    def fy(self) -> int:
        """The financial year, worked out here: 1 April to 31 March, named by its start."""
        return self.day.year if self.day.month >= 4 else self.day.year - 1


def _oracle_date(day: dt.date) -> str:
    return f"{day:%d}-{day:%b}-{day:%y}".upper()


def _quote(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def r12_text(lines: Iterable[Line]) -> str:
    rows = [R12_HEADER]
    for line in lines:
        site = f"SITE-{line.postcode.replace(' ', '') or 'NONE'}"
        cells = [
            "101", f"9{line.payment:06d}", f"INV-{line.payment}", _oracle_date(line.day),
            line.supplier, _quote(line.name or f"Supplier {line.supplier}"), site,
            "1 High St", "Town",
            line.postcode, f"7{line.payment:06d}", _oracle_date(line.day), line.status,
            str(line.payment), "1", line.pounds, "GBP", "AS1001", line.account,
            "Waste Disposal Contracts", "Services",
        ]  # fmt: skip
        rows.append(",".join(cells))
    return "\r\n".join(rows) + "\r\n"


def import_lines(folder: Path, lines: Iterable[Line], name: str = "extract.csv") -> ImportBatch:
    """Write the lines as one R12 extract and import it; fails the test if it is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(r12_text(lines), encoding="utf-8")
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.LOADED, batch.error
    return batch
