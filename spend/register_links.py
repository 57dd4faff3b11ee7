"""What the contract register adds to the ledger's pages, without spend importing it.

spend sits below contracts (the layers in docs/architecture.md, checked by ``make lint``), yet
the payments drill-down filters to one contract's payments or to those no contract covers,
the supplier page lists the supplier's contracts, and warming the dashboards warms the
off-contract figure. contracts registers these at start-up (``contracts.apps``); without it
the ledger has no contracts: nothing is under one, everything is off-contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class RegisterLinks:
    payments_off_contract: Callable[[QuerySet[Any]], QuerySet[Any]]
    payments_under_contract: Callable[[int, QuerySet[Any]], QuerySet[Any]]
    contract: Callable[[int], Any]  # the contract a drill-down names, or None
    supplier_contracts: Callable[[str], list[Any]]  # by supplier number
    warm: Callable[[int], object]  # the register's figures for a financial year


_links: RegisterLinks | None = None


def register(links: RegisterLinks) -> None:
    global _links
    _links = links


def links() -> RegisterLinks | None:
    return _links
