"""The starter catalogue of social value measures, shipped as data (``starter.json``).

Themes follow the missions of the Cabinet Office Social Value Model (PPN 002); each
theme has outcomes, and each outcome has measures with a unit and an illustrative proxy
value in £ per unit. A council loads it once as a starting point and then edits its own
copy (the models come later); nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

STARTER_PATH = Path(__file__).resolve().parent / "starter.json"


@dataclass(frozen=True)
class StarterMeasure:
    theme_code: str
    outcome_code: str
    code: str
    title: str
    unit: str
    proxy_value: Decimal  # £ per unit; parsed from a string so it is exact
    valid_from: int  # financial year it applies from (2024 = 2024/25)
    proxy_basis: str
    description: str


def load_starter_catalogue(path: Path | None = None) -> dict[str, Any]:
    """The catalogue document as parsed JSON (proxy values still strings)."""
    data: dict[str, Any] = json.loads((path or STARTER_PATH).read_text(encoding="utf-8"))
    return data


def starter_measures(path: Path | None = None) -> Iterator[StarterMeasure]:
    """Every measure in catalogue order, with its proxy value as a Decimal."""
    for theme in load_starter_catalogue(path)["themes"]:
        for outcome in theme["outcomes"]:
            for measure in outcome["measures"]:
                yield StarterMeasure(
                    theme_code=theme["code"],
                    outcome_code=outcome["code"],
                    code=measure["code"],
                    title=measure["title"],
                    unit=measure["unit"],
                    proxy_value=Decimal(measure["proxy_value"]),
                    valid_from=measure["valid_from"],
                    proxy_basis=measure["proxy_basis"],
                    description=measure["description"],
                )
