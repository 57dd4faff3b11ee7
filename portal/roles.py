"""The portal's roles, and the checks views use to decide who may see a page.

A role is a Django group. Signed-in users without the role get 403; anonymous users never get
this far because LoginRequiredMiddleware sends them to sign in first.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from portal.models import User

if TYPE_CHECKING:
    from portal.models import User


class Role(StrEnum):
    ADMINISTRATOR = "Administrator"
    PROCUREMENT_OFFICER = "Procurement officer"
    COUNCILLOR = "Councillor"

    @classmethod
    def from_text(cls, text: str) -> "Role":
        """Accept a role as people type it: 'officer', 'procurement-officer', 'Councillor'."""
        wanted = text.strip().lower().replace("-", " ").replace("_", " ")
        for role in cls:
            if wanted in {role.value.lower(), role.value.lower().split()[-1]}:
                return role
        names = ", ".join(r.value for r in cls)
        raise ValueError(f"Unknown role '{text}'. Choose one of: {names}.")


# Who can see what. Administrators see everything officers see.
STAFF = (Role.ADMINISTRATOR, Role.PROCUREMENT_OFFICER)
READERS = (Role.ADMINISTRATOR, Role.PROCUREMENT_OFFICER, Role.COUNCILLOR)


def user_roles(user: Any) -> set[Role]:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(Role)
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role if role.value in names}
        user._portal_roles = cached
    return set(cached)


def signed_in_user(request: HttpRequest) -> "User":
    """The signed-in user of a request that the sign-in middleware has already let through."""

    if not isinstance(request.user, User):
        raise PermissionDenied("Sign in to use this page.")
    return request.user


def has_role(user: Any, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


ViewFunction = Callable[..., HttpResponseBase]


def role_required(*roles: Role) -> Callable[[ViewFunction], ViewFunction]:
    """Decorate a view so only users holding one of ``roles`` may use it (others get 403)."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not give you access to this page.")
            return view(request, *args, **kwargs)

        wrapped.portal_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


class RoleRequiredMixin:
    """Class-based views: set ``roles`` to the roles that may use the view."""

    roles: tuple[Role, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, *self.roles):
            raise PermissionDenied("Your role does not give you access to this page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
