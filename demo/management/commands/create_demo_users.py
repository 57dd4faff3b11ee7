"""Create one demo user per role for a development portal, and print how to sign in."""

from typing import Any

from django.core.management.base import BaseCommand

from portal import services
from portal.roles import Role

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105  (development only; `make run` prints it)
DEMO_USERS = (
    ("admin@example.gov.uk", "Ada Administrator", Role.ADMINISTRATOR),
    ("officer@example.gov.uk", "Oliver Officer", Role.PROCUREMENT_OFFICER),
    ("councillor@example.gov.uk", "Cllr Chris Jones", Role.COUNCILLOR),
)


class Command(BaseCommand):
    help = "Create the three demo users (one per role) with a known development password."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Demo users (development only):")
        for email, name, role in DEMO_USERS:
            services.user_create(email=email, role=role, password=DEMO_PASSWORD, full_name=name)
            self.stdout.write(f"  {role.value:<20} {email:<28} password: {DEMO_PASSWORD}")
