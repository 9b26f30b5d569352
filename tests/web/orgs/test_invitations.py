"""Invitations: an owner invites by e-mail; the link works once, before it expires, for the
invited address only; an existing user invited as IT provider gains the organisation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from rempart.web.orgs.models import (
    AuditAction,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    User,
)
from rempart.web.orgs.services import do_invite
from tests.web.conftest import PASSWORD, otp_login


def _invite_url(world):
    return f"/account/o/{world.org_a.pk}/members/invite/"


def _link_from(mail) -> str:
    match = re.search(r"https?://\S+(/account/invite/[\w-]+/)", mail.body)
    assert match, mail.body
    return match.group(1)


def _invite(client, world, mailoutbox, email="eve@boulangerie-alice.lab", role=Role.MEMBER):
    otp_login(client, world.alice)
    response = client.post(_invite_url(world), {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:2000]
    return _link_from(mailoutbox[-1])


def test_the_owner_invites_and_only_a_hash_of_the_link_is_stored(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox)

    invitation = Invitation.objects.get()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert mailoutbox[0].to == ["eve@boulangerie-alice.lab"]
    assert "Boulangerie Alice" in mailoutbox[0].subject
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_SENT)
    assert event.organisation == world.org_a and token not in str(event.detail)
    page = client.get(f"/account/o/{world.org_a.pk}/members/").content.decode()
    assert "eve@boulangerie-alice.lab" in page  # listed as pending


def test_a_new_person_creates_an_account_from_the_link_and_joins(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox)
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    visitor.cookies["django_language"] = "en"

    page = visitor.get(link)
    assert page.status_code == 200 and "Boulangerie Alice" in page.content.decode()
    response = visitor.post(
        link, {"full_name": "Eve Durand", "password": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    eve = User.objects.get(email="eve@boulangerie-alice.lab")
    assert Membership.objects.get(user=eve, organisation=world.org_a).role == Role.MEMBER
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.INVITATION_ACCEPTED, actor=eve, organisation=world.org_a
    ).exists()
    assert int(visitor.session["_auth_user_id"]) == eve.pk


def test_a_weak_password_on_the_invitation_page_gets_a_field_message(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox)
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = visitor.post(link, {"full_name": "Eve", "password": "short", "password2": "short"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="eve@boulangerie-alice.lab").exists()


def test_an_existing_user_invited_as_provider_gains_the_organisation(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox, email=world.charlie.email, role=Role.PROVIDER)
    charlie = Client(HTTP_ACCEPT_LANGUAGE="en")
    charlie.cookies["django_language"] = "en"

    page = charlie.get(link)
    assert "Log in to accept" in page.content.decode()  # an account exists: no sign-up form
    otp_login(charlie, world.charlie)
    assert charlie.get(link).status_code == 200
    assert charlie.post(link).status_code == 302

    roles = dict(
        Membership.objects.filter(user=world.charlie).values_list("organisation__name", "role")
    )
    assert roles == {"Garage Charlie": Role.OWNER, "Boulangerie Alice": Role.PROVIDER}


def test_a_link_works_only_once(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox, email=world.charlie.email)
    charlie = Client(HTTP_ACCEPT_LANGUAGE="en")
    charlie.cookies["django_language"] = "en"
    otp_login(charlie, world.charlie)
    assert charlie.post(link).status_code == 302

    again = charlie.post(link)

    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ACCEPTED).count() == 1


def test_an_expired_link_is_refused_with_a_clear_message(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox, email=world.charlie.email)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    otp_login(client, world.charlie)

    response = client.post(link)

    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not Membership.objects.filter(user=world.charlie, organisation=world.org_a).exists()


def test_a_link_opened_by_another_account_does_not_let_it_in(client, world, mailoutbox):
    link = _invite(client, world, mailoutbox, email="eve@boulangerie-alice.lab")
    otp_login(client, world.charlie)

    response = client.post(link)

    assert response.status_code == 403
    assert "another e-mail address" in response.content.decode()
    assert not Membership.objects.filter(user=world.charlie, organisation=world.org_a).exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_unknown_link_is_a_404_with_a_message(client, db):
    response = client.get("/account/invite/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_new_invitation_retires_the_pending_one(client, world, mailoutbox):
    first = _invite(client, world, mailoutbox)
    second = _invite(client, world, mailoutbox)

    assert Client(HTTP_ACCEPT_LANGUAGE="en").get(first).status_code == 410
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get(second).status_code == 200


@pytest.mark.parametrize(("user", "status"), [("bob", 403), ("dave", 403), ("charlie", 404)])
def test_only_an_owner_may_invite(client, world, mailoutbox, user, status):
    otp_login(client, getattr(world, user))
    response = client.post(_invite_url(world), {"email": "x@y.lab", "role": Role.OWNER})
    assert response.status_code == status
    assert not Invitation.objects.exists() and not mailoutbox


def test_inviting_a_member_again_or_a_bad_address_gets_a_field_message(client, world, mailoutbox):
    otp_login(client, world.alice)
    again = client.post(_invite_url(world), {"email": world.bob.email, "role": Role.MEMBER})
    bad = client.post(_invite_url(world), {"email": "not an address", "role": Role.MEMBER})
    assert again.status_code == bad.status_code == 400
    assert [e.code for e in again.context["invite_form"].errors.as_data()["email"]] == ["member"]
    assert "email" in bad.context["invite_form"].errors
    assert not mailoutbox


def test_a_mail_failure_leaves_no_usable_invitation(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: nothing listens
    with pytest.raises(ValidationError, match="could not be sent"):
        do_invite(world.org_a, "eve@boulangerie-alice.lab", Role.MEMBER, world.alice)
    assert not Invitation.objects.exists()
