"""TOTP: enrolment, the second log-in step, replay refused, staff forced through enrolment."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from rempart.web.orgs.middleware import OTP_SESSION_KEY
from rempart.web.orgs.models import AuditAction, AuditEvent, StaffRole, User
from rempart.web.orgs.totp import grouped, matching_step
from tests.web.conftest import PASSWORD, make_user
from tests.web.orgs.conftest import enrol_totp

SETUP = "/account/totp/setup/"
VERIFY = "/account/totp/verify/"


def _login(client, user):
    return client.post("/account/login/", {"email": user.email, "password": PASSWORD})


def _shown_secret(response) -> str:
    match = re.search(r'class="totp-secret"[^>]*>([A-Z2-7 ]+)<', response.content.decode())
    assert match, "the setup page shows no secret"
    return match.group(1).replace(" ", "")


def test_a_user_enrols_with_the_shown_secret_and_a_code(client, world):
    _login(client, world.alice)
    page = client.get(SETUP)
    secret = _shown_secret(page)
    body = page.content.decode()
    assert "otpauth://totp/rempart:alice%40boulangerie-alice.lab?secret=" in body
    assert "issuer=rempart" in body
    assert page["Cache-Control"].startswith("max-age=0")

    response = client.post(SETUP, {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 302 and response["Location"] == reverse("orgs:profile")
    world.alice.refresh_from_db()
    assert world.alice.has_totp and world.alice.totp_secret == secret
    assert client.session[OTP_SESSION_KEY] is True
    assert AuditEvent.objects.filter(action=AuditAction.TOTP_ENABLED, actor=world.alice).exists()


def test_a_wrong_code_does_not_enrol_and_the_secret_stays_the_same(client, world):
    _login(client, world.alice)
    secret = _shown_secret(client.get(SETUP))

    response = client.post(SETUP, {"code": "000000"})

    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert _shown_secret(response) == secret  # the pending secret is kept across attempts
    world.alice.refresh_from_db()
    assert not world.alice.has_totp


def test_a_user_with_totp_must_give_a_code_after_the_password(client, world):
    totp = enrol_totp(world.alice)

    response = _login(client, world.alice)

    assert response["Location"] == VERIFY
    assert client.get("/account/profile/")["Location"].startswith(VERIFY)  # middleware gate
    verified = client.post(VERIFY, {"code": totp.now(), "next": "/account/profile/"})
    assert verified.status_code == 302 and verified["Location"] == "/account/profile/"
    assert client.get("/account/profile/").status_code == 200


def test_a_code_is_accepted_only_once(client, world):
    totp = enrol_totp(world.alice)
    code = totp.now()
    _login(client, world.alice)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.cookies["django_language"] = "en"
    _login(other, world.alice)
    replay = other.post(VERIFY, {"code": code})

    assert replay.status_code == 200
    assert "already used" in replay.content.decode()
    assert OTP_SESSION_KEY not in other.session
    event = AuditEvent.objects.get(action=AuditAction.TOTP_FAILED)
    assert event.actor == world.alice and event.detail["replay"] == "True"


def test_the_code_of_the_previous_step_is_accepted_but_not_two_steps_back(world):
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = time.time()
    assert matching_step(secret, totp.at(now - 30)) is not None
    assert matching_step(secret, totp.at(now - 90)) is None
    assert matching_step(secret, "12 34") is None
    assert grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_code_failures_count_towards_the_log_in_throttle(client, world):
    totp = enrol_totp(world.alice)
    _login(client, world.alice)
    for _ in range(5):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 200

    response = client.post(VERIFY, {"code": totp.now()})

    assert response.status_code == 429
    assert OTP_SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.TOTP_FAILED).count() == 5
    client.post("/account/logout/")
    assert _login(client, world.alice).status_code == 429  # the password step is closed too


def test_staff_without_totp_are_sent_to_enrolment_and_cannot_go_around(client, db):
    evaluator = make_user("eve@centre.lab", staff_role=StaffRole.EVALUATOR)

    response = _login(client, evaluator)

    assert response["Location"] == SETUP
    blocked = client.get("/account/profile/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(SETUP)
    secret = _shown_secret(client.get(SETUP))
    assert client.post(SETUP, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert client.get("/account/profile/").status_code == 200
    assert User.objects.get(pk=evaluator.pk).has_totp


def test_olga_the_analyst_passes_the_second_step(client, world):
    response = _login(client, world.olga)
    assert response["Location"] == VERIFY
    code = pyotp.TOTP(world.olga.totp_secret).now()
    assert client.post(VERIFY, {"code": code})["Location"] == reverse("portal:home")
    assert client.session[OTP_SESSION_KEY] is True


@pytest.mark.parametrize("page", [SETUP, VERIFY])
def test_anonymous_visitors_are_sent_to_the_log_in(client, db, page):
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_verify_without_totp_just_goes_on(client, world):
    _login(client, world.bob)
    assert client.get(VERIFY + "?next=/account/profile/")["Location"] == "/account/profile/"
