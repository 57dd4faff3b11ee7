"""A small Companies House extract for the demo's suppliers, in the free data product's
layout, so the supplier size and head-office pages have something to show.

Most suppliers with a postcode are registered companies at their main site (matched by name
and postcode, as the real file is); the biggest file full or group accounts, the long tail
micro-entity or small-company accounts; a few are registered elsewhere (head office outside
the area the council pays them in); charities and sole traders have no record."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from demo.extracts import Supplier
from suppliers.quality import CH_COLUMNS, CH_SIC_COLUMNS

HEAD_OFFICES = ("SW1A 2AA", "B1 1BB", "LS1 4DY", "M3 3HF", "EH1 1AA")
NOT_COMPANIES = ("CHARITY", "T/A", "COUNCIL")
SMALL_ACCOUNTS = ("MICRO ENTITY", "TOTAL EXEMPTION SMALL", "UNAUDITED ABRIDGED")


def write_companies_house_extract(
    path: Path, suppliers: list[Supplier], seed: int = 20240401, share: float = 0.7
) -> int:
    """Write the extract for about ``share`` of ``suppliers``; returns how many rows."""
    rng = random.Random(f"{seed}-companies-house")  # noqa: S311 - demo data, not secrets
    header = [*CH_COLUMNS.values(), *CH_SIC_COLUMNS]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for rank, supplier in enumerate(suppliers):
            postcode = supplier.sites[0].postcode
            name = supplier.r12_name
            if not postcode or any(word in name for word in NOT_COMPANIES):
                continue
            if rng.random() > share:
                continue
            if rank < 25:
                accounts = rng.choice(("FULL", "GROUP"))
            elif rank < 300:
                accounts = rng.choice(("FULL", "MEDIUM", "MEDIUM", "TOTAL EXEMPTION FULL"))
            else:
                accounts = rng.choice(
                    ("MICRO ENTITY", "TOTAL EXEMPTION SMALL", "UNAUDITED ABRIDGED")
                )
            if rank < 25 and rng.random() < 0.4:
                postcode = rng.choice(HEAD_OFFICES)  # a national firm paid at a local depot
            category = (
                "Community Interest Company"
                if name.endswith("CIC")
                else (
                    "Public Limited Company" if name.endswith("PLC") else "Private Limited Company"
                )
            )
            number = f"{10_000_000 + rank * 7:08d}"
            values = {
                "name": name.replace(" LTD", " LIMITED"),
                "number": number,
                "postcode": postcode,
                "category": category,
                "status": "Active",
                "accounts": accounts,
            }
            writer.writerow([*(values[key] for key in CH_COLUMNS), "", "", "", ""])
            rows += 1
    return rows
