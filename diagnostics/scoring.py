"""Scoring a self-assessment: pure functions over a framework and a set of answers.

No Django here: the views, reports and spreadsheet round-trip call these functions with
data they have loaded, so every figure is computed in one place and tested without a
database.

The rules
---------
Question score
    An answer is a level code; its score is that level's score (1 for the lowest level,
    n for the highest). ``None`` or a missing code means "not answered". Unanswered
    questions are left out of every mean: they are not treated as the lowest level,
    because a council that skipped a question has told us nothing about it.

Theme mean
    The arithmetic mean of the theme's answered question scores, shown as a Decimal to
    2 places, rounding half up (2.125 -> 2.13). A theme with no answers has no mean.

Level placed (themes and overall)
    The level whose score is the *floor* of the exact mean: a theme only reaches a level
    when its average reaches that level's score. So a mean of exactly 3 is level 3, and
    2.99 is still level 2. A mean exactly halfway between two levels (a tie, e.g. one
    answer at 2 and one at 3, mean 2.5) is placed at the lower level, because half the
    answers have not reached the higher one yet. The floor is taken of the exact
    fraction, not of the rounded figure shown; the two can only disagree when the exact
    mean is within 0.005 below a whole number, which needs at least 200 answers in one
    mean, more than any shipped framework has. No answers, no level.

What the next level asks for
    For a placed level L below the top: the next level up (score L+1) and, for every
    answered question scored below L+1, that next level's descriptor for the question.
    Unanswered questions are listed separately (``unanswered_codes``) rather than
    guessed at. At the top level there is no next level and nothing is asked.

Overall
    The mean of the theme means, over the themes with at least one answer, then placed
    with the same floor rule. We average theme means rather than all answered questions
    so that every theme counts equally whatever its number of questions: the frameworks
    present themselves theme by theme, and an author adding a question to one theme
    should not tilt everyone's overall result towards it. Exact fractions are averaged
    (never the rounded figures), so the overall mean does not inherit rounding error.

Comparison with an earlier round
    Per theme and overall, the change in the *shown* (2 dp) mean, so the figures on the
    page add up, and the change in level in steps. Themes missing from either round
    (new framework version, or unanswered) get no delta.

Peers and state of the nation
    A distribution (count per level) is only released when at least
    ``MINIMUM_PEERS`` (5) distinct organisations, or responses for state of the nation,
    have a level in it; otherwise it says "too few". Inputs carry opaque organisation
    keys, never names, and outputs carry only counts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from diagnostics.framework_files import Framework, Level, Question, Theme

MINIMUM_PEERS = 5
TWO_PLACES = Decimal("0.01")

Answers = Mapping[str, str | None]  # question code -> level code, or None if unanswered


class ScoringError(ValueError):
    """Answers that do not belong to the framework (unknown question or level code)."""


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class NextStep:
    """One thing the next level asks for: a question scored below it, and its descriptor."""

    theme_slug: str
    question_code: str
    question_text: str
    current_level: str  # the level code answered
    descriptor: str  # the next level's descriptor for this question


@dataclass(frozen=True)
class ThemeResult:
    slug: str
    title: str
    kind: str
    answered: int
    unanswered: int
    unanswered_codes: tuple[str, ...]
    mean: Decimal | None  # 2 dp, half up; None when nothing was answered
    level: Level | None
    next_level: Level | None
    next_steps: tuple[NextStep, ...]


@dataclass(frozen=True)
class OverallResult:
    answered: int
    unanswered: int
    themes_scored: int  # themes with at least one answer: the ones in the mean
    mean: Decimal | None
    level: Level | None
    next_level: Level | None
    next_steps: tuple[NextStep, ...]


@dataclass(frozen=True)
class AssessmentResult:
    framework_slug: str
    framework_version: int
    themes: tuple[ThemeResult, ...]
    overall: OverallResult

    def theme(self, slug: str) -> ThemeResult:
        for theme in self.themes:
            if theme.slug == slug:
                return theme
        raise KeyError(slug)


# ---------------------------------------------------------------------------- scoring


def to_two_places(value: Fraction) -> Decimal:
    """An exact fraction as a Decimal to 2 places, rounding half up (never via float)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def place(framework: Framework, mean: Fraction | None) -> Level | None:
    """The level a mean reaches: the level whose score is the floor of the mean."""
    if mean is None:
        return None
    return framework.level_for_score(math.floor(mean))


def validate_answers(framework: Framework, answers: Answers) -> None:
    """Refuse answers to questions or levels the framework does not have."""
    codes = {question.code for _, question in framework.questions()}
    levels = {level.code for level in framework.levels}
    for code, level_code in answers.items():
        if code not in codes:
            raise ScoringError(f"{framework.key} has no question {code!r}")
        if level_code is not None and level_code not in levels:
            raise ScoringError(f"answer to {code} is {level_code!r}, not one of {sorted(levels)}")


