"""Who may see what: sign-in is required except on public pages; roles decide the rest."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import TEST_PASSWORD

PUBLIC_PAGES = ["home:home", "portal:sign-in", "portal:accessibility", "portal:privacy"]
SIGNED_IN_PAGES = ["portal:users", "portal:jobs"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_anonymous_users_are_sent_to_sign_in(client: Client, name: str) -> None:
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:sign-in"))
    assert f"next={url}" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_need_no_sign_in(client: Client, name: str) -> None:
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_councillor_is_refused_administration_pages(client: Client, councillor) -> None:
    client.force_login(councillor)
    for name in ("portal:users", "portal:jobs"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "You do not have access to this page" in response.content.decode()


@pytest.mark.django_db
def test_officer_sees_jobs_but_not_users(client: Client, officer) -> None:
    client.force_login(officer)
    assert client.get(reverse("portal:jobs")).status_code == 200
    assert client.get(reverse("portal:users")).status_code == 403


@pytest.mark.django_db
def test_administrator_manages_users(client: Client, administrator) -> None:
    client.force_login(administrator)
    response = client.post(
        reverse("portal:users"),
        {
            "email": "New.Person@Example.gov.uk",
            "full_name": "New Person",
            "role": "Councillor",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("portal:users")).content.decode()
    assert "new.person@example.gov.uk" in page
    from portal.models import User

    person = User.objects.get(email="new.person@example.gov.uk")
    assert list(person.groups.values_list("name", flat=True)) == ["Councillor"]
    # An administrator cannot lock themselves out by removing their own role.
    response = client.post(
        reverse("portal:user-edit", args=[administrator.pk]),
        {"roles": ["Councillor"], "active": "on"},
    )
    assert response.status_code == 200
    assert "cannot remove your own Administrator role" in response.content.decode()


@pytest.mark.django_db
def test_home_page_differs_by_role(client: Client, administrator, councillor) -> None:
    client.force_login(administrator)
    admin_home = client.get(reverse("home:home")).content.decode()
    assert "Users" in admin_home
    client.force_login(councillor)
    councillor_home = client.get(reverse("home:home")).content.decode()
    assert 'href="/users/"' not in councillor_home
    assert "committee scrutiny report" in councillor_home


@pytest.mark.django_db
def test_sign_in_with_form_then_sign_out(client: Client, officer) -> None:
    response = client.post(
        reverse("portal:sign-in"),
        {"email": officer.email.upper(), "password": TEST_PASSWORD, "next": "/jobs/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/jobs/"
    assert client.get(reverse("home:home")).status_code == 200
    client.post(reverse("portal:sign-out"))
    assert client.get(reverse("portal:jobs")).status_code == 302
    assert "Council staff and councillors" in client.get(reverse("home:home")).content.decode()


@pytest.mark.django_db
def test_sign_in_refuses_an_outside_next_address(client: Client, officer) -> None:
    response = client.post(
        reverse("portal:sign-in"),
        {"email": officer.email, "password": TEST_PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home:home")


@pytest.mark.django_db
def test_repeated_failed_sign_ins_pause_the_account(client: Client, officer, settings) -> None:
    for _ in range(settings.SIGN_IN_MAX_FAILURES):
        response = client.post(
            reverse("portal:sign-in"), {"email": officer.email, "password": "wrong password"}
        )
        assert "Enter a correct email address and password" in response.content.decode()
    # Now even the right password is refused until the pause ends.
    response = client.post(
        reverse("portal:sign-in"), {"email": officer.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Another person signing in from elsewhere is not affected.
    from portal.roles import Role
    from tests.conftest import make_user

    other = make_user(Role.COUNCILLOR, "other@example.gov.uk")
    other_client = Client(REMOTE_ADDR="10.0.0.9")
    response = other_client.post(
        reverse("portal:sign-in"), {"email": other.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client: Client, officer) -> None:
    client.force_login(officer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
