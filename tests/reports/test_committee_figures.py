"""The committee scrutiny report against figures worked out here from the rows this test
writes: a ledger of five years, a register, social value commitments and returns, and a
self-assessment. Every expected figure is a Decimal sum with this file's own financial-year
and half-up rules (never a selector's answer), and each is looked for in its own section of
the PDF's text, so a figure in the wrong section, or from the wrong years, fails."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from contracts.models import Contract
from contracts.services import register_import
from diagnostics import services as diagnostics_services
from diagnostics.models import Framework
from portal.models import User
from reports.committee import render_committee_report
from socialvalue import services as social_value_services
from socialvalue.models import Commitment, Measure, Theme
from tests.contracts.conftest import register_row, write_csv
from tests.diagnostics.conftest import make_assessment
from tests.ledger import HOME, REGION, UK, UNKNOWN, Line, import_lines
from tests.socialvalue.conftest import make_contract, make_measure, submit

pytestmark = pytest.mark.django_db

FY = 2024  # the report's year, 2024/25
TODAY = dt.date(2025, 5, 15)  # the day the report is built, after the year's end
AS_AT = dt.date(2025, 3, 31)  # every figure is as at the end of 2024/25
MISSING = (2022, 8)  # no payments in August 2022: 2022/23 is incomplete
ACCOUNTS = {"52100": "Waste", "55100": "Adult social care"}  # the starting category rules
SECTIONS = [
    "Key spend information",
    "Limitations and data completeness",
    "Locality spend information",
    "Spend by supplier size",
    "Locality by head office beside paid site",
    "Locality performance on contract awards",
    "Social value",
    "Procurement maturity self-assessment",
    "The contract register",
    "Contracts ending in the next 24 months",
]


# --- This file's own rules --------------------------------------------------------------------


def fy_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def half_up(value: Decimal | Fraction, places: str = "1") -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(Decimal(places), ROUND_HALF_UP)


def gbp(pence: int | Decimal) -> str:
    pounds = half_up(Decimal(pence) / 100)
    return f"-£{-pounds:,}" if pounds < 0 else f"£{pounds:,}"


def pct(part: int | Decimal, whole: int | Decimal) -> str:
    return f"{half_up(Decimal(part) * 100 / Decimal(whole))}%" if whole else "-"


def fy_text(fy: int) -> str:
    return f"{fy}/{str(fy + 1)[2:]}"


def fy_month_starts(fy: int) -> list[dt.date]:
    return [dt.date(fy + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


# --- The rows this test writes -----------------------------------------------------------------


def ledger_lines() -> list[Line]:
    lines: list[Line] = []

    def pay(supplier: str, pounds: str, day: dt.date, postcode: str, account: str) -> None:
        lines.append(Line(len(lines) + 1, supplier, pounds, day, postcode, account=account))

    # The report's year: 25 suppliers, supplier k paid k x £5,000.75 in two payments (so
    # T20 and above are over £100k), each month paid, four locality classes in turn.
    postcodes = [HOME, REGION, UK, UNKNOWN]
    months = fy_month_starts(FY)
    for k in range(1, 26):
        account = "52100" if k % 2 else "55100"
        first, second = months[(k - 1) % 12], months[(k + 5) % 12]
        pay(
            f"T{k:02d}",
            f"{Decimal('4000.50') * k}",
            first + dt.timedelta(days=k % 27),
            postcodes[k % 4],
            account,
        )
        pay(f"T{k:02d}", f"{Decimal('1000.25') * k}", second, postcodes[k % 4], account)
    pay("T25", "-500.00", dt.date(2025, 3, 31), postcodes[25 % 4], "52100")  # a credit note
    pay("T03", "77.70", dt.date(2024, 4, 1), postcodes[3 % 4], "52100")  # 1 April
    # The four years before: three suppliers a month; in 2020/21 most spend is at sites with
    # no usable postcode (so "-"), and August 2022 has no payments.
    for fy in range(FY - 4, FY):
        for n, month in enumerate(fy_month_starts(fy)):
            if (month.year, month.month) == MISSING:
                continue
            unknown = "9000.00" if fy == 2020 else "100.00"
            pay("P1", f"{1000 + 10 * fy - 20000 + n}.10", month, HOME, "52100")
            pay("P2", f"{500 + n}.45", month + dt.timedelta(days=3), REGION, "55100")
            pay("P3", unknown, month + dt.timedelta(days=27), UNKNOWN, "52100")
    return lines


CLASS_OF = {HOME: "home", REGION: "region", UK: "uk", UNKNOWN: "unknown"}
# Award postcodes, classed by hand under the default settings (Lancashire 12, North West).
AWARD_CLASS = {
    "PR1 2HE": "home",
    "LA1 1QS": "home",
    "M1 1AE": "region",
    "LS1 4DY": "uk",
    "": "unknown",
}

AWARDS = [
    # reference, award date, end date, value, [(postcode, SME, VCFS)]
    (
        "AW-1",
        "2024-04-01",
        "2025-09-30",
        "1000.50",
        [("PR1 2HE", "Yes", "No"), ("M1 1AE", "No", "Yes")],
    ),
    ("AW-2", "2025-03-31", "2027-03-31", "250000.00", [("LS1 4DY", "Yes", "No")]),
    (
        "AW-3",
        "2024-08-14",
        "2028-01-01",
        "3000000.00",
        [("PR1 2HE", "Yes", "No"), ("LA1 1QS", "", "No"), ("", "No", "No")],
    ),
    ("AW-OLD", "2024-03-31", "2025-06-30", "8888.00", [("PR1 2HE", "Yes", "Yes")]),
]  # fmt: skip


def register_rows() -> list[dict[str, str]]:
    rows = []
    for reference, award, end, value, suppliers in AWARDS:
        for n, (postcode, sme, vcfs) in enumerate(suppliers):
            rows.append(
                register_row(
                    reference,
                    f"{reference} supplier {n}",
                    **{
                        "Title": f"Contract {reference}",
                        "Award date": award,
                        "Start date": award,
                        "End date": end,
                        "Awarded value": value,
                        "Supplier postcode": postcode,
                        "SME": sme,
                        "VCFS": vcfs,
                    },
                )
            )
    return rows


def value_pence(quantity: str, proxy: str) -> int:
    return int(half_up(Decimal(quantity) * Decimal(proxy), "0.01") * 100)


def months_later(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, last)
        except ValueError:
            continue
    raise AssertionError


# --- The report, built once and cut into its sections ------------------------------------------


def pdf_sections(path: Path) -> dict[str, str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = re.sub(r"\s+", " ", text)
    # The headings are numbered; the contents list names them too, so take the last.
    starts = [text.rfind(f"{n}. {title} ") for n, title in enumerate(SECTIONS, start=1)]
    assert all(s > 0 for s in starts), starts
    assert starts == sorted(starts)
    ends = [*starts[1:], len(text)]
    return {title: text[s:e] for title, s, e in zip(SECTIONS, starts, ends, strict=True)}


@pytest.fixture
def report(tmp_path: Path, officer: User) -> dict[str, str]:
    import_lines(tmp_path, ledger_lines())
    result = register_import(path=write_csv(tmp_path / "register.csv", register_rows()))
    assert not result.skipped
    # Social value: commitments in the report's year and, to be left out, the year before.
    theme_a = Theme.objects.create(code="RA", title="Report theme A", position=90)
    theme_b = Theme.objects.create(code="RB", title="Report theme B", position=91)
    hours = make_measure("RA1.1", theme_a, "hours", {2023: "18.00", 2024: "20.00"})
    tonnes = make_measure("RB1.1", theme_b, "tonnes", {2023: "103.70"})
    c1 = make_contract("SV-1", "20000.00", dt.date(2023, 1, 1), dt.date(2028, 3, 31), ["Alpha"])
    c2 = make_contract("SV-2", "5000.00", dt.date(2023, 1, 1), dt.date(2028, 3, 31), ["Beta"])

    def commit(contract: Contract, measure: Measure, quantity: str, fy: int) -> Commitment:
        return social_value_services.commitment_create(
            contract=contract,
            measure=measure,
            target_quantity=Decimal(quantity),
            period_fy=fy,
            note="",
            user=officer,
        )

    def verify(commitment: Commitment, quarter: int, quantity: str) -> None:
        social_value_services.delivery_return_verify(
            delivery_return=submit(commitment, quarter, quantity), user=officer
        )

    from socialvalue.models import ContractApproach

    ContractApproach.objects.create(contract=c1, approach="additional")  # c2: none recorded
    h24, h23 = commit(c1, hours, "100", 2024), commit(c1, hours, "50", 2023)
    t24 = commit(c2, tonnes, "12.5", 2024)
    verify(h24, 1, "30")
    submit(h24, 2, "10")  # awaiting verification
    verify(t24, 1, "3.33")
    verify(h23, 1, "20")
    # The council's self-assessment: SVMI, two themes answered.
    diagnostics_services.frameworks_sync()
    svmi = Framework.objects.get(slug="svmi")
    spec = svmi.spec
    answers: dict[str, str | None] = {}
    for i, question in enumerate(spec.themes[0].questions):  # followers, mature, followers
        answers[question.code] = spec.levels[i % 2].code
    for question in spec.themes[1].questions:  # all leaders
        answers[question.code] = spec.levels[2].code
    host = diagnostics_services.organisation_host_ensure()
    # The round before (every question of the first theme at the lowest level), the year's
    # own round, and one submitted after the year's end, which the report must leave out.
    before: dict[str, str | None] = {q.code: spec.levels[0].code for q in spec.themes[0].questions}
    rounds: list[tuple[dict[str, str | None], str, dt.datetime]] = [
        (before, "Spring 2024", dt.datetime(2024, 5, 2, 10, tzinfo=dt.UTC)),
        (answers, "Spring 2025", dt.datetime(2025, 3, 10, 10, tzinfo=dt.UTC)),
        (answers, "Summer 2025", dt.datetime(2025, 4, 20, 10, tzinfo=dt.UTC)),
    ]
    for given, label, submitted_at in rounds:
        made = make_assessment(svmi, host, given, label=label)
        type(made).objects.filter(pk=made.pk).update(submitted_at=submitted_at)

    path = tmp_path / "committee.pdf"
    path.write_bytes(render_committee_report(FY, today=TODAY))
    return pdf_sections(path)


def test_each_section_of_the_committee_report_has_its_own_figures(
    report: dict[str, str],
) -> None:
    lines = ledger_lines()
    year = [line for line in lines if line.fy == FY]
    label = fy_text(FY)

    # 1. Key spend information.
    spend = report["Key spend information"]
    total = sum(line.pence for line in year)
    by_supplier: dict[str, int] = defaultdict(int)
    for line in year:
        by_supplier[line.supplier] += line.pence
    assert (
        f"In {label} the council paid {gbp(total)} to {len(by_supplier)} suppliers in "
        f"{len(year)} payments." in spend
    )
    ranked = sorted(by_supplier.items(), key=lambda item: (-item[1], item[0]))
    assert ranked[0][0] == "T25"
    for rank, (supplier, pence) in enumerate(ranked[:20], start=1):
        account = next(line.account for line in year if line.supplier == supplier)
        assert f"{rank} Supplier {supplier} {gbp(pence)} {ACCOUNTS[account]}" in spend
    assert f"Supplier {ranked[20][0]}" not in spend  # 21st and below are not listed
    top40 = sum(p for _, p in ranked[:40])
    tail = [(s, p) for s, p in ranked if Decimal(p) < Decimal(100_000_00)]
    tail_pence = sum(p for _, p in tail)
    tail_payments = sum(1 for line in year if line.supplier in dict(tail))
    assert (
        f"The top 40 suppliers by spend account for {gbp(top40)} ({pct(top40, total)}) of "
        f"spend in {label}, whereas {len(tail)} suppliers ({pct(len(tail), len(ranked))} of "
        f"those paid) were each paid less than £100,000 in the year, at a value of "
        f"{gbp(tail_pence)} ({pct(tail_pence, total)} of spend) across {tail_payments} "
        "payments." in spend
    )
    for month in fy_month_starts(FY):
        in_month = [line for line in year if line.day.replace(day=1) == month]
        month_pence = sum(line.pence for line in in_month)
        assert f"{month:%b-%y} {gbp(month_pence)} {len(in_month)} " in spend
    for account, category in ACCOUNTS.items():
        pence = sum(line.pence for line in year if line.account == account)
        assert f"{category} {gbp(pence)} {pct(pence, total)}" in spend

    # 2. Limitations: which of the five years are complete.
    limits = report["Limitations and data completeness"]
    for fy in range(FY - 4, FY + 1):
        missing = "August 2022 Incomplete" if fy == MISSING[0] else "None Complete"
        assert f"{fy_text(fy)} {missing}" in limits

    # 3. Locality: five years, each from its own year's rows.
    locality = report["Locality spend information"]
    for fy in range(FY - 4, FY + 1):
        rows = [line for line in lines if line.fy == fy]
        by_class: dict[str, int] = defaultdict(int)
        for line in rows:
            by_class[CLASS_OF[line.postcode]] += line.pence
        whole = sum(by_class.values())
        marker = "*" if fy == MISSING[0] else ""
        if Decimal(by_class["unknown"]) > Decimal(whole) / 2:
            shown = f"{fy_text(fy)}{marker} - {gbp(whole)} -"
        else:
            home = by_class["home"]
            shown = f"{fy_text(fy)}{marker} {gbp(home)} {gbp(whole)} {pct(home, whole)}"
        assert shown in locality, shown
        split = " ".join(gbp(by_class[c]) for c in ("home", "region", "uk", "unknown"))
        assert f"{fy_text(fy)} {split}" in locality
    assert "2020/21 -" in locality  # the "-" year is in the table
    assert "2022/23 is incomplete: no payments for August 2022." in locality
    assert f"{fy_text(FY - 5)} " not in locality  # five years, not six

    # 4. Contract awards in the year (AW-OLD was awarded on 31 March 2024, the year before).
    awards = report["Locality performance on contract awards"]
    in_year = [a for a in AWARDS if fy_of(dt.date.fromisoformat(a[1])) == FY]
    assert [a[0] for a in in_year] == ["AW-1", "AW-2", "AW-3"]
    suppliers = [s for a in in_year for s in a[4]]
    value = sum(Decimal(a[3]) for a in in_year)
    classes = [AWARD_CLASS[s[0]] for s in suppliers]
    n = len(classes)
    # The council's names from settings (Lancashire, North West); unknown postcodes apart.
    assert (
        f"In {label} the council awarded {len(in_year)} contracts worth {gbp(value * 100)} to "
        f"{len(suppliers)} suppliers: {pct(classes.count('home'), n)} with a Lancashire "
        f"address, {pct(classes.count('region'), n)} in the rest of the North West, "
        f"{pct(classes.count('uk'), n)} elsewhere in the UK and "
        f"{pct(classes.count('unknown'), n)} with no known postcode; "
        f"{sum(s[1] == 'Yes' for s in suppliers)} were SMEs and "
        f"{sum(s[2] == 'Yes' for s in suppliers)} VCFS organisations." in awards
    )
    assert (
        f"Total {gbp(value * 100)} {len(suppliers)} {pct(classes.count('home'), n)} "
        f"{pct(classes.count('region'), n)} {pct(classes.count('uk'), n)} "
        f"{pct(classes.count('unknown'), n)} {sum(s[1] == 'Yes' for s in suppliers)} "
        f"{sum(s[2] == 'Yes' for s in suppliers)}" in awards
    )
    for reference, award, _, amount, people in in_year:
        month = dt.date.fromisoformat(award).replace(day=1)
        marker = "*" if Decimal(amount) >= value / 2 else ""
        cls = [AWARD_CLASS[p[0]] for p in people]
        assert (
            f"{month:%b-%y}{marker} {gbp(Decimal(amount) * 100)} {len(people)} "
            f"{pct(cls.count('home'), len(cls))} {pct(cls.count('region'), len(cls))} "
            f"{pct(cls.count('uk'), len(cls))} {pct(cls.count('unknown'), len(cls))} "
            f"{sum(p[1] == 'Yes' for p in people)} "
            f"{sum(p[2] == 'Yes' for p in people)}" in awards
        ), reference
    assert "Contract AW-3 (AW-3) was awarded this month to 3 suppliers, worth £3,000,000." in awards
    assert "Mar-25 £250,000 1 0% 0% 100% 0% 1 0" in awards  # 31 March is in the year

    # 5. Social value for the year reported only (the 2023 commitment and return left out).
    social = report["Social value"]
    committed = value_pence("100", "20.00") + value_pence("12.5", "103.70")
    delivered = value_pence("30", "20.00") + value_pence("3.33", "103.70")
    awaiting = value_pence("10", "20.00")
    assert (
        f"Suppliers on 2 contracts have committed social value worth {gbp(committed)} for "
        f"{label}; {gbp(delivered)} has been delivered and verified, and returns worth "
        f"{gbp(awaiting)} await verification." in social
    )
    assert (
        f"Report theme A {gbp(value_pence('100', '20.00'))} {gbp(value_pence('30', '20.00'))}"
        in social
    )
    assert (
        f"Report theme B {gbp(value_pence('12.5', '103.70'))} {gbp(value_pence('3.33', '103.70'))}"
        in social
    )

    # By approach (SV-1 additional, SV-2 not recorded), the top contracts, overdue returns.
    c1_committed, c1_delivered = value_pence("100", "20.00"), value_pence("30", "20.00")
    c2_committed, c2_delivered = value_pence("12.5", "103.70"), value_pence("3.33", "103.70")
    assert f"Additional social value 1 {gbp(c1_committed)} {gbp(c1_delivered)}" in social
    assert "Prescribed social value 0 £0 £0" in social
    assert "Required social value 0 £0 £0" in social
    assert f"Not recorded 1 {gbp(c2_committed)} {gbp(c2_delivered)}" in social
    assert social.index("(SV-1)") < social.index("(SV-2)")  # most committed first
    # Returns are due 30 days after each quarter: on 31 March 2025 SV-1 lacks 2023/24's
    # Q2 to Q4 and 2024/25's Q3; SV-2 lacks 2024/25's Q2 and Q3 (Q4 is due in April).
    assert "On 31 March 2025, 2 contracts had a quarterly social value return overdue: " in social
    # 6. Self-assessment: theme means of the answers' scores, the overall mean of those.
    assessment = report["Procurement maturity self-assessment"]
    framework = Framework.objects.get(slug="svmi").spec
    level_names = [level.name for level in framework.levels]
    theme_means = [Fraction(1 + 2 + 1, 3), Fraction(3 * 3, 3)]
    for theme, mean in zip(framework.themes[:2], theme_means, strict=True):
        level = level_names[int(mean) - 1]  # the floor of the mean
        shown = f"{theme.title} {len(theme.questions)} {half_up(mean, '0.01')} {level}"
        assert shown in assessment
    for theme in framework.themes[2:]:
        assert f"{theme.title} 0 - -" in assessment
    overall = sum(theme_means, Fraction(0)) / 2
    assert (
        f'Round "Spring 2025", submitted 10 March 2025: overall level '
        f"{level_names[int(overall) - 1]} (mean score {half_up(overall, '0.01')})." in assessment
    )
    # Compared with the round before; the round after the year's end is not shown.
    assert (
        f'The round before, "Spring 2024", submitted 2 May 2024: overall level '
        f"{level_names[0]} (mean score {half_up(Fraction(1), '0.01')})." in assessment
    )
    lead = framework.themes[0]
    assert (
        f"{lead.title} {len(lead.questions)} {half_up(theme_means[0], '0.01')} "
        f"{level_names[int(theme_means[0]) - 1]} {half_up(Fraction(1), '0.01')}" in assessment
    )
    assert "Summer 2025" not in assessment

    # 7. The forward plan: contracts ending in the 24 months from the as-at date (the year's
    # end, not the day the report was built), by calendar quarter.
    plan = report["Contracts ending in the next 24 months"]
    assert f"in the 24 months from {AS_AT:%-d %B %Y}" in plan
    last = months_later(AS_AT, 24)
    ending: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    for _, _, end, amount, _ in AWARDS:
        day = dt.date.fromisoformat(end)
        if AS_AT <= day <= last:
            ending[(day.year, (day.month - 1) // 3 + 1)].append(Decimal(amount))
    assert sorted(ending) == [(2025, 2), (2025, 3), (2027, 1)]
    quarter = (AS_AT.year, (AS_AT.month - 1) // 3 + 1)
    while quarter <= (last.year, (last.month - 1) // 3 + 1):
        first = dt.date(quarter[0], 3 * quarter[1] - 2, 1)
        end_month = dt.date(quarter[0], 3 * quarter[1], 1)
        values = ending.get(quarter, [])
        assert (
            f"{first:%B} to {end_month:%B %Y} {len(values)} {gbp(sum(values, Decimal(0)) * 100)} 0"
            in plan
        )
        quarter = (quarter[0] + quarter[1] // 4, quarter[1] % 4 + 1)
