from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.models import User
from portal.roles import Role, has_role


@pytest.mark.django_db
def test_create_user_gives_the_role_and_prints_a_password() -> None:
    out = StringIO()
    call_command("create_user", "Someone@Example.gov.uk", "--role", "officer", stdout=out)
    user = User.objects.get(email="someone@example.gov.uk")
    assert has_role(user, Role.PROCUREMENT_OFFICER)
    assert not has_role(user, Role.ADMINISTRATOR)
    password = out.getvalue().split("Password: ")[1].strip()
    assert user.check_password(password)


@pytest.mark.django_db
def test_create_user_refuses_an_unknown_role() -> None:
    with pytest.raises(CommandError, match="Unknown role 'mayor'"):
        call_command("create_user", "x@example.gov.uk", "--role", "mayor")
    assert not User.objects.filter(email="x@example.gov.uk").exists()


@pytest.mark.django_db
def test_demo_users_one_per_role() -> None:
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    for role in Role:
        assert User.objects.filter(groups__name=role.value).count() == 1
        assert role.value in out.getvalue()
