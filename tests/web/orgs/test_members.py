"""Members and roles: the owner changes roles and removes people; the last owner stays."""

from __future__ import annotations

import pytest

from rempart.web.orgs.models import AuditAction, AuditEvent, Membership, Role
from tests.web.conftest import make_user, otp_login


def _membership(world, user):
    return Membership.objects.get(user=user, organisation=world.org_a)


def _role_url(world, membership):
    return f"/account/o/{world.org_a.pk}/members/{membership.pk}/role/"


def _remove_url(world, membership):
    return f"/account/o/{world.org_a.pk}/members/{membership.pk}/remove/"


@pytest.mark.parametrize("reader", ["alice", "bob", "dave", "olga"])
def test_everyone_of_the_organisation_sees_its_members_and_roles(client, world, reader):
    otp_login(client, getattr(world, reader))

    response = client.get(f"/account/o/{world.org_a.pk}/members/")

    assert response.status_code == 200
    body = response.content.decode()
    for email in (world.alice.email, world.bob.email, world.dave.email):
        assert email in body
    assert "IT provider" in body and "Member (read only)" in body
    assert ("Send the invitation" in body) is (reader == "alice")  # only the owner manages


def test_charlie_gets_404_on_the_members_of_a(client, world):
    otp_login(client, world.charlie)
    assert client.get(f"/account/o/{world.org_a.pk}/members/").status_code == 404


def test_the_owner_changes_a_role_and_it_is_audited(client, world):
    otp_login(client, world.alice)
    bob = _membership(world, world.bob)

    response = client.post(_role_url(world, bob), {"role": Role.PROVIDER})

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.role == Role.PROVIDER
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.actor == world.alice and event.organisation == world.org_a
    assert event.detail == {"email": world.bob.email, "old": "member", "new": "provider"}


@pytest.mark.parametrize(("user", "status"), [("bob", 403), ("dave", 403), ("charlie", 404)])
def test_others_cannot_change_roles_or_remove_members(client, world, user, status):
    otp_login(client, getattr(world, user))
    alice = _membership(world, world.alice)

    assert client.post(_role_url(world, alice), {"role": Role.MEMBER}).status_code == status
    assert client.post(_remove_url(world, alice)).status_code == status
    alice.refresh_from_db()
    assert alice.role == Role.OWNER
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.ROLE_CHANGED, AuditAction.MEMBER_REMOVED]
    ).exists()


def test_a_member_id_of_another_organisation_is_a_404(client, world):
    otp_login(client, world.alice)
    charlie = Membership.objects.get(user=world.charlie)
    assert client.post(_role_url(world, charlie), {"role": Role.MEMBER}).status_code == 404
    assert client.post(_remove_url(world, charlie)).status_code == 404
    assert Membership.objects.filter(pk=charlie.pk, role=Role.OWNER).exists()


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, world):
    otp_login(client, world.alice)
    alice = _membership(world, world.alice)

    demote = client.post(_role_url(world, alice), {"role": Role.MEMBER}, follow=True)
    remove = client.post(_remove_url(world, alice), follow=True)

    assert "The last owner cannot be demoted" in demote.content.decode()
    assert "The last owner cannot be removed" in remove.content.decode()
    alice.refresh_from_db()
    assert alice.role == Role.OWNER


def test_with_a_second_owner_the_first_may_step_down(client, world):
    otp_login(client, world.alice)
    bob = _membership(world, world.bob)
    client.post(_role_url(world, bob), {"role": Role.OWNER})

    client.post(_role_url(world, _membership(world, world.alice)), {"role": Role.MEMBER})

    assert _membership(world, world.alice).role == Role.MEMBER
    assert _membership(world, world.bob).role == Role.OWNER


def test_the_owner_removes_a_member_who_then_sees_nothing_of_a(client, world):
    otp_login(client, world.alice)
    bob = _membership(world, world.bob)

    assert client.post(_remove_url(world, bob)).status_code == 302

    assert not Membership.objects.filter(pk=bob.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_REMOVED)
    assert event.detail == {"email": world.bob.email, "role": "member"}
    otp_login(client, world.bob)
    assert client.get(f"/account/o/{world.org_a.pk}/members/").status_code == 404


def test_an_unknown_role_is_refused_with_a_message(client, world):
    otp_login(client, world.alice)
    bob = _membership(world, world.bob)
    response = client.post(_role_url(world, bob), {"role": "god"}, follow=True)
    assert response.status_code == 200
    assert "valid choice" in response.content.decode()
    bob.refresh_from_db()
    assert bob.role == Role.MEMBER


def test_the_members_page_stays_at_a_few_queries_with_many_members(
    client, world, django_assert_max_num_queries
):
    for n in range(60):
        user = make_user(f"staff{n}@boulangerie-alice.lab")
        Membership.objects.create(user=user, organisation=world.org_a, role=Role.MEMBER)
    otp_login(client, world.alice)
    with django_assert_max_num_queries(8):
        response = client.get(f"/account/o/{world.org_a.pk}/members/")
    assert response.content.decode().count("staff") >= 60
