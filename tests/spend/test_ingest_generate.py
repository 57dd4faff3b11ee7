"""Generated extracts parse back to the generator's own expected totals."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from demo import extracts as generate
from portal.periods import financial_year_of
from portal.suppliers import name_key
from spend.ingest.parse import Payment, iter_payments

CONFIG = generate.GeneratorConfig(
    seed=7,
    first_fy=2020,
    years=4,
    as_of=dt.date(2024, 2, 10),
    suppliers=900,
    payments_per_month=120,
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> generate.GeneratedExtracts:
    return generate.generate_extracts(tmp_path_factory.mktemp("extracts"), CONFIG)


def load_like_the_ledger(
    files: list[tuple[Path, generate.ExtractPlan]],
) -> tuple[dict[str, Payment], int]:
    """Keep the first payment seen for each natural key, as the import does."""
    ledger: dict[str, Payment] = {}
    duplicates = 0
    for path, _ in files:
        _, payments = iter_payments(path, path.name)
        for payment in payments:
            if payment.natural_key in ledger:
                duplicates += 1
            else:
                ledger[payment.natural_key] = payment
    return ledger, duplicates


def test_ledger_totals_equal_the_generators(generated: generate.GeneratedExtracts) -> None:
    ledger, duplicates = load_like_the_ledger(generated.files)
    home = generate.home_districts()
    spend: Counter[int] = Counter()
    home_spend: Counter[int] = Counter()
    rows: Counter[int] = Counter()
    not_spend = 0
    for p in ledger.values():
        if not p.is_spend:
            not_spend += 1
            continue
        fy = financial_year_of(p.payment_date)
        spend[fy] += p.amount_pence
        rows[fy] += 1
        if p.district in home:
            home_spend[fy] += p.amount_pence
    expected = generated.expected
    assert dict(spend) == expected.spend_pence_by_fy
    assert dict(home_spend) == expected.home_pence_by_fy
    assert dict(rows) == expected.spend_rows_by_fy
    assert not_spend == expected.not_spend_rows > 0
    assert duplicates > 0  # the overlapping extract was really there, and counted once
    assert expected.credit_rows > 0
    assert set(spend) == {2020, 2021, 2022, 2023}


def test_every_quirk_is_in_some_file(generated: generate.GeneratedExtracts) -> None:
    quirks = set().union(*(plan.quirks for _, plan in generated.files))
    assert quirks >= set(generate.QUIRKS)
    kinds = {(plan.layout, plan.kind) for _, plan in generated.files}
    assert kinds >= {("r12", "csv"), ("fusion", "csv"), ("fusion", "xlsx")}


def test_r12_until_december_2022_then_fusion(generated: generate.GeneratedExtracts) -> None:
    for path, plan in generated.files:
        _, payments = iter_payments(path, path.name)
        dates = [p.payment_date for p in payments]
        if plan.layout == "r12":
            assert max(dates) < dt.date(2023, 1, 1)
        else:
            assert min(dates) >= dt.date(2023, 1, 1)


def test_missing_month_and_incomplete_current_year(generated: generate.GeneratedExtracts) -> None:
    ledger, _ = load_like_the_ledger(generated.files)
    months = {(p.payment_date.year, p.payment_date.month) for p in ledger.values()}
    assert (2021, 8) not in months
    assert generated.expected.months_without_payments == [(2021, 8)]
    assert max(p.payment_date for p in ledger.values()) <= CONFIG.as_of  # type: ignore[operator]
    assert (2024, 3) not in months


def test_supplier_numbers_hold_across_r12_and_fusion(
    generated: generate.GeneratedExtracts,
) -> None:
    ledger, _ = load_like_the_ledger(generated.files)
    names: dict[str, set[str]] = defaultdict(set)
    layouts: dict[str, set[str]] = defaultdict(set)
    for p in ledger.values():
        names[p.supplier_number].add(p.supplier_name)
        layouts[p.supplier_number].add(p.layout)
    both = [number for number, seen in layouts.items() if seen == {"r12", "fusion"}]
    assert len(both) > 50
    spelt_differently = [n for n in both if len(names[n]) > 1]
    assert spelt_differently  # the name changed at migration, the number did not
    for number in both:
        assert len({name_key(name) for name in names[number]}) == 1


def test_a_few_suppliers_take_most_spend(generated: generate.GeneratedExtracts) -> None:
    ledger, _ = load_like_the_ledger(generated.files)
    by_supplier: Counter[str] = Counter()
    for p in ledger.values():
        if p.is_spend:
            by_supplier[p.supplier_number] += p.amount_pence
    ranked = [v for _, v in by_supplier.most_common()]
    top_tenth = sum(ranked[: len(ranked) // 10])
    assert top_tenth > 0.6 * sum(ranked)


def test_localities_and_sites(generated: generate.GeneratedExtracts) -> None:
    ledger, _ = load_like_the_ledger(generated.files)
    home = generate.home_districts()
    districts = [p.district for p in ledger.values()]
    assert any(d in home for d in districts)
    assert any(d and d not in home for d in districts)
    assert any(not d for d in districts)
    sites: dict[str, set[str]] = defaultdict(set)
    for p in ledger.values():
        if p.district:
            sites[p.supplier_number].add(p.district)
    assert any(len(s) > 1 for s in sites.values())  # suppliers paid at two sites


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    small = generate.GeneratorConfig(
        seed=3, first_fy=2021, years=2, as_of=dt.date(2023, 3, 31), suppliers=200,
        payments_per_month=30,
    )  # fmt: skip
    first = generate.generate_extracts(tmp_path / "a", small)
    second = generate.generate_extracts(tmp_path / "b", small)
    for (path_a, _), (path_b, _) in zip(first.files, second.files, strict=True):
        if path_a.suffix == ".csv":
            assert path_a.read_bytes() == path_b.read_bytes()
    assert first.expected == second.expected
    other = generate.expected_totals(generate.GeneratorConfig(**{**small.__dict__, "seed": 4}))
    assert other.spend_pence_by_fy != first.expected.spend_pence_by_fy


def test_default_config_is_five_years_ending_now() -> None:
    cfg = generate.GeneratorConfig(as_of=dt.date(2026, 11, 23))
    assert cfg.start_fy == 2022
    plans = generate.plan_extracts(cfg)
    assert plans[0].layout == "r12"
    assert plans[0].months[0] == (2022, 4)
    assert plans[-1].months[-1] <= (2026, 11)


def test_benchmark_writer_streams_a_plain_r12_file(tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    expected = generate.write_r12_benchmark_csv(path, rows=5000, seed=2)
    header, payments = iter_payments(path, path.name)
    spend = sum(p.amount_pence for p in payments if p.is_spend)
    assert header.layout == "r12"
    assert header.encoding == "cp1252"
    assert spend == expected.total_pence
    assert 4900 <= header.payment_rows <= 5100
