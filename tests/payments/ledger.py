"""Write small Oracle extracts with the optional date columns and import them for real."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from spend import services
from spend.models import ImportBatch

R12_DATED_HEADER = (
    "ORG_ID,INVOICE_ID,INVOICE_NUM,INVOICE_DATE,INVOICE_RECEIVED_DATE,TERMS_DATE,DUE_DATE,"
    "VENDOR_NUM,VENDOR_NAME,VENDOR_SITE_CODE,ADDRESS_LINE1,CITY,ZIP,CHECK_NUMBER,CHECK_DATE,"
    "STATUS_LOOKUP_CODE,INVOICE_PAYMENT_ID,DIST_LINE_NUM,AMOUNT,CURRENCY_CODE,COST_CENTRE,"
    "ACCOUNT,ACCOUNT_DESCRIPTION,DESCRIPTION,PO_NUMBER"
)


def r12_date(day: dt.date | None) -> str:
    return day.strftime("%d-%b-%y").upper() if day else ""


@dataclass(frozen=True)
class Row:
    """One paid distribution line as the test means it."""

    ipid: int
    supplier: str
    invoice: str
    invoice_date: dt.date | None
    paid: dt.date
    pence: int
    received: dt.date | None = None
    due: dt.date | None = None
    terms: dt.date | None = None
    line: int = 1
    account: str = "52100"
    cost_centre: str = "AS1001"
    status: str = "NEGOTIABLE"
    order: str = ""  # the purchase order or contract reference column

    def cells(self) -> list[str]:
        sign = "-" if self.pence < 0 else ""
        amount = f"{sign}{abs(self.pence) // 100}.{abs(self.pence) % 100:02d}"
        return [
            "101", f"5{self.ipid:06d}", self.invoice, r12_date(self.invoice_date),
            r12_date(self.received), r12_date(self.terms), r12_date(self.due), self.supplier,
            f"Supplier {self.supplier}", "MAIN", "1 High St", "Preston", "PR1 2HE",
            f"7{self.ipid:05d}", r12_date(self.paid), self.status, str(self.ipid),
            str(self.line), amount, "GBP", self.cost_centre, self.account, "Expense", "Goods",
            self.order,
        ]  # fmt: skip


def write_r12(path: Path, rows: list[Row]) -> Path:
    lines = [R12_DATED_HEADER] + [",".join(r.cells()) for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def import_rows(tmp_path: Path, rows: list[Row], name: str = "paid.csv") -> ImportBatch:
    [batch] = services.import_paths(paths=[write_r12(tmp_path / name, rows)])
    assert batch.status == ImportBatch.Status.LOADED, batch.error
    return batch
