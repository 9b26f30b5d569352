"""The Django admin lists people and organisations; the audit log there is read-only."""

from __future__ import annotations

import pytest

from rempart.web.orgs.models import AuditAction, AuditEvent, StaffRole, User
from tests.web.conftest import make_user, otp_login
from tests.web.orgs.conftest import enrol_totp


@pytest.fixture
def admin_client(client, world):
    root = make_user(
        "root@centre.lab", is_staff=True, is_superuser=True, staff_role=StaffRole.ADMIN
    )
    enrol_totp(root)
    otp_login(client, root)
    return client


@pytest.mark.parametrize(
    "page",
    [
        "/admin/orgs/user/",
        "/admin/orgs/user/add/",
        "/admin/orgs/organisation/",
        "/admin/orgs/membership/",
        "/admin/orgs/invitation/",
        "/admin/orgs/auditevent/",
    ],
)
def test_admin_pages_open(admin_client, page):
    assert admin_client.get(page).status_code == 200


def test_the_admin_creates_a_user_by_email(admin_client):
    response = admin_client.post(
        "/admin/orgs/user/add/",
        {
            "email": "new@centre.lab",
            "usable_password": "true",
            "password1": "a long enough pass phrase 9",
            "password2": "a long enough pass phrase 9",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="new@centre.lab")
    assert user.username and user.check_password("a long enough pass phrase 9")


def test_audit_events_cannot_be_changed_or_deleted(admin_client, world):
    event = AuditEvent.objects.create(action=AuditAction.LOGIN, actor_label="x@y.lab")
    page = admin_client.get(f"/admin/orgs/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(f"/admin/orgs/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
