"""Every page people use, for every role, follows the Design System's conventions: one item
of the header navigation lit, every link in the content styled as a GOV.UK link (or button),
and no raw code values ("None", "fusion", "auto") shown as words.

The pages are every GET route of the role matrix (tests/portal/test_role_matrix.py), with the
objects it creates, so a new page is crawled here as soon as it is in ACCESS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from portal.navigation import SECTIONS
from tests.html import Page, classes, text
from tests.portal.test_role_matrix import (
    ANONYMOUS,
    ROUTES,
    WHO,
    World,
    _build_world,
    _path,
    expected_access,
)

pytestmark = pytest.mark.django_db

# Classes that make an <a> a styled GOV.UK link or control.
LINK_CLASSES = {
    "govuk-link",
    "govuk-button",
    "govuk-back-link",
    "govuk-breadcrumbs__link",
    "govuk-pagination__link",
    "govuk-skip-link",
    "govuk-tabs__tab",
    "govuk-notification-banner__link",
    "govuk-footer__link",
    "govuk-header__link",
    "govuk-service-navigation__link",
}
# Inside these the component styles its own links (the error summary's list).
STYLED_BY_COMPONENT = ("govuk-error-summary__list",)
# Code values that must never be shown as words: layout codes (people read "Oracle Fusion"
# and "Detect from the file"), and a missing value printed by Python: "None" as the whole of
# a cell or value ("None recorded." is a sentence).
RAW_WORDS = re.compile(r"\bfusion\b|\bauto\b")
RAW_VALUES = {"None", "nan", "NaN", "null"}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return _build_world(tmp_path)


def _pages(client: Client, who: str, world: World) -> list[tuple[str, Page]]:
    pages = []
    for route in ROUTES:
        if route.pattern.startswith("django-admin/") or who not in expected_access(route)[0]:
            continue
        path = _path(route, world)
        with transaction.atomic():
            response = client.get(path)
            transaction.set_rollback(True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        if getattr(response, "streaming", False):
            continue
        page = Page(response.content)
        if page.find_all("main"):  # not a fragment a page polls for (a job's progress)
            pages.append((path, page))
    return pages


def _unstyled_links(page: Page) -> list[str]:
    found = []
    for link in page.find_all("a", page.main()):
        if set(classes(link)) & LINK_CLASSES:
            continue
        parents = {c for node in page.ancestors(link) for c in classes(node)}
        if parents & set(STYLED_BY_COMPONENT):
            continue
        found.append(f"<a href={link.get('href')!r}>{text(link)[:40]}</a>")
    return found


def _visible_text(page: Page) -> str:
    main = page.main()
    for hidden in [*page.find_all("script", main), *page.find_all("style", main)]:
        hidden.clear()
    return text(main)


@pytest.mark.parametrize("who", WHO)
def test_every_page_follows_the_design_system(world: World, who: str) -> None:
    client = Client()
    if who != ANONYMOUS:
        client.force_login(world.users[who])
    pages = _pages(client, who, world)
    assert len(pages) >= (5 if who == ANONYMOUS else 30)
    problems = []
    for path, page in pages:
        lit = [
            text(item) for item in page.find_all("li", cls="govuk-service-navigation__item--active")
        ]
        if len(lit) > 1:
            problems.append(f"{path}: {len(lit)} navigation items lit: {lit}")
        for link in _unstyled_links(page):
            problems.append(f"{path}: a link without a GOV.UK class: {link}")
        for element in page.main().iter():
            if element.tag not in ("script", "style") and text(element) in RAW_VALUES:
                problems.append(f"{path}: shows {text(element)!r} in a <{element.tag}>")
        for match in RAW_WORDS.finditer(_visible_text(page)):
            shown = _visible_text(page)[max(0, match.start() - 40) : match.end() + 40]
            problems.append(f"{path}: shows {match.group()!r}: …{shown}…")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.label)
def test_each_section_lights_its_own_item_only(world: World, section) -> None:
    from django.urls import reverse

    who = next(w for w in ("admin", "officer", "councillor") if w in _role_names(section))
    client = Client()
    client.force_login(world.users[who])
    page = Page(client.get(reverse(section.url_name)).content)
    lit = [text(i) for i in page.find_all("li", cls="govuk-service-navigation__item--active")]
    assert lit == [section.label]


def _role_names(section) -> set[str]:
    names = {"Administrator": "admin", "Procurement officer": "officer", "Councillor": "councillor"}
    return {names[role.value] for role in section.roles}
