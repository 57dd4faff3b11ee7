"""The shipped framework files, and the loader's checks on broken ones.

The shipped files are read here with plain ``json`` as well as through the loader, so a
bug in the loader's own checks cannot hide a broken file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from diagnostics.framework_files import (
    FRAMEWORKS_DIR,
    FrameworkFileError,
    framework_from_dict,
    framework_paths,
    get_framework,
    latest_versions,
    load_framework_file,
    load_frameworks,
)

SHIPPED = sorted(p.name for p in FRAMEWORKS_DIR.glob("*.v*.json"))


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FRAMEWORKS_DIR / name).read_text(encoding="utf-8"))
    return data


def test_the_three_frameworks_are_shipped() -> None:
    assert SHIPPED == ["cciaf.v1.json", "nps-2022.v1.json", "svmi.v1.json"]
    assert [p.name for p in framework_paths()] == SHIPPED
    assert set(load_frameworks()) == {"cciaf.v1", "nps-2022.v1", "svmi.v1"}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_validates(name: str) -> None:
    framework = load_framework_file(FRAMEWORKS_DIR / name)
    assert name == f"{framework.key}.json"
    assert framework.source.note.strip()
    assert framework.description.strip()


@pytest.mark.parametrize("name", SHIPPED)
def test_codes_are_unique_and_every_question_describes_every_level(name: str) -> None:
    data = raw(name)
    level_codes = [level["code"] for level in data["levels"]]
    assert len(set(level_codes)) == len(level_codes)
    assert [level["score"] for level in data["levels"]] == list(range(1, len(level_codes) + 1))

    theme_slugs = [theme["slug"] for theme in data["themes"]]
    assert len(set(theme_slugs)) == len(theme_slugs)

    question_codes = [q["code"] for theme in data["themes"] for q in theme["questions"]]
    assert len(set(question_codes)) == len(question_codes)

    for theme in data["themes"]:
        for question in theme["questions"]:
            descriptors = question["descriptors"]
            assert sorted(descriptors) == sorted(level_codes), question["code"]
            assert all(text.strip() for text in descriptors.values()), question["code"]
            # Each level must say something different, or the answer tells us nothing.
            assert len(set(descriptors.values())) == len(level_codes), question["code"]
            assert question["text"].strip()
            assert question["help"].strip()


def test_nps_2022_follows_the_strategy_structure() -> None:
    nps = get_framework("nps-2022")
    assert [level.name for level in nps.levels] == [
        "Minimum",
        "Developing",
        "Mature",
        "Leader",
        "Innovator",
    ]
    themes = [t.title for t in nps.themes if t.kind == "theme"]
    enablers = [t.title for t in nps.themes if t.kind == "enabler"]
    assert themes == ["Showing leadership", "Behaving commercially", "Achieving community benefits"]
    assert enablers == [
        "Adding value",
        "Developing talent",
        "Exploiting digital technology",
        "Enabling innovation",
        "Embedding change",
    ]
    assert all(3 <= len(t.questions) <= 5 for t in nps.themes)
    assert not nps.public


def test_svmi_is_a_public_quick_test_on_its_four_stages() -> None:
    svmi = get_framework("svmi")
    assert [level.name for level in svmi.levels] == ["Followers", "Mature", "Leaders", "Innovators"]
    assert svmi.public
    assert 5 <= len(svmi.themes) <= 6
    assert all(2 <= len(t.questions) <= 4 for t in svmi.themes)


def test_cciaf_uses_developing_good_better_best() -> None:
    cciaf = get_framework("cciaf")
    assert [level.name for level in cciaf.levels] == ["Developing", "Good", "Better", "Best"]
    assert 8 <= len(cciaf.themes) <= 10
    assert all(2 <= len(t.questions) <= 4 for t in cciaf.themes)
    assert not cciaf.public


def test_get_framework_by_version_and_unknown() -> None:
    assert get_framework("svmi", 1).version == 1
    with pytest.raises(KeyError, match=r"svmi\.v9"):
        get_framework("svmi", 9)
    with pytest.raises(KeyError, match="nope"):
        get_framework("nope")


# ------------------------------------------------------------------ broken files


def write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def svmi_data() -> dict[str, Any]:
    return copy.deepcopy(raw("svmi.v1.json"))


def test_a_new_version_is_just_a_new_file(tmp_path: Path, svmi_data: dict[str, Any]) -> None:
    write(tmp_path, "svmi.v1.json", svmi_data)
    svmi_data["version"] = 2
    svmi_data["title"] = "Second edition"
    write(tmp_path, "svmi.v2.json", svmi_data)
    frameworks = load_frameworks(tmp_path)
    assert set(frameworks) == {"svmi.v1", "svmi.v2"}
    assert latest_versions(frameworks)["svmi"].title == "Second edition"


def test_missing_descriptor_names_file_and_path(tmp_path: Path, svmi_data: dict[str, Any]) -> None:
    del svmi_data["themes"][2]["questions"][1]["descriptors"]["leaders"]
    path = write(tmp_path, "svmi.v1.json", svmi_data)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework_file(path)
    assert caught.value.source == "svmi.v1.json"
    assert caught.value.json_path == "$.themes[2].questions[1].descriptors"
    assert "leaders" in str(caught.value)
    assert str(caught.value).startswith("svmi.v1.json at $.themes[2].questions[1].descriptors")


def test_descriptor_for_unknown_level(svmi_data: dict[str, Any]) -> None:
    svmi_data["themes"][0]["questions"][0]["descriptors"]["superstars"] = "Too good."
    with pytest.raises(FrameworkFileError, match=r"descriptors\.superstars"):
        framework_from_dict(svmi_data)


def test_repeated_question_code(svmi_data: dict[str, Any]) -> None:
    svmi_data["themes"][1]["questions"][0]["code"] = svmi_data["themes"][0]["questions"][0]["code"]
    with pytest.raises(FrameworkFileError) as caught:
        framework_from_dict(svmi_data, source="x.v1.json")
    assert caught.value.json_path == "$.themes[1].questions[0].code"
    assert "$.themes[0].questions[0]" in caught.value.message


def test_repeated_theme_slug(svmi_data: dict[str, Any]) -> None:
    svmi_data["themes"][3]["slug"] = svmi_data["themes"][0]["slug"]
    with pytest.raises(FrameworkFileError, match=r"\$\.themes\[3\]\.slug"):
        framework_from_dict(svmi_data)


def test_levels_must_be_lowest_first(svmi_data: dict[str, Any]) -> None:
    svmi_data["levels"].reverse()
    with pytest.raises(FrameworkFileError, match=r"\$\.levels\[0\]\.score"):
        framework_from_dict(svmi_data)


def test_schema_error_carries_json_path(tmp_path: Path, svmi_data: dict[str, Any]) -> None:
    del svmi_data["themes"][4]["questions"][0]["help"]
    path = write(tmp_path, "svmi.v1.json", svmi_data)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework_file(path)
    assert caught.value.json_path == "$.themes[4].questions[0]"
    assert "'help' is a required property" in caught.value.message


def test_schema_rejects_unknown_kind(svmi_data: dict[str, Any]) -> None:
    svmi_data["themes"][0]["kind"] = "pillar"
    with pytest.raises(FrameworkFileError, match=r"\$\.themes\[0\]\.kind"):
        framework_from_dict(svmi_data)


def test_file_name_must_match_slug_and_version(tmp_path: Path, svmi_data: dict[str, Any]) -> None:
    with pytest.raises(FrameworkFileError, match=r"\$\.slug"):
        load_framework_file(write(tmp_path, "other.v1.json", svmi_data))
    with pytest.raises(FrameworkFileError, match=r"\$\.version"):
        load_framework_file(write(tmp_path, "svmi.v3.json", svmi_data))
    with pytest.raises(FrameworkFileError, match="file name"):
        load_framework_file(write(tmp_path, "svmi.json", svmi_data))


def test_invalid_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "svmi.v1.json"
    path.write_text('{"slug": "svmi",\n  oops}', encoding="utf-8")
    with pytest.raises(FrameworkFileError, match=r"svmi\.v1\.json at \$: not valid JSON \(line 2"):
        load_framework_file(path)
