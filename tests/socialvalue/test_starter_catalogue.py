"""The social value starter catalogue: well formed, exact proxies, honest about sources."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pytest

from socialvalue.catalogue import load_starter_catalogue, starter_measures

PPN_002_MISSIONS = {
    "Kickstart economic growth",
    "Make Britain a clean energy superpower",
    "Take back our streets",
    "Break down barriers to opportunity",
    "Build an NHS fit for the future",
}


def test_shape_and_size() -> None:
    data = load_starter_catalogue()
    themes = data["themes"]
    outcomes = [o for t in themes for o in t["outcomes"]]
    measures = [m for o in outcomes for m in o["measures"]]
    assert len(themes) == 5
    assert 10 <= len(outcomes) <= 15
    assert 25 <= len(measures) <= 35
    assert {t["mission"] for t in themes} == PPN_002_MISSIONS


def test_codes_are_unique_and_nested() -> None:
    data = load_starter_catalogue()
    codes: list[str] = []
    for theme in data["themes"]:
        codes.append(theme["code"])
        for outcome in theme["outcomes"]:
            # An outcome's code starts with its theme's, a measure's with its outcome's.
            assert outcome["code"].startswith(theme["code"])
            codes.append(outcome["code"])
            for measure in outcome["measures"]:
                assert measure["code"].startswith(outcome["code"] + ".")
                codes.append(measure["code"])
    assert len(codes) == len(set(codes))


def test_every_measure_has_a_unit_and_a_valid_proxy() -> None:
    data = load_starter_catalogue()
    for theme in data["themes"]:
        for outcome in theme["outcomes"]:
            for measure in outcome["measures"]:
                code = measure["code"]
                assert measure["unit"].strip(), code
                assert measure["title"].strip(), code
                assert measure["proxy_basis"].strip(), code
                # A string in the file, never a JSON number, so it is exact.
                raw = measure["proxy_value"]
                assert isinstance(raw, str), code
                assert re.fullmatch(r"\d+\.\d{2}", raw), code
                try:
                    value = Decimal(raw)
                except InvalidOperation:  # pragma: no cover - the regex above rules it out
                    pytest.fail(f"{code}: {raw!r} is not a decimal")
                assert value.is_finite(), code
                assert value >= 0, code
                assert isinstance(measure["valid_from"], int), code
                assert 2024 <= measure["valid_from"] <= 2100, code


def test_loader_gives_decimals() -> None:
    measures = list(starter_measures())
    assert len(measures) == len({m.code for m in measures})
    assert all(type(m.proxy_value) is Decimal for m in measures)
    by_code = {m.code: m for m in measures}
    assert by_code["CE2.1"].proxy_value == Decimal("103.70")


def test_says_where_it_comes_from_and_that_proxies_are_illustrative() -> None:
    data = load_starter_catalogue()
    assert "PPN 002" in data["source_note"]
    assert "Open Government Licence" in data["source_note"]
    assert "illustrative" in data["proxy_note"].lower()
    assert "review" in data["proxy_note"].lower()
