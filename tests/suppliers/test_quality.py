"""Duplicate candidates, merge and undo, aliases in later imports, and the quality pages."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from spend import services
from spend.models import (
    DuplicateCandidate,
    Payment,
    SpendSummary,
    Supplier,
    SupplierMerge,
    SupplierNotDuplicate,
    SupplierNumberAlias,
    SupplierSite,
)
from suppliers import quality, selectors
from tests.spend.test_ingest_quirks import R12_HEADER, r12_row

pytestmark = pytest.mark.django_db


def row(
    ipid: int,
    amount: str,
    number: str,
    name: str,
    *,
    zip_code: str = "PR1 2HE",
    check_date: str = "19-APR-21",
) -> str:
    """An R12 extract row for supplier ``number`` (r12_row always writes 100231)."""
    line = r12_row(ipid, amount, name=name, zip_code=zip_code, check_date=check_date)
    return line.replace(",100231,", f",{number},", 1)


def load(tmp_path: Path, name: str, rows: list[str]) -> None:
    path = tmp_path / name
    path.write_text("\n".join([R12_HEADER, *rows]) + "\n")
    [batch] = services.import_paths(paths=[path])
    assert batch.status == "loaded", batch.error


def totals() -> dict[str, Any]:
    by_fy = Counter(
        {
            r["financial_year"]: r["t"]
            for r in SpendSummary.objects.values("financial_year").annotate(t=Sum("total_pence"))
        }
    )
    by_locality = Counter(
        {
            r["locality_class"]: r["t"]
            for r in SpendSummary.objects.values("locality_class").annotate(t=Sum("total_pence"))
        }
    )
    ledger = Payment.objects.spend().aggregate(t=Sum("amount_pence"))["t"]
    return {"fy": by_fy, "locality": by_locality, "ledger": ledger}


def payments_state() -> set[tuple[int, int, int]]:
    return set(Payment.objects.values_list("id", "supplier_id", "site_id"))


def sites_state() -> set[tuple[Any, ...]]:
    return set(
        SupplierSite.objects.values_list(
            "id", "supplier_id", "site_code", "postcode", "locality_class"
        )
    )


def suppliers_state() -> set[tuple[Any, ...]]:
    return set(
        Supplier.objects.values_list(
            "id",
            "supplier_number",
            "name",
            "name_key",
            "name_as_of",
            "company_number",
            "is_sme",
            "created_at",
        )
    )


SUEZ = "SUEZ RECYCLING & RECOVERY UK LTD"
SUEZ_AGAIN = "Suez Recycling and Recovery UK Limited"


@pytest.fixture
def two_suez(tmp_path: Path) -> tuple[Supplier, Supplier]:
    load(
        tmp_path,
        "first.csv",
        [
            row(1, "500.00", "100231", SUEZ),
            row(2, "250.00", "100231", SUEZ, check_date="19-APR-22"),
            # The same organisation under a second number: one site like the first's, one not.
            row(3, "40.00", "100999", SUEZ_AGAIN),
            row(4, "60.00", "100999", SUEZ_AGAIN, zip_code="M3 3HF", check_date="03-MAY-22"),
            row(5, "7.00", "200500", "Preston Plumbing Ltd", zip_code="PR7 1DP"),
        ],
    )
    return (
        Supplier.objects.get(supplier_number="100231"),
        Supplier.objects.get(supplier_number="100999"),
    )


def test_same_name_once_normalised_is_a_candidate_with_its_reason(two_suez) -> None:
    first, second = two_suez
    quality.duplicates_refresh()
    candidate = DuplicateCandidate.objects.get(supplier_low=first, supplier_high=second)
    assert any("Same name once normalised" in r for r in candidate.reasons)
    assert any("Same postcode PR1 2HE" in r for r in candidate.reasons)
    assert candidate.score >= 0.9
    assert DuplicateCandidate.objects.count() == 1  # the plumber is nobody's duplicate


def test_merge_moves_everything_totals_unchanged_and_undo_restores_exactly(
    two_suez, tmp_path: Path, officer
) -> None:
    survivor, merged = two_suez
    before = totals()
    payments, sites, suppliers = payments_state(), sites_state(), suppliers_state()
    merged_payments = set(merged.payments.values_list("id", flat=True))

    merge = quality.supplier_merge(
        survivor=survivor, merged=merged, user=officer, reason="Same company"
    )
    assert not Supplier.objects.filter(pk=merged.pk).exists()
    assert set(Payment.objects.values_list("supplier_id", flat=True)) == {
        survivor.pk,
        Supplier.objects.get(supplier_number="200500").pk,
    }
    assert totals() == before
    # The PR1 2HE MAIN site duplicated the survivor's and was folded into it; M3 3HF moved.
    assert sorted(survivor.sites.values_list("postcode", flat=True)) == ["M3 3HF", "PR1 2HE"]
    assert len(merge.folded_sites) == 1
    assert len(merge.site_ids) == 1
    assert set(merge.payment_ids) == merged_payments
    assert merge.performed_by == officer
    assert merge.reason == "Same company"
    assert SupplierNumberAlias.objects.get(supplier_number="100999").supplier == survivor
    assert selectors.supplier_for_number("100999") == survivor
    assert SpendSummary.objects.filter(supplier_id=merged.pk).count() == 0

    # A later extract still carries the old number: it lands on the survivor, no new supplier,
    # and the old spelling does not rename the survivor.
    load(
        tmp_path,
        "later.csv",
        [
            row(10, "33.00", "100999", SUEZ_AGAIN, zip_code="M3 3HF", check_date="01-JUN-22"),
            row(11, "11.00", "100999", SUEZ_AGAIN, check_date="02-JUN-22"),
        ],
    )
    assert Supplier.objects.count() == 2
    later = Payment.objects.filter(payment_date__month=6)
    assert set(later.values_list("supplier_id", flat=True)) == {survivor.pk}
    survivor.refresh_from_db()
    assert survivor.name == SUEZ
    after_later = totals()
    assert after_later["ledger"] == before["ledger"] + 4400

    restored = quality.supplier_merge_undo(merge=merge, user=officer, reason="Wrong call")
    assert restored.pk == merged.pk
    # Everything that existed before the merge is exactly as it was.
    assert suppliers_state() == suppliers
    assert {p for p in payments_state() if p[0] in {x[0] for x in payments}} == payments
    assert sites_state() == sites
    assert not SupplierNumberAlias.objects.exists()
    # The later payment on the site that came with the merged supplier goes back with it;
    # the one on the survivor's own site stays.
    assert Payment.objects.get(source_line=2, payment_date__month=6).supplier == restored
    assert Payment.objects.get(source_line=3, payment_date__month=6).supplier == survivor
    assert totals() == after_later
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert merge.undone_by == officer
    assert merge.undo_reason == "Wrong call"
    with pytest.raises(quality.QualityError, match="already been undone"):
        quality.supplier_merge_undo(merge=merge, user=officer)


def test_after_undo_the_old_number_imports_to_its_own_supplier_again(
    two_suez, tmp_path, officer
) -> None:
    survivor, merged = two_suez
    merge = quality.supplier_merge(survivor=survivor, merged=merged, user=officer)
    quality.supplier_merge_undo(merge=merge, user=officer)
    load(tmp_path, "again.csv", [row(20, "5.00", "100999", SUEZ_AGAIN, check_date="01-JUL-22")])
    assert Payment.objects.get(payment_date__month=7).supplier_id == merged.pk


def test_chained_merges_undo_in_reverse_order(two_suez, officer) -> None:
    first, second = two_suez
    third = Supplier.objects.get(supplier_number="200500")
    before = totals()
    suppliers = suppliers_state()
    ab = quality.supplier_merge(survivor=first, merged=second, user=officer)
    bc = quality.supplier_merge(survivor=third, merged=first, user=officer)
    # Both old numbers now resolve to the last survivor.
    assert selectors.supplier_for_number("100999") == third
    assert selectors.supplier_for_number("100231") == third
    assert totals()["fy"] == before["fy"]
    assert "undo that merge first" in quality.merge_blocker(ab)
    with pytest.raises(quality.QualityError):
        quality.supplier_merge_undo(merge=ab, user=officer)
    quality.supplier_merge_undo(merge=bc, user=officer)
    assert selectors.supplier_for_number("100999") == first
    quality.supplier_merge_undo(merge=ab, user=officer)
    assert suppliers_state() == suppliers
    assert totals() == before


def test_merge_fills_the_survivors_blanks_and_undo_empties_them(two_suez, officer) -> None:
    survivor, merged = two_suez
    Supplier.objects.filter(pk=merged.pk).update(company_number="02803692", vat_number="123")
    merged.refresh_from_db()
    merge = quality.supplier_merge(survivor=survivor, merged=merged, user=officer)
    survivor.refresh_from_db()
    assert (survivor.company_number, survivor.vat_number) == ("02803692", "123")
    quality.supplier_merge_undo(merge=merge, user=officer)
    survivor.refresh_from_db()
    assert (survivor.company_number, survivor.vat_number) == ("", "")


def test_a_pair_marked_not_the_same_never_returns(two_suez, officer) -> None:
    first, second = two_suez
    quality.duplicates_refresh()
    assert DuplicateCandidate.objects.filter(supplier_low=first, supplier_high=second).exists()
    quality.supplier_not_duplicate_mark(
        first=second, second=first, user=officer, reason="Two separate contracts"
    )
    assert not DuplicateCandidate.objects.exists()
    quality.duplicates_refresh()
    quality.duplicates_refresh(threshold=0.1)
    assert not DuplicateCandidate.objects.filter(supplier_low=first, supplier_high=second).exists()
    mark = SupplierNotDuplicate.objects.get()
    assert (mark.supplier_low_id, mark.supplier_high_id) == (first.pk, second.pk)


def test_reasons_numbers_trading_names_and_ranking(tmp_path: Path) -> None:
    load(
        tmp_path,
        "many.csv",
        [
            row(1, "1.00", "A1", "Acme Widgets Ltd", zip_code="PR1 1AA"),
            row(2, "1.00", "A2", "Northern Fabrication Services", zip_code="BB1 1AA"),
            row(3, "1.00", "B1", "J Smith t/a Smith Roofing", zip_code="LA1 1AA"),
            row(4, "1.00", "B2", "Smith Roofing", zip_code="LA2 2AA"),
            row(5, "1.00", "C1", "Lancashire Training Partnership", zip_code="FY1 1AA"),
            row(6, "1.00", "C2", "Lancashire Training Partnerships", zip_code="FY2 2AA"),
            row(7, "1.00", "D1", "Quiet Office Supplies", zip_code="PR2 2BB"),
            row(8, "1.00", "D2", "Blue Sky Catering", zip_code="PR2 2BB"),
            row(9, "1.00", "E1", "Hill and Dale Ltd", zip_code="PR3 3CC"),
            row(10, "1.00", "E2", "Hill & Dale", zip_code="PR4 4DD"),
        ],
    )
    by_number = {s.supplier_number: s for s in Supplier.objects.all()}
    Supplier.objects.filter(pk=by_number["A1"].pk).update(company_number="1234567")
    Supplier.objects.filter(pk=by_number["A2"].pk).update(company_number="01234567")
    quality.duplicates_refresh()

    def reasons(a: str, b: str) -> tuple[list[str], float]:
        low, high = sorted([by_number[a].pk, by_number[b].pk])
        found = DuplicateCandidate.objects.get(supplier_low_id=low, supplier_high_id=high)
        return found.reasons, float(found.score)

    company, company_score = reasons("A1", "A2")
    assert company == ["Same company number 01234567"]
    assert company_score == 1.0
    trading, _ = reasons("B1", "B2")
    assert any("Trading name" in r for r in trading)
    similar, _ = reasons("C1", "C2")
    assert any(r.startswith("Similar name (") for r in similar)
    postcode, postcode_score = reasons("D1", "D2")
    assert postcode == ["Same postcode PR2 2BB"]
    legal, _ = reasons("E1", "E2")
    assert any("legal form" in r for r in legal)
    ranked = list(DuplicateCandidate.objects.values_list("score", flat=True))
    assert ranked == sorted(ranked, reverse=True)
    assert postcode_score < company_score
    assert [float(s) for s in ranked][-1] == postcode_score


def test_similar_names_with_different_numbers_are_not_offered(tmp_path: Path) -> None:
    load(
        tmp_path,
        "numbered.csv",
        [
            row(1, "1.00", "N1", "Brightside Catering 12 Ltd", zip_code="PR1 1AA"),
            row(2, "1.00", "N2", "Brightsyde Catering 12 Ltd", zip_code="BB1 1AA"),
            row(3, "1.00", "N3", "Brightside Catering 14 Ltd", zip_code="LA1 1AA"),
            row(4, "1.00", "N4", "Brightside Catering Ltd", zip_code="FY1 1AA"),
        ],
    )
    quality.duplicates_refresh()
    by_number = {s.supplier_number: s.pk for s in Supplier.objects.all()}

    def offered(a: str, b: str) -> bool:
        low, high = sorted([by_number[a], by_number[b]])
        return DuplicateCandidate.objects.filter(
            supplier_low_id=low, supplier_high_id=high
        ).exists()

    assert offered("N1", "N2")  # a misspelling, the same number
    assert offered("N1", "N4")  # a number on one name only
    assert not offered("N1", "N3")  # unit 12 and unit 14 are two organisations
    assert not offered("N2", "N3")


def test_supplier_data_sets_the_size_band_flags_and_numbers(two_suez) -> None:
    survivor, _ = two_suez
    quality.supplier_quality_update(
        supplier=survivor,
        size_band_override="small",
        sme="auto",
        vcfs="no",
        company_number="2803692",
        vat_number="GB 123",
    )
    survivor.refresh_from_db()
    assert (survivor.size_band, survivor.is_sme, survivor.is_vcfs) == ("small", True, False)
    assert survivor.company_number == "02803692"
    assert survivor.vat_number == "123"


# --- Pages ---------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_officer_reviews_merges_and_undoes_through_the_pages(two_suez, officer) -> None:
    first, second = two_suez
    client = client_for(officer)
    quality.duplicates_refresh()
    page = client.get(reverse("suppliers:duplicates"))
    assert page.status_code == 200
    assert "Same name once normalised" in page.content.decode()
    pair_url = reverse("suppliers:pair", args=[first.pk, second.pk])
    compare = client.get(pair_url)
    assert compare.status_code == 200
    assert SUEZ_AGAIN in compare.content.decode()
    done = client.post(pair_url, {"survivor": first.pk, "reason": "Same firm"})
    assert done.status_code == 302
    merge = SupplierMerge.objects.get()
    assert merge.survivor_id == first.pk
    assert merge.performed_by == officer
    history = client.get(reverse("suppliers:merges"))
    assert "Same firm" in history.content.decode()
    undo_url = reverse("suppliers:merge-undo", args=[merge.pk])
    assert client.get(undo_url).status_code == 200
    assert client.post(undo_url, {"reason": "Mistake"}).status_code == 302
    assert Supplier.objects.filter(pk=second.pk).exists()


def test_not_the_same_through_the_page(two_suez, officer) -> None:
    first, second = two_suez
    client = client_for(officer)
    url = reverse("suppliers:not-same", args=[first.pk, second.pk])
    assert client.get(url).status_code == 405
    assert client.post(url, {"reason": "Different firms"}).status_code == 302
    assert SupplierNotDuplicate.objects.get().reason == "Different firms"


def test_supplier_edit_page_saves_overrides(two_suez, officer) -> None:
    first, _ = two_suez
    client = client_for(officer)
    url = reverse("suppliers:supplier", args=[first.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "company_number": "sc012345",
            "vat_number": "",
            "size_band_override": "large",
            "sme": "yes",
            "vcfs": "auto",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.company_number, first.size_band, first.is_sme, first.sme_set_by_officer) == (
        "SC012345",
        "large",
        True,
        True,
    )


def test_councillors_read_the_figures_but_do_not_merge(two_suez, councillor) -> None:
    first, second = two_suez
    client = client_for(councillor)
    assert client.get(reverse("suppliers:size")).status_code == 200
    assert client.get(reverse("suppliers:locality")).status_code == 200
    assert client.get(reverse("suppliers:quality")).status_code == 200
    assert client.get(reverse("suppliers:duplicates")).status_code == 403
    assert (
        client.post(
            reverse("suppliers:pair", args=[first.pk, second.pk]), {"survivor": first.pk}
        ).status_code
        == 403
    )
    assert client.get(reverse("suppliers:companies-house")).status_code == 403
