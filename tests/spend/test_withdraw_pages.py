"""The import page's withdraw, undo and held-file decisions: administrators only, audited."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.roles import Role
from spend import services
from spend.models import ImportBatch, Payment, Withdrawal
from tests.conftest import make_user


def write(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ("Transaction Number", "Supplier Name", "Payment Date", "Amount"),
                ("T1", "ANYTOWN CARE LTD", "03/04/2024", "1,200.00"),
                ("T2", "ROADS PLC", "05/04/2024", "640.55"),
            ]
        )
    return path


@pytest.mark.django_db
def test_officer_cannot_withdraw_and_administrator_can_then_undo(
    tmp_path: Path, administrator: Any
) -> None:
    [batch] = services.import_paths(paths=[write(tmp_path / "april.csv")])
    url = reverse("spend:import-action", args=[batch.pk])
    officer = Client()
    officer.force_login(make_user(Role.PROCUREMENT_OFFICER))
    response = officer.post(url, {"action": "withdraw", "reason": "test"})
    assert response.status_code == 403
    assert Payment.objects.count() == 2

    admin = Client()
    admin.force_login(administrator)
    first = admin.get(batch.get_absolute_url())
    assert "Withdraw the file" in first.content.decode()
    for blank in ("", "   "):  # a reason is required: the page again, the error at the box
        refused = admin.post(url, {"action": "withdraw", "reason": blank}).content.decode()
        assert Payment.objects.count() == 2
        assert 'href="#withdraw-reason"' in refused  # the error summary links to the box
        assert 'id="withdraw-reason-error"' in refused
        assert 'aria-describedby="withdraw-reason-error"' in refused
        assert "Say why the file is withdrawn (it is kept on record)" in refused
    admin.post(url, {"action": "withdraw", "reason": "Published in error"})
    assert Payment.objects.count() == 0
    withdrawal = Withdrawal.objects.get(batch=batch)
    assert (withdrawal.performed_by, withdrawal.reason) == (administrator, "Published in error")
    page = admin.get(batch.get_absolute_url()).content.decode()
    assert "Undo the withdrawal" in page
    assert "Published in error" in page

    admin.post(url, {"action": "undo", "withdrawal": withdrawal.pk})
    assert Payment.objects.count() == 2
    withdrawal.refresh_from_db()
    assert withdrawal.undone_by == administrator
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.LOADED
