"""Maturity frameworks kept as JSON files, loaded into frozen dataclasses.

Each file in ``diagnostics/frameworks/`` is one version of one framework and is named
``<slug>.v<version>.json``. Adding a framework (or a new version) is adding a file: no
code changes. A file is checked twice when loaded:

1. against ``frameworks/schema.json`` (shape and types), then
2. by the rules a JSON Schema cannot express: level scores run 1..n in order, codes and
   slugs are unique, and every question has exactly one descriptor per level.

Any problem raises :class:`FrameworkFileError` naming the file and the JSON path, e.g.
``nps-2022.v1.json at $.themes[2].questions[0].descriptors: no descriptor for level 'leader'``.

This module has no Django dependency on purpose: scoring and its tests run without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
SCHEMA_PATH = FRAMEWORKS_DIR / "schema.json"

# <slug>.v<version>.json, e.g. "nps-2022.v1.json".
FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.v(?P<version>[1-9][0-9]*)\.json$")


class FrameworkFileError(ValueError):
    """A framework file is missing, is not JSON, or breaks the schema or a rule."""

    def __init__(self, source: str, json_path: str, message: str) -> None:
        self.source = source
        self.json_path = json_path
        self.message = message
        super().__init__(f"{source} at {json_path}: {message}")


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    score: int  # 1 for the lowest level, n for the highest
    description: str


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    help: str
    # level code -> what that level looks like for this question (read-only mapping)
    descriptors: Mapping[str, str]


@dataclass(frozen=True)
class Theme:
    slug: str
    title: str
    description: str
    kind: str  # "theme" or "enabler"
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Source:
    publisher: str
    note: str
    url: str | None = None


@dataclass(frozen=True)
class Framework:
    slug: str
    version: int
    title: str
    short_title: str
    description: str
    source: Source
    public: bool
    audience: str
    levels: tuple[Level, ...]  # ordered lowest to highest
    themes: tuple[Theme, ...]

    @property
    def key(self) -> str:
        """The file stem, e.g. ``nps-2022.v1``: unique across frameworks and versions."""
        return f"{self.slug}.v{self.version}"

    def level(self, code: str) -> Level:
        for level in self.levels:
            if level.code == code:
                return level
        raise KeyError(f"{self.key} has no level {code!r}")

    def level_for_score(self, score: int) -> Level | None:
        """The level with exactly this score, or None beyond either end of the scale."""
        if 1 <= score <= len(self.levels):
            return self.levels[score - 1]
        return None

    def theme(self, slug: str) -> Theme:
        for theme in self.themes:
            if theme.slug == slug:
                return theme
        raise KeyError(f"{self.key} has no theme {slug!r}")

    def questions(self) -> Iterator[tuple[Theme, Question]]:
        for theme in self.themes:
            for question in theme.questions:
                yield theme, question


@cache
def _schema_validator() -> Validator:
    # jsonschema on first use: every process imports this module at start (decision 0009)
    from jsonschema.validators import validator_for  # noqa: PLC0415

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator: Validator = validator_class(schema)
    return validator


def framework_from_dict(data: Any, *, source: str = "<framework>") -> Framework:
    """Validate a parsed framework document and build the dataclasses.

    ``source`` names the document in error messages (the file name when loading a file).
    """
    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        # Report the first error by position; one clear message beats a flood (the
        # same lesson as cove's "one misspelt heading floods the page").
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise FrameworkFileError(source, first.json_path, first.message + more)
    _check_rules(data, source)
    return _build(data)


def _check_rules(data: dict[str, Any], source: str) -> None:
    levels = data["levels"]
    level_codes = [level["code"] for level in levels]
    for index, level in enumerate(levels):
        if level["score"] != index + 1:
            raise FrameworkFileError(
                source,
                f"$.levels[{index}].score",
                f"levels must be listed lowest first with scores 1..{len(levels)}; "
                f"expected {index + 1}, found {level['score']}",
            )
        if level_codes.index(level["code"]) != index:
            raise FrameworkFileError(
                source, f"$.levels[{index}].code", f"level code {level['code']!r} is repeated"
            )

    theme_slugs: set[str] = set()
    question_codes: dict[str, str] = {}
    for t_index, theme in enumerate(data["themes"]):
        theme_path = f"$.themes[{t_index}]"
        if theme["slug"] in theme_slugs:
            raise FrameworkFileError(
                source, f"{theme_path}.slug", f"theme slug {theme['slug']!r} is repeated"
            )
        theme_slugs.add(theme["slug"])
        for q_index, question in enumerate(theme["questions"]):
            question_path = f"{theme_path}.questions[{q_index}]"
            code = question["code"]
            if code in question_codes:
                raise FrameworkFileError(
                    source,
                    f"{question_path}.code",
                    f"question code {code!r} is already used at {question_codes[code]}",
                )
            question_codes[code] = question_path
            descriptors = question["descriptors"]
            for level_code in level_codes:
                if level_code not in descriptors:
                    raise FrameworkFileError(
                        source,
                        f"{question_path}.descriptors",
                        f"no descriptor for level {level_code!r}",
                    )
            for key in descriptors:
                if key not in level_codes:
                    raise FrameworkFileError(
                        source,
                        f"{question_path}.descriptors.{key}",
                        f"{key!r} is not one of the levels {level_codes}",
                    )


def _build(data: dict[str, Any]) -> Framework:
    source = data["source"]
    return Framework(
        slug=data["slug"],
        version=data["version"],
        title=data["title"],
        short_title=data.get("short_title", data["title"]),
        description=data["description"],
        source=Source(publisher=source["publisher"], note=source["note"], url=source.get("url")),
        public=data["public"],
        audience=data.get("audience", ""),
        levels=tuple(
            Level(
                code=lv["code"], name=lv["name"], score=lv["score"], description=lv["description"]
            )
            for lv in data["levels"]
        ),
        themes=tuple(
            Theme(
                slug=theme["slug"],
                title=theme["title"],
                description=theme["description"],
                kind=theme.get("kind", "theme"),
                questions=tuple(
                    Question(
                        code=q["code"],
                        text=q["text"],
                        help=q["help"],
                        # Keep the level order, whatever order the file lists them in.
                        descriptors=MappingProxyType(
                            {lv["code"]: q["descriptors"][lv["code"]] for lv in data["levels"]}
                        ),
                    )
                    for q in theme["questions"]
                ),
            )
            for theme in data["themes"]
        ),
    )


def load_framework_file(path: Path | str) -> Framework:
    """Load and validate one framework file; its name must match its slug and version."""
    path = Path(path)
    name = path.name
    match = FILE_NAME.match(name)
    if match is None:
        raise FrameworkFileError(name, "$", "file name must look like <slug>.v<version>.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FrameworkFileError(name, "$", "file not found") from exc
    except json.JSONDecodeError as exc:
        raise FrameworkFileError(
            name, "$", f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    framework = framework_from_dict(data, source=name)
    if framework.slug != match["slug"]:
        raise FrameworkFileError(
            name, "$.slug", f"slug {framework.slug!r} does not match the file name"
        )
    if framework.version != int(match["version"]):
        raise FrameworkFileError(
            name, "$.version", f"version {framework.version} does not match the file name"
        )
    return framework


def framework_paths(directory: Path | None = None) -> list[Path]:
    """Every framework file in the directory (``schema.json`` is not one), sorted by name."""
    directory = directory or FRAMEWORKS_DIR
    return sorted(p for p in directory.glob("*.json") if p.name != SCHEMA_PATH.name)


def load_frameworks(directory: Path | None = None) -> dict[str, Framework]:
    """All frameworks in the directory, keyed by ``<slug>.v<version>``."""
    frameworks: dict[str, Framework] = {}
    for path in framework_paths(directory):
        framework = load_framework_file(path)
        frameworks[framework.key] = framework
    return frameworks


def latest_versions(frameworks: Mapping[str, Framework]) -> dict[str, Framework]:
    """The newest version of each framework, keyed by slug: what a new round should use."""
    latest: dict[str, Framework] = {}
    for framework in frameworks.values():
        current = latest.get(framework.slug)
        if current is None or framework.version > current.version:
            latest[framework.slug] = framework
    return latest


def get_framework(slug: str, version: int | None = None) -> Framework:
    """One framework from the shipped directory; the latest version unless one is given."""
    frameworks = load_frameworks()
    if version is not None:
        try:
            return frameworks[f"{slug}.v{version}"]
        except KeyError:
            raise KeyError(f"no framework file {slug}.v{version}.json") from None
    try:
        return latest_versions(frameworks)[slug]
    except KeyError:
        raise KeyError(f"no framework with slug {slug!r}") from None
