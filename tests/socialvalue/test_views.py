"""Social value pages: who may see and change what, the figures on screen and in exports,
the panel on the contract page, and the demo loader."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from contracts.models import Contract
from portal.models import User
from socialvalue.models import Commitment, ContractApproach, DeliveryReturn, SupplierLink
from tests.socialvalue.conftest import World, make_contract, make_measure

pytestmark = pytest.mark.django_db


def _csv(response: object) -> list[list[str]]:
    streamed = getattr(response, "streaming", False)
    content = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if streamed
        else response.content  # type: ignore[attr-defined]
    )
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("dashboard", ["Theme A", "Theme B"]),
        ("by-contract", ["SV-C1", "SV-C2"]),
        ("by-supplier", ["Alpha Care Ltd", "Gamma Ltd"]),
        ("by-year", ["2023/24", "2024/25"]),
        ("by-measure", ["TA1.1", "TB1.1"]),
        ("overdue", ["SV-C1", "SV-C2"]),  # 2024/25's later quarters have no returns
        ("catalogue", ["TA1.1", "TB1.1"]),
    ],
)
def test_readers_see_dashboards(
    client: Client, world: World, councillor: User, name: str, shown: list[str]
) -> None:
    client.force_login(councillor)
    response = client.get(reverse(f"socialvalue:{name}"))
    assert response.status_code == 200
    text = unescape(response.content.decode())
    for words in shown:
        assert words in text, (name, words)


def test_dashboards_need_sign_in(client: Client, world: World) -> None:
    response = client.get(reverse("socialvalue:dashboard"))
    assert response.status_code == 302
    assert "sign-in" in response["Location"]


def test_dashboard_figures_on_screen(client: Client, world: World, councillor: User) -> None:
    client.force_login(councillor)
    text = client.get(reverse("socialvalue:dashboard"), {"fy": 2024}).content.decode()
    assert "£4,096" in text  # committed 409,625p
    assert "£945" in text  # delivered 94,532p
    assert "£200 in 1 return" in text
    # The headline ratio is in pence per £1 (the figure itself: tests/socialvalue/test_figures).
    from socialvalue.selectors import social_value_totals

    ratio = social_value_totals(2024).committed_pence_per_pound
    assert ratio is not None
    assert f"{ratio:.2f}p committed" in text
    assert "<svg" in text
    import re

    heights = [int(h) for h in re.findall(r'<svg[^>]*viewBox="0 0 \d+ (\d+)"', text)]
    assert heights
    assert min(heights) >= 480  # taller than the 380 px that flattened delivered bars
    assert 'role="img"' in text
    assert "Theme A" in text


def test_exports_give_pounds_and_pence(client: Client, world: World, councillor: User) -> None:
    client.force_login(councillor)
    rows = _csv(client.get(reverse("socialvalue:by-contract"), {"fy": "2024", "_export": "csv"}))
    header, *body = rows
    assert header[:3] == ["Contract", "Title", "Suppliers"]
    c1 = dict(zip(header, body[0], strict=True))
    assert c1["Contract"] == "SV-C1"
    assert c1["Committed"] == "3296.25"
    assert c1["Delivered (verified)"] == "945.32"
    assert c1["Awaiting verification"] == "200.00"
    themes = _csv(client.get(reverse("socialvalue:dashboard"), {"_export": "csv"}))
    theme_a = next(r for r in themes if r[0] == "TA")
    assert theme_a[2:5] == ["4600.00", "1500.00", "200.00"]
    response = client.get(reverse("socialvalue:by-measure"), {"_export": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    values = list(book.active.iter_rows(values_only=True))
    assert values[0][:3] == ("Measure", "Title", "Unit")
    overdue = _csv(client.get(reverse("socialvalue:overdue"), {"_export": "csv"}))
    assert [r[0] for r in overdue[1:]] == ["SV-C1", "SV-C2"]


def test_export_neutralises_formulas(client: Client, world: World, councillor: User) -> None:
    Contract.objects.filter(pk=world.c1.pk).update(title="=cmd|' /C calc'!A0")
    client.force_login(councillor)
    rows = _csv(client.get(reverse("socialvalue:by-contract"), {"_export": "csv"}))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"


def test_councillor_reads_but_cannot_change(client: Client, world: World, councillor: User) -> None:
    client.force_login(councillor)
    page = client.get(reverse("socialvalue:contract", args=[world.c1.pk]))
    assert page.status_code == 200
    assert "Add a commitment" not in page.content.decode()
    assert "Supplier links" not in page.content.decode()
    for name, args in [
        ("commitment-add", [world.c1.pk]),
        ("approach", [world.c1.pk]),
        ("link-create", [world.c1.pk]),
    ]:
        assert client.get(reverse(f"socialvalue:{name}", args=args)).status_code == 403
    record = DeliveryReturn.objects.filter(status="submitted").first()
    assert record is not None
    response = client.post(
        reverse("socialvalue:return-review", args=[world.c1.pk, record.pk]), {"decision": "verify"}
    )
    assert response.status_code == 403


def test_officer_records_approach_commitment_and_verifies(client: Client, world: World) -> None:
    client.force_login(world.officer)
    response = client.post(
        reverse("socialvalue:approach", args=[world.c1.pk]),
        {"approach": "prescribed", "notes": "From the council's list"},
    )
    assert response.status_code == 302
    assert ContractApproach.objects.get(contract=world.c1).approach == "prescribed"
    response = client.post(
        reverse("socialvalue:commitment-add", args=[world.c1.pk]),
        {"measure": world.tonnes.pk, "target_quantity": "4", "period_fy": 2023, "note": "New"},
    )
    assert response.status_code == 302, response.content.decode()
    assert Commitment.objects.filter(contract=world.c1, note="New").exists()
    # A year with no proxy in force is refused with a reason (this measure's first is 2025).
    visits = make_measure("TA1.9", world.theme_a, "visits", {2025: "5.00"})
    count = Commitment.objects.count()
    response = client.post(
        reverse("socialvalue:commitment-add", args=[world.c1.pk]),
        {"measure": visits.pk, "target_quantity": "4", "period_fy": 2023},
    )
    assert response.status_code == 200
    assert "TA1.9 has no proxy value for 2023/24; its first is from 2025." in unescape(
        response.content.decode()
    )
    # So is a target of nothing.
    response = client.post(
        reverse("socialvalue:commitment-add", args=[world.c1.pk]),
        {"measure": world.tonnes.pk, "target_quantity": "0", "period_fy": 2023},
    )
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0.01" in response.content.decode()
    assert Commitment.objects.count() == count  # neither was added

    record = DeliveryReturn.objects.get(status="submitted")
    url = reverse("socialvalue:return-review", args=[world.c1.pk, record.pk])
    page = client.get(url)
    assert "£200.00 at £20.00 per unit" in page.content.decode()
    response = client.post(url, {"decision": "reject"})
    assert "Say why the return is rejected" in response.content.decode()
    response = client.post(url, {"decision": "verify"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == "verified"
    assert record.reviewed_by == world.officer


def test_officer_makes_a_link_that_works(client: Client, world: World) -> None:
    client.force_login(world.officer)
    supplier = world.c1.suppliers.get()
    response = client.post(
        reverse("socialvalue:link-create", args=[world.c1.pk]),
        {"supplier": supplier.pk, "days": 30},
    )
    assert response.status_code == 200
    url = response.context["url"]
    link = SupplierLink.objects.get(contract=world.c1)
    assert link.token_hash not in url  # the token is shown, its hash is stored
    other = Client()
    assert other.get(url).status_code == 200
    client.post(reverse("socialvalue:link-revoke", args=[world.c1.pk, link.pk]))
    assert other.get(url).status_code == 403


def test_panel_on_the_contract_page(client: Client, world: World, councillor: User) -> None:
    empty = make_contract(
        "SV-EMPTY", "1000.00", dt.date(2024, 4, 1), dt.date(2025, 3, 31), ["Delta Ltd"]
    )
    client.force_login(councillor)
    text = client.get(reverse("contracts:detail", args=[world.c1.pk])).content.decode()
    assert "Social value commitments and returns" in text
    assert "£5,096" in text  # all years committed
    text = client.get(reverse("contracts:detail", args=[empty.pk])).content.decode()
    assert '<h2 class="govuk-heading-m">Social value</h2>' not in text
    client.force_login(world.officer)
    text = client.get(reverse("contracts:detail", args=[empty.pk])).content.decode()
    assert "Record its approach and commitments" in text


def test_demo_loader(world: World) -> None:
    make_contract(
        "DEMO-0", "800000.00", dt.date(2023, 6, 1), dt.date(2027, 5, 31), ["Care Group Ltd"]
    )
    out = io.StringIO()
    call_command("load_demo_social_value", stdout=out)
    assert "Social value demo" in out.getvalue()
    # The contracts that had commitments are left as they were.
    assert Commitment.objects.filter(contract=world.c1).count() == 3
    again = io.StringIO()
    call_command("load_demo_social_value", stdout=again)
    assert again.getvalue() == ""


def test_demo_loader_without_contracts_is_quiet(db: None) -> None:
    out = io.StringIO()
    call_command("load_demo_social_value", stdout=out)
    assert out.getvalue() == ""
    assert not Commitment.objects.exists()


def test_demo_loader_values(db: None) -> None:
    make_contract(
        "DEMO-1", "2500000.00", dt.date(2023, 6, 1), dt.date(2027, 5, 31), ["Big Builder plc"]
    )
    call_command("load_demo_social_value", stdout=io.StringIO())
    assert Commitment.objects.count() >= 2
    assert DeliveryReturn.objects.filter(status="verified").exists()
    assert all(c.target_quantity > Decimal(0) for c in Commitment.objects.all())


def test_demo_targets_are_ones_a_supplier_might_commit_to(db: None) -> None:
    """Not "18,339,847 % of invoices": percentages at most 100, money at most a few per cent
    of the contract's value, counts of people and jobs in tens at most."""
    for n, value in enumerate(("150000.00", "2500000.00", "40000000.00")):
        make_contract(
            f"DEMO-{n}", value, dt.date(2023, 6, 1), dt.date(2027, 5, 31), [f"Builder {n} Ltd"]
        )
    call_command("load_demo_social_value", stdout=io.StringIO(), contracts=10)
    commitments = list(Commitment.objects.select_related("measure", "contract"))
    assert len(commitments) >= 6
    for c in commitments:
        unit, target = c.measure.unit.lower(), c.target_quantity
        if unit.startswith("%"):
            assert target <= 100, c
        elif unit.startswith("£"):
            assert target <= c.contract.awarded_value * Decimal("0.05"), c
        elif unit in ("fte-years", "fte (first year)", "people", "vehicles"):
            assert target <= 20, c
        else:
            assert target <= 50_000, c


