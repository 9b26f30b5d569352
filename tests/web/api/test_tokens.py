"""API tokens: e-mail and password, two-factor code for staff, throttled on failures."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rempart.web.orgs.models import AuditAction, AuditEvent, StaffRole
from tests.web.conftest import PASSWORD, make_user, otp_login

URL = "/api/token/"


def _ask(email: str, password: str = PASSWORD, **extra: str):
    return APIClient().post(URL, {"email": email, "password": password, **extra}, format="json")


def _events(action: AuditAction):
    return AuditEvent.objects.filter(action=action)


def _current_code(user) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def test_a_good_password_gives_a_token_that_opens_the_api(world):
    response = _ask(world.alice.email)
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=world.alice).key == key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/me/").json()["email"] == world.alice.email
    event = _events(AuditAction.TOKEN_CREATED).get()
    assert (event.actor, event.ip) == (world.alice, "127.0.0.1")


def test_the_email_is_case_insensitive_and_the_token_is_stable(world):
    first = _ask("Alice@Boulangerie-Alice.LAB").json()["token"]
    second = _ask(world.alice.email).json()["token"]
    assert first == second
    assert _events(AuditAction.TOKEN_CREATED).count() == 2


def test_a_wrong_password_gives_no_token_and_is_recorded(world):
    response = _ask(world.alice.email, "not the password at all")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Token.objects.filter(user=world.alice).exists()
    failure = _events(AuditAction.LOGIN_FAILED).get()
    assert failure.actor_label == world.alice.email and failure.detail["channel"] == "api"


def test_an_unknown_account_reads_like_a_wrong_password(world):
    unknown = _ask("nobody@nowhere.lab")
    wrong = _ask(world.alice.email, "not the password at all")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.json() == wrong.json()


def test_missing_or_malformed_fields_are_named(db):
    response = APIClient().post(URL, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


@override_settings(LOGIN_MAX_FAILURES=3)
def test_after_too_many_failures_even_the_right_password_is_refused(world):
    for _ in range(3):
        assert _ask(world.alice.email, "wrong password here").status_code == 400
    response = _ask(world.alice.email)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "token" not in response.json()
    assert _events(AuditAction.LOGIN_THROTTLED).count() == 1


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_MAX_FAILURES_PER_IP=3)
def test_failures_from_one_address_block_that_address_for_other_accounts(world):
    for email in ("x1@nowhere.lab", "x2@nowhere.lab", "x3@nowhere.lab"):
        _ask(email, "guess")
    assert _ask(world.bob.email).status_code == 429


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_FAILURE_WINDOW=900)
def test_failures_older_than_the_window_are_forgotten(world):
    for _ in range(3):
        _ask(world.alice.email, "wrong password here")
    _events(AuditAction.LOGIN_FAILED).update(at=timezone.now() - timedelta(seconds=901))
    assert _ask(world.alice.email).status_code == 200


def test_staff_with_two_factor_must_send_a_current_code(world):
    olga = world.olga
    missing = _ask(olga.email)
    assert missing.status_code == 400 and "otp" in missing.json()
    wrong = _ask(olga.email, otp="000000" if _current_code(olga) != "000000" else "111111")
    assert wrong.status_code == 400 and "otp" in wrong.json()
    assert _events(AuditAction.TOTP_FAILED).count() == 2
    assert _ask(olga.email, otp=_current_code(olga)).status_code == 200


def test_a_two_factor_code_is_accepted_once(world):
    code = _current_code(world.olga)
    assert _ask(world.olga.email, otp=code).status_code == 200
    replay = _ask(world.olga.email, otp=code)
    assert replay.status_code == 400 and "otp" in replay.json()


@override_settings(LOGIN_MAX_FAILURES=3)
def test_wrong_two_factor_codes_count_towards_the_throttle(world):
    for _ in range(3):
        _ask(world.olga.email, otp="12345x")
    response = _ask(world.olga.email, otp=_current_code(world.olga))
    assert response.status_code == 429


def test_staff_without_two_factor_get_no_token(db):
    evaluator = make_user("eve@centre.lab", staff_role=StaffRole.EVALUATOR)
    response = _ask(evaluator.email)
    assert response.status_code == 400
    assert not Token.objects.filter(user=evaluator).exists()


def test_a_stale_authorization_header_does_not_block_the_log_in(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token revoked-or-garbage")
    response = client.post(URL, {"email": world.alice.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_the_token_endpoint_only_takes_post(db):
    assert APIClient().get(URL).status_code == 405


def test_a_staff_session_counts_only_after_its_two_factor_step(world, client):
    client.force_login(world.olga)  # password only
    assert client.get("/api/organisations/").status_code in (401, 403)
    otp_login(client, world.olga)
    response = client.get("/api/organisations/")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_a_business_session_without_two_factor_may_use_the_api(world, client):
    client.force_login(world.alice)
    assert client.get("/api/me/").json()["email"] == world.alice.email


@pytest.mark.parametrize("drift", [-30, 0, 30])
def test_one_step_of_clock_drift_is_tolerated(world, drift):
    code = pyotp.TOTP(world.olga.totp_secret).at(time.time() + drift)
    assert _ask(world.olga.email, otp=code).status_code == 200
