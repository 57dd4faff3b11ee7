"""Scoring, with expected results worked out here by separate arithmetic.

The expected figures use whole numbers only: a mean is (sum, count); its 2 dp half-up
rounding is ``(200 * sum + count) // (2 * count)`` hundredths; its level is
``sum // count``. None of that goes through the code under test.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from diagnostics.framework_files import Framework, framework_from_dict, get_framework
from diagnostics.scoring import (
    AssessmentResult,
    PeerLevels,
    ScoringError,
    compare_rounds,
    peer_distribution,
    score_assessment,
    state_of_the_nation,
)

LEVELS = ["a", "b", "c", "d"]  # scores 1..4
SCORE = {code: i + 1 for i, code in enumerate(LEVELS)}


def make_framework(
    question_counts: dict[str, int], *, slug: str = "test-fw", version: int = 1
) -> Framework:
    """A framework with levels a..d and, per theme slug, that many questions T1-Q1..."""
    themes: list[dict[str, Any]] = []
    for t_index, (theme_slug, count) in enumerate(question_counts.items(), start=1):
        themes.append(
            {
                "slug": theme_slug,
                "title": theme_slug.title(),
                "description": "A theme.",
                "questions": [
                    {
                        "code": f"T{t_index}-Q{q}",
                        "text": f"Question {q}?",
                        "help": "Help.",
                        "descriptors": {code: f"{code} for T{t_index}-Q{q}" for code in LEVELS},
                    }
                    for q in range(1, count + 1)
                ],
            }
        )
    return framework_from_dict(
        {
            "slug": slug,
            "version": version,
            "title": "Test framework",
            "description": "For tests.",
            "source": {"publisher": "Tests", "note": "Made up."},
            "public": False,
            "levels": [
                {"code": c, "name": c.upper(), "score": SCORE[c], "description": c} for c in LEVELS
            ],
            "themes": themes,
        }
    )


@pytest.fixture
def fw() -> Framework:
    return make_framework({"one": 3, "two": 2, "three": 1})


def hundredths_half_up(total: int, count: int) -> Decimal:
    """total/count to 2 dp, half up, with integer arithmetic only."""
    return Decimal((200 * total + count) // (2 * count)) / 100


# ------------------------------------------------------------------ per theme


def test_theme_mean_level_and_counts(fw: Framework) -> None:
    answers = {"T1-Q1": "a", "T1-Q2": "c", "T1-Q3": "c", "T2-Q1": "d", "T2-Q2": "d", "T3-Q1": "b"}
    result = score_assessment(fw, answers)

    one = result.theme("one")
    assert (one.answered, one.unanswered) == (3, 0)
    assert one.mean == hundredths_half_up(1 + 3 + 3, 3) == Decimal("2.33")
    assert one.level is not None
    assert one.level.code == "b"  # 7 // 3 = 2
    assert result.theme("two").mean == Decimal("4.00")
    assert result.theme("two").level.code == "d"  # type: ignore[union-attr]
    assert result.theme("three").level.code == "b"  # type: ignore[union-attr]


def test_tie_between_two_levels_is_placed_at_the_lower(fw: Framework) -> None:
    # 2 and 3: mean 2.5, exactly halfway between levels b and c.
    result = score_assessment(fw, {"T2-Q1": "b", "T2-Q2": "c"})
    two = result.theme("two")
    assert two.mean == Decimal("2.50")
    assert two.level is not None
    assert two.level.code == "b"
    assert two.next_level is not None
    assert two.next_level.code == "c"
    # Only the question still below c is asked about, with c's descriptor for it.
    assert [(s.question_code, s.current_level, s.descriptor) for s in two.next_steps] == [
        ("T2-Q1", "b", "c for T2-Q1")
    ]


def test_mean_exactly_on_a_level_reaches_it(fw: Framework) -> None:
    result = score_assessment(fw, {"T1-Q1": "b", "T1-Q2": "c", "T1-Q3": "d"})
    one = result.theme("one")
    assert one.mean == Decimal("3.00")
    assert one.level is not None
    assert one.level.code == "c"
    assert one.next_level is not None
    assert one.next_level.code == "d"
    assert [s.question_code for s in one.next_steps] == ["T1-Q1", "T1-Q2"]


def test_just_below_a_level_does_not_reach_it() -> None:
    fw = make_framework({"wide": 3})
    # 3 + 3 + 2 = 8 over 3 = 2.666...: shown 2.67, still level b.
    result = score_assessment(fw, {"T1-Q1": "c", "T1-Q2": "c", "T1-Q3": "b"})
    wide = result.theme("wide")
    assert wide.mean == hundredths_half_up(8, 3) == Decimal("2.67")
    assert wide.level is not None
    assert wide.level.code == "b"


def test_rounding_is_half_up_not_bankers() -> None:
    fw = make_framework({"wide": 8})
    # Sum 17 over 8 questions = 2.125 exactly: half up gives 2.13 (bankers' would give 2.12).
    codes = ["c"] * 1 + ["b"] * 7  # 3 + 14 = 17
    answers = {f"T1-Q{i + 1}": code for i, code in enumerate(codes)}
    wide = score_assessment(fw, answers).theme("wide")
    assert wide.mean == hundredths_half_up(17, 8) == Decimal("2.13")
    assert wide.level is not None
    assert wide.level.code == "b"


def test_unanswered_questions_are_left_out_not_scored_as_lowest(fw: Framework) -> None:
    # T1-Q2 explicitly None, T1-Q3 missing: only T1-Q1 counts.
    result = score_assessment(fw, {"T1-Q1": "d", "T1-Q2": None})
    one = result.theme("one")
    assert (one.answered, one.unanswered) == (1, 2)
    assert one.unanswered_codes == ("T1-Q2", "T1-Q3")
    assert one.mean == Decimal("4.00")
    assert one.level is not None
    assert one.level.code == "d"


def test_theme_with_no_answers_has_no_level(fw: Framework) -> None:
    result = score_assessment(fw, {"T1-Q1": "c", "T1-Q2": "c", "T1-Q3": "c"})
    two = result.theme("two")
    assert (two.answered, two.unanswered) == (0, 2)
    assert two.mean is None
    assert two.level is None
    assert two.next_level is None
    assert two.next_steps == ()
    # The overall mean only uses the themes that were answered.
    assert result.overall.themes_scored == 1
    assert result.overall.mean == Decimal("3.00")


def test_all_unanswered(fw: Framework) -> None:
    result = score_assessment(fw, {})
    assert all(t.mean is None and t.level is None for t in result.themes)
    overall = result.overall
    assert (overall.answered, overall.unanswered, overall.themes_scored) == (0, 6, 0)
    assert overall.mean is None
    assert overall.level is None
    assert overall.next_level is None
    assert overall.next_steps == ()


def test_top_level_asks_for_nothing_more(fw: Framework) -> None:
    answers = dict.fromkeys(["T1-Q1", "T1-Q2", "T1-Q3", "T2-Q1", "T2-Q2", "T3-Q1"], "d")
    result = score_assessment(fw, answers)
    assert result.overall.level is not None
    assert result.overall.level.code == "d"
    assert result.overall.next_level is None
    assert all(t.next_level is None and t.next_steps == () for t in result.themes)


# ------------------------------------------------------------------ overall


def test_overall_is_the_mean_of_theme_means_not_of_questions(fw: Framework) -> None:
    answers = {"T1-Q1": "c", "T1-Q2": "c", "T1-Q3": "c", "T2-Q1": "a", "T2-Q2": "b"}
    result = score_assessment(fw, answers)
    # Theme means 3 and 3/2; their mean is (6/2 + 3/2) / 2 = 9/4 = 2.25 -> level b.
    # (The mean over the five questions would be 11/5 = 2.2: a different figure.)
    assert result.overall.mean == hundredths_half_up(9, 4) == Decimal("2.25")
    assert result.overall.level is not None
    assert result.overall.level.code == "b"
    assert result.overall.answered == 5
    assert result.overall.unanswered == 1
    # Next overall level c: every answered question below c, with c's descriptor.
    assert [(s.theme_slug, s.question_code) for s in result.overall.next_steps] == [
        ("two", "T2-Q1"),
        ("two", "T2-Q2"),
    ]
    assert result.overall.next_steps[0].descriptor == "c for T2-Q1"


def test_overall_tie_goes_to_the_lower_level(fw: Framework) -> None:
    # Theme means 2 and 3 -> overall 2.5 -> b.
    result = score_assessment(fw, {"T1-Q1": "b", "T3-Q1": "c"})
    assert result.overall.mean == Decimal("2.50")
    assert result.overall.level is not None
    assert result.overall.level.code == "b"


def test_random_answers_match_hand_arithmetic() -> None:
    fw = make_framework({"p": 5, "q": 3, "r": 4, "s": 2})
    rng = random.Random(20240401)
    for _ in range(300):
        answers: dict[str, str | None] = {}
        for _theme, question in fw.questions():
            answers[question.code] = rng.choice([*LEVELS, None, None])
        result = score_assessment(fw, answers)

        theme_fractions: list[tuple[int, int]] = []
        for theme in fw.themes:
            scores = [SCORE[a] for q in theme.questions if (a := answers[q.code]) is not None]
            got = result.theme(theme.slug)
            assert got.answered == len(scores)
            assert got.unanswered == len(theme.questions) - len(scores)
            if not scores:
                assert got.mean is None
                assert got.level is None
                continue
            total, count = sum(scores), len(scores)
            theme_fractions.append((total, count))
            assert got.mean == hundredths_half_up(total, count)
            assert got.level is not None
            assert got.level.score == total // count
            if got.level.score < 4:
                below = [
                    q.code
                    for q in theme.questions
                    if (a := answers[q.code]) and SCORE[a] <= got.level.score
                ]
                assert [s.question_code for s in got.next_steps] == below

        if not theme_fractions:
            assert result.overall.mean is None
            continue
        # Mean of theme means over a common denominator, by hand.
        denominator = 1
        for _, count in theme_fractions:
            denominator *= count
        numerator = sum(total * (denominator // count) for total, count in theme_fractions)
        denominator *= len(theme_fractions)
        assert result.overall.mean == hundredths_half_up(numerator, denominator)
        assert result.overall.level is not None
        assert result.overall.level.score == numerator // denominator


def test_answers_must_belong_to_the_framework(fw: Framework) -> None:
    with pytest.raises(ScoringError, match="no question 'T9-Q9'"):
        score_assessment(fw, {"T9-Q9": "a"})
    with pytest.raises(ScoringError, match="'z'"):
        score_assessment(fw, {"T1-Q1": "z"})


def test_scores_are_decimals_never_floats(fw: Framework) -> None:
    result = score_assessment(fw, {"T1-Q1": "a", "T1-Q2": "b"})
    assert type(result.theme("one").mean) is Decimal
    assert type(result.overall.mean) is Decimal


@pytest.mark.parametrize("slug", ["nps-2022", "svmi", "cciaf"])
def test_shipped_frameworks_score(slug: str) -> None:
    framework = get_framework(slug)
    middle = framework.levels[1]
    answers = {q.code: middle.code for _, q in framework.questions()}
    result = score_assessment(framework, answers)
    assert result.overall.level == middle
    assert result.overall.next_level == framework.levels[2]
    assert len(result.overall.next_steps) == len(answers)


# ------------------------------------------------------------------ earlier rounds


def test_compare_rounds_uses_shown_means(fw: Framework) -> None:
    earlier = score_assessment(fw, {"T1-Q1": "a", "T1-Q2": "b", "T1-Q3": "b", "T3-Q1": "b"})
    current = score_assessment(
        fw, {"T1-Q1": "b", "T1-Q2": "c", "T1-Q3": "c", "T2-Q1": "c", "T3-Q1": "b"}
    )
    comparison = compare_rounds(earlier, current)
    by_slug = {c.slug: c for c in comparison.themes}

    one = by_slug["one"]
    # 5/3 -> 1.67 then 8/3 -> 2.67: +1.00, and a step from a to b.
    assert (one.earlier_mean, one.current_mean) == (Decimal("1.67"), Decimal("2.67"))
    assert one.delta == Decimal("1.00")
    assert (one.earlier_level, one.current_level, one.level_steps) == ("a", "b", 1)

    two = by_slug["two"]  # not answered last time
    assert two.earlier_mean is None
    assert two.delta is None
    assert two.level_steps is None
    assert two.current_level == "c"

    three = by_slug["three"]
    assert three.delta == Decimal("0.00")
    assert three.level_steps == 0

    # Overall earlier: theme means 5/3 and 2 -> 11/6 = 1.83; now 8/3, 3, 2 -> 23/9 = 2.56.
    assert comparison.overall.earlier_mean == hundredths_half_up(11, 6)
    assert comparison.overall.current_mean == hundredths_half_up(23, 9)
    assert comparison.overall.delta == Decimal("2.56") - Decimal("1.83")


def test_compare_across_versions_matches_themes_by_slug() -> None:
    v1 = make_framework({"one": 2, "gone": 1}, version=1)
    v2 = make_framework({"one": 2, "new": 1}, version=2)
    earlier = score_assessment(v1, {"T1-Q1": "a", "T2-Q1": "c"})
    current = score_assessment(v2, {"T1-Q1": "c", "T2-Q1": "d"})
    comparison = compare_rounds(earlier, current)
    assert (comparison.earlier_version, comparison.current_version) == (1, 2)
    assert [c.slug for c in comparison.themes] == ["one", "new", "gone"]
    gone = comparison.themes[2]
    assert gone.current_mean is None
    assert gone.earlier_level == "c"
    assert gone.delta is None


def test_cannot_compare_different_frameworks(fw: Framework) -> None:
    other = make_framework({"one": 1}, slug="other")
    with pytest.raises(ScoringError):
        compare_rounds(score_assessment(fw, {}), score_assessment(other, {}))


# ------------------------------------------------------------------ peers


def peers_at(
    levels: list[str | None], *, theme_two: list[str | None] | None = None
) -> list[PeerLevels]:
    theme_two = theme_two if theme_two is not None else levels
    return [
        PeerLevels(organisation=f"Council {i}", overall=lv, themes={"one": lv, "two": theme_two[i]})
        for i, lv in enumerate(levels)
    ]


def test_four_peers_are_too_few(fw: Framework) -> None:
    report = peer_distribution(fw, peers_at(["a", "b", "b", "c"]))
    assert report.overall.too_few
    assert report.overall.respondents == 4
    assert report.overall.counts is None
    assert report.theme("one").counts is None


def test_five_peers_are_enough(fw: Framework) -> None:
    report = peer_distribution(fw, peers_at(["a", "b", "b", "c", "b"]))
    assert report.overall.released
    assert report.overall.counts == (("a", 1), ("b", 3), ("c", 1), ("d", 0))
    assert report.theme("one").counts == report.overall.counts


def test_each_theme_needs_its_own_five(fw: Framework) -> None:
    # Five peers have an overall level but only four placed theme two.
    report = peer_distribution(
        fw, peers_at(["a", "b", "b", "c", "d"], theme_two=["a", None, "b", "c", "d"])
    )
    assert report.overall.released
    assert report.theme("two").too_few
    assert report.theme("two").respondents == 4
    # Nobody answered theme three: withheld, with no counts.
    assert report.theme("three").respondents == 0
    assert report.theme("three").counts is None


def test_peers_are_distinct_organisations_and_exclude_the_asker(fw: Framework) -> None:
    peers = peers_at(["a", "b", "c", "d"])
    # Council 0 again (a later round): still four organisations, its later level counts.
    peers.append(PeerLevels(organisation="Council 0", overall="d", themes={"one": "d"}))
    assert peer_distribution(fw, peers).overall.too_few

    peers.append(PeerLevels(organisation="Lancashire", overall="b", themes={}))
    released = peer_distribution(fw, peers)
    assert released.overall.counts == (("a", 0), ("b", 2), ("c", 1), ("d", 2))
    # The asking council is not its own peer.
    assert peer_distribution(fw, peers, exclude="Lancashire").overall.too_few


def test_distributions_never_carry_names(fw: Framework) -> None:
    peers = peers_at(["a", "b", "b", "c", "b", "d"])
    report = peer_distribution(fw, peers)
    assert "Council" not in repr(report)


def test_peer_levels_from_results(fw: Framework) -> None:
    results = [score_assessment(fw, {"T1-Q1": lv, "T2-Q1": "d"}) for lv in "abcda"]
    peers = [PeerLevels.from_result(i, r) for i, r in enumerate(results)]
    report = peer_distribution(fw, peers)
    assert report.theme("one").counts == (("a", 2), ("b", 1), ("c", 1), ("d", 1))
    assert report.theme("two").counts == (("a", 0), ("b", 0), ("c", 0), ("d", 5))
    # Overall per peer: (theme one score + 4) / 2, floored: a->2, b->3, c->3, d->4, a->2.
    assert report.overall.counts == (("a", 0), ("b", 2), ("c", 2), ("d", 1))


def test_state_of_the_nation(fw: Framework) -> None:
    results: list[AssessmentResult] = [
        score_assessment(fw, {"T1-Q1": lv}) for lv in ["a", "a", "b", "c", "c", "c"]
    ]
    report = state_of_the_nation(fw, results)
    assert report.overall.counts == (("a", 2), ("b", 1), ("c", 3), ("d", 0))
    assert report.theme("two").too_few  # nobody answered it
    assert state_of_the_nation(fw, results[:4]).overall.too_few

    other = make_framework({"one": 1}, slug="other")
    with pytest.raises(ScoringError):
        state_of_the_nation(fw, [score_assessment(other, {})])
