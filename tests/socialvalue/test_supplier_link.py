"""Supplier links: no account needed, scoped to one contract and supplier, refused when
expired, stopped or tampered with; evidence files checked and kept from the public."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import User
from socialvalue import services
from socialvalue.evidence import MAX_EVIDENCE_BYTES
from socialvalue.models import DeliveryReturn, SupplierLink
from tests.socialvalue.conftest import PDF_BYTES, World

pytestmark = pytest.mark.django_db


def _link(world: World, contract: str = "c1", supplier: str | None = None) -> str:
    record = getattr(world, contract)
    chosen = record.suppliers.get(name=supplier) if supplier else record.suppliers.first()
    _, token = services.supplier_link_create(contract=record, supplier=chosen, user=world.officer)
    return token


def _post(
    client: Client,
    token: str,
    commitment: int,
    quarter: int = 3,
    quantity: str = "12",
    **extra: object,
) -> Any:
    data = {
        "commitment": commitment,
        "quarter": quarter,
        "quantity": quantity,
        "evidence_note": "Timesheets for the quarter",
        "submitted_by_name": "Sam Supplier",
        **extra,
    }
    return client.post(reverse("socialvalue:supplier-return", args=[token]), data)


def test_supplier_sees_only_their_contract(client: Client, world: World) -> None:
    token = _link(world)
    page = client.get(reverse("socialvalue:supplier", args=[token]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "SV-C1" in text
    assert "C1 hours 2023" in text
    assert "C1 tonnes 2024" in text
    assert "SV-C2" not in text
    assert "C2 Gamma hours" not in text
    assert page["Referrer-Policy"] == "same-origin"
    # No account: nothing in the page offers the officers' pages.
    assert f'href="{reverse("socialvalue:dashboard")}"' not in text
    assert "Verify or reject" not in text


def test_supplier_on_a_framework_sees_only_their_own_commitments(
    client: Client, world: World
) -> None:
    beta = client.get(reverse("socialvalue:supplier", args=[_link(world, "c2", "Beta Ltd")]))
    assert "C2 Gamma hours" not in beta.content.decode()
    gamma = client.get(reverse("socialvalue:supplier", args=[_link(world, "c2", "Gamma Ltd")]))
    assert "C2 Gamma hours" in gamma.content.decode()


def test_supplier_submits_a_return_with_evidence(client: Client, world: World) -> None:
    token = _link(world)
    evidence = SimpleUploadedFile("report.pdf", PDF_BYTES, content_type="application/pdf")
    response = _post(client, token, world.commit_hours_2023.pk, evidence=evidence)
    assert response.status_code == 302
    record = DeliveryReturn.objects.get(commitment=world.commit_hours_2023, quarter=3)
    assert record.status == DeliveryReturn.Status.SUBMITTED
    assert record.quantity == Decimal(12)
    assert record.submitted_by_name == "Sam Supplier"
    assert record.evidence_name == "report.pdf"
    assert record.evidence_type == "application/pdf"
    assert record.link is not None
    assert record.link.contract_id == world.c1.pk
    with record.evidence.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    # The same quarter again is refused while the first is live.
    again = _post(client, token, world.commit_hours_2023.pk)
    assert again.status_code == 400
    assert "already been sent" in again.content.decode()


def test_another_contracts_commitment_is_refused(client: Client, world: World) -> None:
    token = _link(world)
    before = DeliveryReturn.objects.count()
    response = _post(client, token, world.commit_c2.pk, quarter=2)
    assert response.status_code == 400
    assert DeliveryReturn.objects.count() == before
    # The service refuses it too, whatever the form allowed.
    link = SupplierLink.objects.filter(contract=world.c1).get()
    with pytest.raises(Exception, match="this contract's commitments"):
        services.delivery_return_submit(
            commitment=world.commit_c2, quarter=2, quantity=Decimal(1), link=link
        )


def test_expired_link_is_refused(client: Client, world: World) -> None:
    token = _link(world)
    SupplierLink.objects.filter(contract=world.c1).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    for name in ("socialvalue:supplier", "socialvalue:supplier-return"):
        response = client.get(reverse(name, args=[token]))
        assert response.status_code == 403
        assert "This link no longer works" in response.content.decode()
        assert "expired on" in response.content.decode()
    response = _post(client, token, world.commit_hours_2023.pk)
    assert response.status_code == 403
    assert not DeliveryReturn.objects.filter(quarter=3).exists()


def test_stopped_link_is_refused(client: Client, world: World) -> None:
    token = _link(world)
    services.supplier_link_revoke(link=SupplierLink.objects.filter(contract=world.c1).get())
    response = client.get(reverse("socialvalue:supplier", args=[token]))
    assert response.status_code == 403
    assert "stopped this link" in response.content.decode()


@pytest.mark.parametrize("change", ["last", "short", "made-up"])
def test_tampered_link_is_refused(client: Client, world: World, change: str) -> None:
    token = _link(world)
    bad = {
        "last": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "short": token[:20],
        "made-up": "x" * 43,
    }[change]
    response = client.get(reverse("socialvalue:supplier", args=[bad]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert "SV-C1" not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.pdf", b"MZ\x90\x00 not a pdf at all", "not what its name says"),
        ("script.html", b"<script>alert(1)</script>", "must be PDF"),
        ("photo.png", PDF_BYTES, "not what its name says"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_evidence_is_refused(
    client: Client, world: World, name: str, content: bytes, message: str
) -> None:
    token = _link(world)
    upload = SimpleUploadedFile(name, content)
    response = _post(client, token, world.commit_hours_2023.pk, evidence=upload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DeliveryReturn.objects.filter(quarter=3).exists()


def test_oversized_evidence_is_refused(client: Client, world: World) -> None:
    token = _link(world)
    upload = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * MAX_EVIDENCE_BYTES)
    response = _post(client, token, world.commit_hours_2023.pk, evidence=upload)
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()


def test_office_documents_are_accepted_by_content(world: World) -> None:
    import io

    from openpyxl import Workbook

    from socialvalue.evidence import check_evidence

    out = io.BytesIO()
    Workbook().save(out)
    checked = check_evidence(io.BytesIO(out.getvalue()), "C:\\Users\\me\\figures.xlsx")
    assert checked.name == "figures.xlsx"
    assert checked.content_type.endswith("spreadsheetml.sheet")


def test_evidence_downloads_only_for_officers(
    client: Client, world: World, councillor: User
) -> None:
    token = _link(world)
    _post(
        client,
        token,
        world.commit_hours_2023.pk,
        evidence=SimpleUploadedFile("report.pdf", PDF_BYTES),
    )
    record = DeliveryReturn.objects.get(commitment=world.commit_hours_2023, quarter=3)
    url = reverse("socialvalue:evidence", args=[world.c1.pk, record.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "sign-in" in anonymous["Location"]
    client.force_login(councillor)
    assert client.get(url).status_code == 403
    client.force_login(world.officer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert 'filename="report.pdf"' in response["Content-Disposition"]
    # Not reachable under another contract's address.
    assert (
        client.get(reverse("socialvalue:evidence", args=[world.c2.pk, record.pk])).status_code
        == 404
    )


def test_future_quarter_is_refused(world: World) -> None:
    future = timezone.localdate().year + 2
    commitment = services.commitment_create(
        contract=world.c1,
        measure=world.hours,
        target_quantity=Decimal(5),
        period_fy=future,
        user=world.officer,
    )
    with pytest.raises(Exception, match="not started"):
        services.delivery_return_submit(commitment=commitment, quarter=1, quantity=Decimal(1))


def test_the_officer_can_have_the_link_emailed_to_the_supplier(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    import re

    from django.core import mail

    client.force_login(world.officer)
    supplier = world.c1.suppliers.first()
    assert supplier is not None
    url = reverse("socialvalue:link-create", args=[world.c1.pk])
    refused = client.post(url, {"supplier": supplier.pk, "days": 30, "email": "not-an-address"})
    assert "Enter a valid email address" in refused.content.decode()
    assert not SupplierLink.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            url, {"supplier": supplier.pk, "days": 30, "email": "Returns@Supplier.example"}
        )
    assert made.status_code == 200
    assert "emailed to returns@supplier.example" in made.content.decode().lower()
    [message] = mail.outbox
    assert message.to == ["returns@supplier.example"]
    assert world.c1.reference in message.subject
    sent = re.search(r"http://testserver(/social-value/supplier/[^/\s]+/)", str(message.body))
    assert sent
    assert sent[1] in made.content.decode()  # the same link is shown once to the officer
    assert Client().get(sent[1]).status_code == 200  # and works with no account
    # Without an address nothing is sent: the officer copies the link.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"supplier": supplier.pk, "days": 30, "email": ""})
    assert len(mail.outbox) == 1
