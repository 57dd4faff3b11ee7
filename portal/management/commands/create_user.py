"""manage.py create_user EMAIL --role ROLE [--password P | --password-stdin] [--name NAME]"""

import secrets
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import services
from portal.models import User
from portal.roles import Role


class Command(BaseCommand):
    help = "Create a user with a role (Administrator, Procurement officer, Councillor)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--role",
            required=True,
            help="Administrator, 'Procurement officer' (or officer), Councillor",
        )
        parser.add_argument("--name", default="")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--password", help="Set this password (a new one is made otherwise).")
        group.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            role = Role.from_text(options["role"])
        except ValueError as problem:
            raise CommandError(str(problem)) from None
        password = options["password"]
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        generated = password is None
        if generated:
            password = secrets.token_urlsafe(12)
        else:
            # The same rules as a password set on the portal's pages.
            try:
                validate_password(password, User(email=options["email"], full_name=options["name"]))
            except ValidationError as problem:
                raise CommandError(
                    "That password is not accepted: " + " ".join(problem.messages)
                ) from None
        user = services.user_create(
            email=options["email"], role=role, password=password, full_name=options["name"]
        )
        self.stdout.write(f"{user.email} is a {role.value}.")
        if generated:
            self.stdout.write(f"Password: {password}")