def test_an_officer_records_a_return_the_supplier_emailed(
    client: Client, world: World, officer: User, councillor: User
) -> None:
    from socialvalue import services

    commitment = services.commitment_create(
        contract=world.c2,
        measure=world.hours,
        target_quantity=Decimal("40"),
        period_fy=2024,
        user=officer,
    )
    url = reverse("socialvalue:return-record", args=[world.c2.pk])
    form = {
        "commitment": commitment.pk,
        "quarter": 2,
        "quantity": "12.5",
        "evidence_note": "Apprentice hours, July to September",
        "submitted_by_name": "Pat Supplier",
    }
    client.force_login(councillor)
    assert client.get(url).status_code == 403
    assert client.post(url, form).status_code == 403
    client.force_login(officer)
    page = client.get(reverse("socialvalue:contract", args=[world.c2.pk])).content.decode()
    assert url in page  # the contract page offers it
    assert client.post(url, form).status_code == 302
    recorded = DeliveryReturn.objects.get(commitment=commitment)
    assert recorded.status == DeliveryReturn.Status.SUBMITTED  # an officer still verifies it
    assert recorded.link is None
    assert recorded.quantity == Decimal("12.5")
    assert recorded.submitted_by_name.startswith("Pat Supplier (recorded by ")
    # The same quarter twice is refused with the reason, and nothing is added.
    again = client.post(url, form)
    assert again.status_code == 400
    assert "already been sent" in again.content.decode()
    assert DeliveryReturn.objects.filter(commitment=commitment).count() == 1


