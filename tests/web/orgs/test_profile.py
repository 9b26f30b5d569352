"""The profile page: e-mail, roles, two-factor status, and an API token shown once."""

from __future__ import annotations

from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.conftest import otp_login
from tests.web.orgs.conftest import enrol_totp

URL = "/account/profile/"


def test_dave_sees_his_email_both_organisations_and_totp_off(client, world):
    otp_login(client, world.dave)
    body = client.get(URL).content.decode()

    assert world.dave.email in body
    assert "Boulangerie Alice" in body and "Garage Charlie" in body
    assert body.count("IT provider") >= 2
    assert "/account/totp/setup/" in body and "Off:" in body


def test_the_status_says_when_totp_is_on(client, world):
    enrol_totp(world.alice)
    otp_login(client, world.alice)
    assert "On since" in client.get(URL).content.decode()


def test_a_token_is_shown_once_replaced_on_demand_and_audited(client, world):
    otp_login(client, world.alice)

    created = client.post("/account/profile/token/")
    key = Token.objects.get(user=world.alice).key
    assert created.status_code == 200 and key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert key not in client.get(URL).content.decode()  # never shown again

    client.post("/account/profile/token/")
    assert Token.objects.filter(user=world.alice).count() == 1
    assert Token.objects.get(user=world.alice).key != key  # the old one is revoked
    events = AuditEvent.objects.filter(action=AuditAction.TOKEN_CREATED, actor=world.alice)
    assert events.count() == 2
    assert all(key not in (e.object_id + str(e.detail)) for e in events)


def test_the_token_authenticates_alice_on_the_api(client, world, rf):
    otp_login(client, world.alice)
    client.post("/account/profile/token/")
    key = Token.objects.get(user=world.alice).key

    request = rf.get("/api/me/", HTTP_AUTHORIZATION=f"Token {key}")
    user, token = TokenAuthentication().authenticate(request)

    assert user == world.alice and token.key == key


def test_the_token_page_is_post_only_and_anonymous_visitors_log_in_first(client, world):
    assert client.get(URL)["Location"].startswith("/account/login/")
    otp_login(client, world.alice)
    assert client.get("/account/profile/token/").status_code == 405
    assert not Token.objects.exists()