def _next_steps(
    answered: Iterable[tuple[Theme, Question, Level]],
    next_level: Level | None,
) -> tuple[NextStep, ...]:
    if next_level is None:
        return ()
    return tuple(
        NextStep(
            theme_slug=theme.slug,
            question_code=question.code,
            question_text=question.text,
            current_level=level.code,
            descriptor=question.descriptors[next_level.code],
        )
        for theme, question, level in answered
        if level.score < next_level.score
    )


def _next_level(framework: Framework, level: Level | None) -> Level | None:
    return None if level is None else framework.level_for_score(level.score + 1)


def score_assessment(framework: Framework, answers: Answers) -> AssessmentResult:
    """Score one organisation's answers: per theme and overall (see the module docstring)."""
    validate_answers(framework, answers)

    theme_results: list[ThemeResult] = []
    theme_means: list[Fraction] = []
    all_answered: list[tuple[Theme, Question, Level]] = []
    unanswered_total = 0

    for theme in framework.themes:
        answered: list[tuple[Theme, Question, Level]] = []
        unanswered_codes: list[str] = []
        for question in theme.questions:
            level_code = answers.get(question.code)
            if level_code is None:
                unanswered_codes.append(question.code)
            else:
                answered.append((theme, question, framework.level(level_code)))

        mean = (
            Fraction(sum(level.score for _, _, level in answered), len(answered))
            if answered
            else None
        )
        level = place(framework, mean)
        next_level = _next_level(framework, level)
        theme_results.append(
            ThemeResult(
                slug=theme.slug,
                title=theme.title,
                kind=theme.kind,
                answered=len(answered),
                unanswered=len(unanswered_codes),
                unanswered_codes=tuple(unanswered_codes),
                mean=None if mean is None else to_two_places(mean),
                level=level,
                next_level=next_level,
                next_steps=_next_steps(answered, next_level),
            )
        )
        if mean is not None:
            theme_means.append(mean)
        all_answered.extend(answered)
        unanswered_total += len(unanswered_codes)

    overall_mean = sum(theme_means, Fraction(0)) / len(theme_means) if theme_means else None
    overall_level = place(framework, overall_mean)
    overall_next = _next_level(framework, overall_level)
    overall = OverallResult(
        answered=len(all_answered),
        unanswered=unanswered_total,
        themes_scored=len(theme_means),
        mean=None if overall_mean is None else to_two_places(overall_mean),
        level=overall_level,
        next_level=overall_next,
        next_steps=_next_steps(all_answered, overall_next),
    )
    return AssessmentResult(
        framework_slug=framework.slug,
        framework_version=framework.version,
        themes=tuple(theme_results),
        overall=overall,
    )


# ---------------------------------------------------------------- earlier rounds


@dataclass(frozen=True)
class Change:
    """One theme (or overall) compared across two rounds of the same framework."""

    slug: str  # theme slug, or "overall"
    title: str
    earlier_mean: Decimal | None
    current_mean: Decimal | None
    delta: Decimal | None  # current - earlier, in shown (2 dp) means; None if either is missing
    earlier_level: str | None
    current_level: str | None
    level_steps: int | None  # levels gained (+) or lost (-); None if either has no level


@dataclass(frozen=True)
class RoundComparison:
    framework_slug: str
    earlier_version: int
    current_version: int
    themes: tuple[Change, ...]  # in the current round's theme order, then themes only earlier
    overall: Change


def _change(
    slug: str,
    title: str,
    earlier: ThemeResult | OverallResult | None,
    current: ThemeResult | OverallResult | None,
) -> Change:
    earlier_mean = earlier.mean if earlier else None
    current_mean = current.mean if current else None
    earlier_level = earlier.level if earlier else None
    current_level = current.level if current else None
    return Change(
        slug=slug,
        title=title,
        earlier_mean=earlier_mean,
        current_mean=current_mean,
        delta=(
            current_mean - earlier_mean
            if current_mean is not None and earlier_mean is not None
            else None
        ),
        earlier_level=earlier_level.code if earlier_level else None,
        current_level=current_level.code if current_level else None,
        level_steps=(
            current_level.score - earlier_level.score
            if current_level is not None and earlier_level is not None
            else None
        ),
    )


