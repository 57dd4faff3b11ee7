from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.navigation import sections_for
from portal.roles import Role, user_roles


def council(request: HttpRequest) -> dict[str, Any]:
    """The council's name and colours, and the navigation for this user, on every page."""
    return {
        "council": {
            "name": settings.COUNCIL_NAME,
            "short_name": settings.COUNCIL_SHORT_NAME,
            "brand_colour": settings.COUNCIL_BRAND_COLOUR,
            "accent_colour": settings.COUNCIL_ACCENT_COLOUR,
            "contact_email": settings.COUNCIL_CONTACT_EMAIL,
        },
        "navigation": sections_for(request),
        "user_roles": sorted(role.value for role in user_roles(getattr(request, "user", None))),
        # Empty states link the import that fills a page for those who may run it.
        "is_administrator": Role.ADMINISTRATOR in user_roles(getattr(request, "user", None)),
    }
