"""The signed-in home page: what each role needs first, gathered from every app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from contracts.selectors import notices_due
from portal import selectors
from portal.navigation import sections_for
from portal.roles import STAFF, Role, user_roles


def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    context = {
        "sections": [s for s in sections_for(request) if s.get("description")],
        "is_admin": Role.ADMINISTRATOR in roles,
        "is_officer": Role.PROCUREMENT_OFFICER in roles,
        "is_councillor": Role.COUNCILLOR in roles,
        "recent_jobs": selectors.jobs_visible_to(request.user)[:5] if roles & set(STAFF) else [],
    }
    if Role.PROCUREMENT_OFFICER in roles:
        due = notices_due(timezone.localdate())
        context |= {"notices_due": due[:10], "notices_due_count": len(due), "can_edit": True}
    return render(request, "home/home.html", context)
