"""Data built once for a module (tests/shared_data.py): every test sees it, and none sees
what another test wrote."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group

from tests.shared_data import built_once

pytestmark = pytest.mark.django_db


def _build() -> list[str]:
    return [Group.objects.create(name=f"Built once {n}").name for n in range(3)]


@pytest.fixture(scope="module")
def groups(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[str]]:
    yield from built_once(django_db_blocker, _build)


@pytest.mark.parametrize("writer", ["first", "second"])
def test_each_test_sees_the_built_rows_and_no_other_tests(groups: list[str], writer: str) -> None:
    names = set(Group.objects.values_list("name", flat=True))
    assert set(groups) <= names
    assert not any(name.startswith("Written by") for name in names)
    Group.objects.create(name=f"Written by the {writer} test")
    Group.objects.filter(name=groups[0]).delete()


def test_the_rows_are_built_once(groups: list[str]) -> None:
    # Still there although each test above deleted one: their deletes were rolled back.
    assert len(set(Group.objects.filter(name__in=groups).values_list("id", flat=True))) == 3
