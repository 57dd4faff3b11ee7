"""The demo a councillor would believe: names as people write them, no numbered suppliers,
each supplier mostly paid for what its name says it does."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from demo import extracts

# What a supplier's name says it does, and words its main account must contain. The test's
# own reading of the names, not the generator's table.
FITS = (
    (("RECYCLING", "WASTE"), ("Waste",)),
    (("TAXIS", "TRANSPORT", "COACHES"), ("Transport",)),
    (("RECRUITMENT",), ("Agency",)),
    (("CATERING",), ("Provisions",)),
    (("PRINT",), ("Printing",)),
    (("FOSTERING",), ("Children",)),
    (("CARE",), ("care", "Care")),
    (("BUILDERS", "GROUNDWORKS", "PLUMBING", "ELECTRICAL", "LANDSCAPES"), ("Capital Works",)),
)


@pytest.mark.parametrize(
    ("shouting", "written"),
    [
        ("SUEZ RECYCLING & RECOVERY UK LTD", "Suez Recycling & Recovery UK Ltd"),
        ("CGL SERVICES LTD", "CGL Services Ltd"),
        ("DISABILITY EQUALITY (NW) LTD", "Disability Equality (NW) Ltd"),
        ("O'BRIEN & SONS (PRESTON) LTD", "O'Brien & Sons (Preston) Ltd"),
        ("J.W. HODGSON T/A HODGSONS COACHES", "J.W. Hodgson T/A Hodgsons Coaches"),
        ("SOFTCAT PLC", "Softcat PLC"),
        ("RIBBLE IT LLP", "Ribble IT LLP"),
    ],
)
def test_names_are_re_cased_keeping_acronyms(shouting: str, written: str) -> None:
    assert extracts.recase(shouting) == written


def test_supplier_names_have_no_numbers_and_the_fusion_spelling_keeps_acronyms() -> None:
    suppliers = extracts.build_suppliers(extracts.GeneratorConfig(seed=11, suppliers=3000))
    names = [s.r12_name for s in suppliers]
    assert len(set(names)) == len(names) == 3000
    assert not [n for n in names if any(ch.isdigit() for ch in n)]
    for supplier in suppliers:
        for word in ("UK", "CGL", "(NW)", "PLC", "LLP", "CIC"):
            if word in supplier.r12_name.split():
                assert word in supplier.fusion_name.split(), supplier


def test_a_few_suppliers_are_held_twice_under_other_numbers() -> None:
    from spend.ingest.normalise import name_key

    suppliers = extracts.build_suppliers(extracts.GeneratorConfig(seed=11, suppliers=1000))
    by_key: dict[str, set[str]] = defaultdict(set)
    for supplier in suppliers:
        by_key[name_key(supplier.r12_name)].add(supplier.number)
    twice = [key for key, numbers in by_key.items() if len(numbers) > 1]
    assert 3 <= len(twice) <= 10, twice


def test_each_supplier_is_mostly_paid_for_what_its_name_says() -> None:
    cfg = extracts.GeneratorConfig(
        seed=11, suppliers=400, payments_per_month=600, years=1, as_of=dt.date(2025, 3, 31)
    )
    suppliers = extracts.build_suppliers(cfg)
    weights = extracts._Weights(len(suppliers))
    accounts: dict[str, Counter[str]] = defaultdict(Counter)
    for year, month in extracts.fy_months(cfg.start_fy):
        for payment in extracts.month_payments(cfg, suppliers, weights, year, month):
            accounts[suppliers[payment.supplier].number].update([payment.account_description])
    checked = 0
    for supplier in suppliers:
        seen = accounts.get(supplier.number)
        if not seen or sum(seen.values()) < 20:
            continue
        main, count = seen.most_common(1)[0]
        assert count >= 0.75 * sum(seen.values()), supplier.r12_name  # one main category
        for keywords, fitting in FITS:
            if any(k in supplier.r12_name.split() for k in keywords):
                assert any(f in main for f in fitting), (supplier.r12_name, main)
                checked += 1
                break
    assert checked >= 20
