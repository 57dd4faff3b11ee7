"""The payments scenario's fixture (tests/payments/scenario.py) for these tests."""

from tests.payments.scenario import period_ledger

__all__ = ["period_ledger"]
