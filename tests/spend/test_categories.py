"""Category rules: officers read them, administrators change them, and a change re-applies
the rules to the ledger and the summaries in a job (longest prefix wins)."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.test import Client

from portal import services as portal_services
from portal.models import Job
from spend import selectors
from spend.models import Payment, SpendSummary
from tests.spend.conftest import Expected

pytestmark = pytest.mark.django_db


def test_officers_read_the_rules_councillors_do_not(
    db: None, client: Client, officer: object, councillor: object
) -> None:
    client.force_login(officer)  # type: ignore[arg-type]
    page = client.get("/spend/categories/")
    assert page.status_code == 200
    assert "Waste" in page.content.decode()
    assert "Save rule" not in page.content.decode()
    assert (
        client.post("/spend/categories/", {"account_prefix": "9", "category_name": "X"}).status_code
        == 403
    )
    client.force_login(councillor)  # type: ignore[arg-type]
    assert client.get("/spend/categories/").status_code == 403


def test_a_new_rule_recategorises_the_ledger(
    ledger: object, expected: Expected, client: Client, administrator: object
) -> None:
    client.force_login(administrator)  # type: ignore[arg-type]
    # 55200 (residential care) was "Adult social care" through the 552 rule; a longer rule wins.
    response = client.post(
        "/spend/categories/", {"account_prefix": "5520", "category_name": "Residential care"}
    )
    assert response.status_code == 302
    job = Job.objects.get(kind="spend.recategorise")
    portal_services.job_run(job_id=job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    residential = [line for line in expected.lines if line.expense == "Residential Care"]
    assert residential
    for fy in (2020, 2021, 2022, 2023):
        want = sum(line.pence for line in residential if line.fy == fy)
        by_name = {c.name: c.total_pence for c in selectors.spend_by_category(fy)}
        assert by_name.get("Residential care", 0) == want
        adult = (
            sum(
                line.pence
                for line in expected.lines
                if line.fy == fy and line.category == "Adult social care"
            )
            - want
        )
        assert by_name["Adult social care"] == adult
    assert (
        Payment.objects.filter(account="55200").exclude(category__name="Residential care").count()
        == 0
    )
    assert SpendSummary.objects.aggregate(t=Sum("total_pence"))["t"] == sum(
        line.pence for line in expected.lines
    )
    # Removing the rule puts them back.
    rule = selectors.category_rules().get(account_prefix="5520")
    client.post("/spend/categories/", {"delete": rule.pk})
    latest = Job.objects.filter(kind="spend.recategorise").order_by("-pk").first()
    assert latest is not None
    portal_services.job_run(job_id=latest.pk)
    assert not Payment.objects.filter(category__name="Residential care").exists()