def compare_rounds(earlier: AssessmentResult, current: AssessmentResult) -> RoundComparison:
    """Per-theme and overall change from an earlier round to the current one.

    Both rounds must be of the same framework (slug); they may be different versions,
    in which case themes are matched by slug.
    """
    if earlier.framework_slug != current.framework_slug:
        raise ScoringError(
            f"cannot compare {earlier.framework_slug!r} with {current.framework_slug!r}"
        )
    earlier_by_slug = {theme.slug: theme for theme in earlier.themes}
    changes = [
        _change(theme.slug, theme.title, earlier_by_slug.get(theme.slug), theme)
        for theme in current.themes
    ]
    current_slugs = {theme.slug for theme in current.themes}
    changes.extend(
        _change(theme.slug, theme.title, theme, None)
        for theme in earlier.themes
        if theme.slug not in current_slugs
    )
    return RoundComparison(
        framework_slug=current.framework_slug,
        earlier_version=earlier.framework_version,
        current_version=current.framework_version,
        themes=tuple(changes),
        overall=_change("overall", "Overall", earlier.overall, current.overall),
    )


# ---------------------------------------------------------------- peers and the nation


@dataclass(frozen=True)
class PeerLevels:
    """One other organisation's latest placing: an opaque key, never a name."""

    organisation: Hashable  # e.g. the organisation's primary key
    overall: str | None  # level code, or None when it has no overall level
    themes: Mapping[str, str | None]  # theme slug -> level code or None

    @classmethod
    def from_result(cls, organisation: Hashable, result: AssessmentResult) -> PeerLevels:
        return cls(
            organisation=organisation,
            overall=result.overall.level.code if result.overall.level else None,
            themes={t.slug: (t.level.code if t.level else None) for t in result.themes},
        )


@dataclass(frozen=True)
class Distribution:
    """How many organisations (or responses) sit at each level, or "too few" to say."""

    slug: str  # theme slug, or "overall"
    released: bool  # False: fewer than the minimum answered, counts withheld
    respondents: int  # how many have a level here (shown even when withheld: it names no one)
    minimum: int
    counts: tuple[tuple[str, int], ...] | None  # (level code, count) lowest level first

    @property
    def too_few(self) -> bool:
        return not self.released


@dataclass(frozen=True)
class DistributionReport:
    framework_slug: str
    overall: Distribution
    themes: tuple[Distribution, ...]

    def theme(self, slug: str) -> Distribution:
        for theme in self.themes:
            if theme.slug == slug:
                return theme
        raise KeyError(slug)


def _distribution(
    framework: Framework, slug: str, level_codes: list[str], minimum: int
) -> Distribution:
    known = {level.code for level in framework.levels}
    for code in level_codes:
        if code not in known:
            raise ScoringError(f"{code!r} is not a level of {framework.key}")
    respondents = len(level_codes)
    if respondents < minimum:
        return Distribution(slug, False, respondents, minimum, None)
    counts = tuple(
        (level.code, sum(1 for code in level_codes if code == level.code))
        for level in framework.levels
    )
    return Distribution(slug, True, respondents, minimum, counts)


def _report(framework: Framework, entries: list[PeerLevels], minimum: int) -> DistributionReport:
    overall = [e.overall for e in entries if e.overall is not None]
    themes = tuple(
        _distribution(
            framework,
            theme.slug,
            [code for e in entries if (code := e.themes.get(theme.slug)) is not None],
            minimum,
        )
        for theme in framework.themes
    )
    return DistributionReport(
        framework_slug=framework.slug,
        overall=_distribution(framework, "overall", overall, minimum),
        themes=themes,
    )


def peer_distribution(
    framework: Framework,
    peers: Iterable[PeerLevels],
    *,
    exclude: Hashable | None = None,
    minimum: int = MINIMUM_PEERS,
) -> DistributionReport:
    """Counts per level among other organisations, released only when ``minimum`` answered.

    Organisations are counted once each: if one appears more than once (several rounds),
    only its last entry counts, so pass them oldest first. ``exclude`` is the asking
    organisation, which is not its own peer.
    """
    latest: dict[Hashable, PeerLevels] = {}
    for peer in peers:
        if peer.organisation != exclude:
            latest[peer.organisation] = peer
    return _report(framework, list(latest.values()), minimum)


def state_of_the_nation(
    framework: Framework,
    results: Iterable[AssessmentResult],
    *,
    minimum: int = MINIMUM_PEERS,
) -> DistributionReport:
    """Counts per level across all responses (anonymous public ones included).

    Each response counts once; the same small-numbers rule applies, so a theme only a
    handful answered is withheld.
    """
    entries = []
    for index, result in enumerate(results):
        if result.framework_slug != framework.slug:
            raise ScoringError(f"a {result.framework_slug!r} response is not {framework.slug!r}")
        entries.append(PeerLevels.from_result(index, result))
    return _report(framework, entries, minimum)