def test_an_officer_sends_a_reminder_of_overdue_returns(
    client: Client,
    world: World,
    officer: User,
    councillor: User,
    mailoutbox,
    django_capture_on_commit_callbacks,
) -> None:
    import re

    from socialvalue.models import ReturnReminder

    supplier = world.c1.suppliers.get()
    supplier.email = "Returns@Supplier.example"
    supplier.save()
    remind = reverse("socialvalue:remind", args=[world.c1.pk])

    client.force_login(councillor)
    page = client.get(reverse("socialvalue:overdue")).content.decode()
    assert "Send a reminder" not in page  # readers see the list, not the action
    assert client.post(remind).status_code == 403

    client.force_login(officer)
    page = client.get(reverse("socialvalue:overdue")).content.decode()
    assert f'action="{remind}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remind, follow=True)
    assert "Reminder sent to returns@supplier.example" in response.content.decode()
    [email] = mailoutbox
    assert email.to == ["returns@supplier.example"]
    assert world.c1.reference in email.subject
    # The quarters the world leaves without a return (tests/socialvalue/test_figures.py).
    for quarter in ("Q3 2023/24", "Q4 2023/24", "Q2 2024/25"):
        assert quarter in email.body
    [url] = re.findall(r"http://testserver(/social-value/\S+)", email.body)
    supplier_page = Client().get(url)
    assert supplier_page.status_code == 200
    assert world.c1.reference in supplier_page.content.decode()

    reminder = ReturnReminder.objects.get()
    assert (reminder.contract, reminder.sent_by, reminder.sent_to) == (
        world.c1,
        officer,
        "returns@supplier.example",
    )
    page = client.get(reverse("socialvalue:overdue")).content.decode()
    assert f"{reminder.sent_at:%-d %b %Y}" in page


def test_a_reminder_needs_a_supplier_email(
    client: Client, world: World, officer: User, mailoutbox
) -> None:
    world.c2.suppliers.update(email="")
    client.force_login(officer)
    response = client.post(reverse("socialvalue:remind", args=[world.c2.pk]), follow=True)
    assert "has an email address" in response.content.decode()
    assert not mailoutbox
