"""Log-in by e-mail, throttled from the audit log; log-out by POST only."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rempart.web.orgs.models import AuditAction, AuditEvent
from rempart.web.orgs.throttle import client_ip, is_throttled
from tests.web.conftest import PASSWORD

URL = "/account/login/"


def english_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _login(client, email, password=PASSWORD, **extra):
    return client.post(URL, {"email": email, "password": password}, **extra)


def _failures(n, client, email):
    for _ in range(n):
        response = _login(client, email, "wrong password, sorry")
        assert response.status_code == 200
        assert "Wrong e-mail address or password." in response.content.decode()


def test_alice_logs_in_with_her_email_in_any_case_and_is_audited(client, world):
    response = _login(client, "ALICE@boulangerie-alice.lab")

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert int(client.session["_auth_user_id"]) == world.alice.pk
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor == world.alice and event.ip == "127.0.0.1"


def test_unknown_email_and_wrong_password_get_the_same_answer(client, world):
    unknown = _login(client, "nobody@nowhere.lab")
    wrong = _login(client, world.alice.email, "not her password at all")

    assert unknown.status_code == wrong.status_code == 200
    assert "Wrong e-mail address or password." in unknown.content.decode()
    assert "Wrong e-mail address or password." in wrong.content.decode()
    labels = list(
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).values_list(
            "actor_label", flat=True
        )
    )
    assert sorted(labels) == ["alice@boulangerie-alice.lab", "nobody@nowhere.lab"]
    assert "_auth_user_id" not in client.session


def test_after_five_failures_even_the_right_password_is_refused(client, world, settings):
    assert settings.LOGIN_MAX_FAILURES == 5
    _failures(5, client, world.alice.email)

    response = _login(client, world.alice.email)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_THROTTLED).count() == 1


def test_another_account_from_the_same_address_is_not_affected(client, world):
    _failures(5, client, world.alice.email)

    response = _login(client, world.bob.email)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.bob.pk


def test_the_throttle_is_case_insensitive_and_shared_by_every_process(world):
    first, second = (
        english_client(),
        english_client(),
    )  # two browsers: the count lives in the database
    _failures(3, first, world.alice.email.upper())
    _failures(2, second, world.alice.email)

    assert _login(second, world.alice.email).status_code == 429


def test_failures_older_than_the_window_no_longer_count(client, world, settings):
    _failures(5, client, world.alice.email)
    old = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW + 1)
    AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).update(at=old)

    assert _login(client, world.alice.email).status_code == 302


def test_one_address_trying_many_accounts_is_stopped(client, world, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 6
    for n in range(6):
        _login(client, f"guess{n}@nowhere.lab", "wrong password, sorry")

    assert _login(client, world.bob.email).status_code == 429
    other_address = _login(english_client(), world.bob.email, REMOTE_ADDR="127.0.0.2")
    assert other_address.status_code == 302


def test_the_forwarded_address_is_trusted_only_from_a_declared_proxy(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_ip(request) == "127.0.0.1"
    settings.REMPART_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(request) == "198.51.100.7"
    bogus = rf.get("/", HTTP_X_FORWARDED_FOR="not an address")
    assert client_ip(bogus) == "127.0.0.1"


def test_is_throttled_counts_totp_failures_too(world):
    for _ in range(5):
        AuditEvent.objects.create(
            action=AuditAction.TOTP_FAILED, actor_label=world.alice.email, ip="127.0.0.9"
        )
    assert is_throttled(world.alice.email, "127.0.0.1")
    assert not is_throttled(world.bob.email, "127.0.0.1")


def test_next_is_followed_only_within_the_site(client, world):
    inside = client.post(
        URL, {"email": world.alice.email, "password": PASSWORD, "next": "/account/profile/"}
    )
    assert inside["Location"] == "/account/profile/"
    client.post("/account/logout/")
    outside = client.post(
        URL + "?next=https://evil.example/", {"email": world.alice.email, "password": PASSWORD}
    )
    assert outside["Location"] == reverse("portal:home")


def test_logout_is_post_only(client, world):
    _login(client, world.alice.email)

    assert client.get("/account/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/account/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("orgs:login")
    assert "_auth_user_id" not in client.session
