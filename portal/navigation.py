"""The header navigation: which sections each role sees.

Sections are listed here once; a section whose page is not installed (its URL name does not
resolve) is left out, so the menu grows as parts of the portal are added.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from portal.roles import READERS, STAFF, Role, user_roles


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str
    roles: tuple[Role, ...]
    description: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "Spend", "spend:overview", READERS, "Spend by year, month, supplier, category and locality."
    ),
    Section(
        "Supplier data",
        "suppliers:quality",
        READERS,
        "Supplier size, head-office locality, duplicates and Companies House data.",
    ),
    Section(
        "Contracts",
        "contracts:list",
        READERS,
        "The contract register, award monitoring and the forward plan.",
    ),
    Section(
        "Social value",
        "socialvalue:dashboard",
        READERS,
        "Social value committed and delivered, by theme and contract.",
    ),
    Section(
        "Payment duties",
        "payments:home",
        READERS,
        "Payments compliance notices and prompt payment (Procurement Act 2023).",
    ),
    Section(
        "Self-assessment",
        "diagnostics:home",
        STAFF,
        "Procurement maturity self-assessments and results.",
    ),
    Section(
        "Reports",
        "reports:centre",
        READERS,
        "The committee scrutiny report and the quarterly contract register.",
    ),
    Section(
        "Imports",
        "spend:imports",
        (Role.ADMINISTRATOR,),
        "Upload Oracle invoice extracts and watch them load.",
    ),
    Section(
        "Jobs",
        "portal:jobs",
        STAFF,
        "Imports and reports running or finished, with progress and failures.",
    ),
    Section("Users", "portal:users", (Role.ADMINISTRATOR,), "Who can sign in, and their roles."),
)

PUBLIC_SECTIONS: tuple[tuple[str, str], ...] = (
    ("Contract register", "register:home"),
    ("Spend over £500", "spend:transparency"),
    ("Social Value Maturity Index", "diagnostics:public-svmi"),
)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def sections_for(request: HttpRequest) -> list[dict[str, str | bool]]:
    """The sections this user may open, with the current one marked."""
    roles = user_roles(request.user)
    items: list[dict[str, str | bool]] = []
    if roles:
        candidates = [
            (s.label, s.url_name, s.description) for s in SECTIONS if set(s.roles) & roles
        ]
    else:
        candidates = [(label, name, "") for label, name in PUBLIC_SECTIONS]
    for label, name, description in candidates:
        url = _url(name)
        if url is None:
            continue
        items.append({"label": label, "url": url, "current": False, "description": description})
    # One item lit at a time: the section whose address is the longest start of this page's
    # (/spend/quality/ is Supplier data, not Spend as well).
    within = [i for i in items if url_within(request.path, str(i["url"]))]
    if within:
        max(within, key=lambda i: len(str(i["url"])))["current"] = True
    return items


def url_within(path: str, url: str) -> bool:
    return url != "/" and path.startswith(url)
