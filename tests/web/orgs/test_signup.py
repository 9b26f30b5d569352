"""Sign-up of a business: one transaction creates the business, its owner and the membership."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rempart.web.orgs.models import AuditAction, AuditEvent, Membership, Organisation, Role, User
from tests.web.conftest import PASSWORD, SIREN_A

GOOD = {
    "name": "Menuiserie Martin",
    "siren": "443 061 841",
    "naf": "16.23z",
    "headcount": "10-49",
    "departement": "5",
    "full_name": "Jeanne Martin",
    "email": "Jeanne@Menuiserie-Martin.lab",
    "password": PASSWORD,
    "password2": PASSWORD,
}
URL = "/account/signup/"


def _errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {field: [e.code for e in errs] for field, errs in form.errors.as_data().items()}


@pytest.mark.django_db
def test_a_business_signs_up_and_lands_logged_in_on_the_home_page(client):
    response = client.post(URL, GOOD)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    organisation = Organisation.objects.get()
    assert (organisation.siren, organisation.naf, organisation.departement) == (
        "443061841",
        "16.23Z",
        "05",
    )
    user = User.objects.get()
    assert user.email == "Jeanne@menuiserie-martin.lab"  # domain part normalised
    assert user.first_name == "Jeanne Martin"
    assert user.password.startswith(("argon2", "md5"))  # hashed, never stored as typed
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.OWNER
    event = AuditEvent.objects.get(action=AuditAction.SIGNUP)
    assert event.organisation == organisation and event.actor == user
    assert event.ip == "127.0.0.1"
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("siren", "73282932", "length", "exactly 9 digits"),
        ("siren", "7328293201", "length", "exactly 9 digits"),
        ("siren", "732 829 321", "key", "check digit does not match"),
        ("siren", "abcdefghi", "length", "exactly 9 digits"),
        ("naf", "6201", "invalid", "like 62.01Z"),
        ("departement", "20", "invalid", "French département"),
        ("departement", "99", "invalid", "French département"),
        ("email", "not-an-address", "invalid", "valid email"),
        ("password", "short", "password_too_short", "too short"),
        ("password", "password123456", "password_too_common", "too common"),
        ("name", "x" * 201, "max_length", "at most 200"),
        ("full_name", "x" * 151, "max_length", "at most 150"),
        ("headcount", "12", "invalid_choice", "valid choice"),
    ],
)
def test_each_wrong_field_gets_its_own_message_and_nothing_is_created(
    client, field, value, code, message
):
    data = {**GOOD, field: value}
    if field == "password":
        data["password2"] = value

    response = client.post(URL, data)

    assert response.status_code == 200
    errors = _errors(response)
    assert list(errors) == [field]
    assert code in errors[field]
    assert message in response.content.decode()
    assert not Organisation.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_a_password_like_the_email_address_is_refused(client):
    data = {
        **GOOD,
        "password": "jeanne@menuiserie-martin.lab",
        "password2": "jeanne@menuiserie-martin.lab",
    }
    response = client.post(URL, data)
    assert "password_too_similar" in _errors(response)["password"]


@pytest.mark.django_db
def test_two_different_passwords_are_refused(client):
    response = client.post(URL, {**GOOD, "password2": PASSWORD + "!"})
    assert _errors(response) == {"password2": ["password_mismatch"]}


def test_an_already_registered_siren_gets_a_clear_message(client, world):
    response = client.post(URL, {**GOOD, "siren": SIREN_A})

    assert _errors(response) == {"siren": ["duplicate"]}
    assert "already registered" in response.content.decode()
    assert Organisation.objects.count() == 2


def test_an_email_already_used_is_refused_whatever_its_case(client, world):
    response = client.post(URL, {**GOOD, "email": world.alice.email.upper()})
    assert _errors(response) == {"email": ["duplicate"]}


@pytest.mark.django_db
def test_every_field_has_a_maximum_length_in_the_page(client):
    body = client.get(URL).content.decode()
    for name in ("name", "siren", "naf", "departement", "full_name", "email", "password"):
        field = body.split(f'name="{name}"', 1)[1].split(">", 1)[0]
        assert "maxlength=" in field, name


@pytest.mark.django_db
def test_the_form_is_accessible_labels_and_one_heading(client):
    body = client.get(URL).content.decode()
    assert body.count("<h1") == 1
    for name in ("name", "siren", "naf", "headcount", "departement", "email", "password"):
        assert f'for="id_{name}"' in body, name
