"""The audit log page: the owner and center analysts read it; members, providers and
outsiders get 404."""

from __future__ import annotations

import pytest

from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.conftest import otp_login


def _url(org):
    return f"/account/o/{org.pk}/audit/"


@pytest.fixture
def events(world):
    audit(AuditAction.ASSET_ADDED, actor=world.alice, organisation=world.org_a, name="first.lab")
    audit(AuditAction.ASSET_VERIFIED, actor=world.dave, organisation=world.org_a, name="later.lab")
    audit(AuditAction.ASSET_ADDED, actor=world.charlie, organisation=world.org_b, name="b.lab")


@pytest.mark.parametrize(
    ("reader", "status"),
    [("alice", 200), ("olga", 200), ("bob", 404), ("dave", 404), ("charlie", 404)],
)
def test_who_may_read_the_log_of_a(client, world, events, reader, status):
    otp_login(client, getattr(world, reader))
    assert client.get(_url(world.org_a)).status_code == status


def test_the_log_shows_the_organisations_events_newest_first_and_nothing_else(
    client, world, events
):
    otp_login(client, world.alice)
    body = client.get(_url(world.org_a)).content.decode()

    assert body.index("later.lab") < body.index("first.lab")
    assert "Control of the asset proven" in body  # the action's label, not its code
    assert "b.lab" not in body and world.charlie.email not in body


def test_the_log_is_paginated_with_few_queries(client, world, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(
        AuditEvent(action=AuditAction.LOGIN, organisation=world.org_a, actor_label=f"n{n}@x.lab")
        for n in range(120)
    )
    otp_login(client, world.alice)
    with django_assert_max_num_queries(8):
        first = client.get(_url(world.org_a))
    assert first.content.decode().count("@x.lab") == 50
    last = client.get(_url(world.org_a) + "?page=3")
    assert last.content.decode().count("@x.lab") == 20
    assert client.get(_url(world.org_a) + "?page=junk").status_code == 200
