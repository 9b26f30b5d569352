"""People and businesses of the platform tests (style rule 11).

alice owns Boulangerie Alice (org A), bob is a read-only member of it, charlie owns another
business (org B) and must get 404 on everything of A; dave is the IT provider of both A and
B; olga is a center analyst (TOTP enrolled).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
import pytest
from django.utils import timezone

from rempart.web.assets.models import Asset, AssetKind
from rempart.web.orgs.models import Membership, Organisation, Role, StaffRole, User

PASSWORD = "correct horse battery staple 42"
SIREN_A = "732829320"  # valid Luhn keys
SIREN_B = "552100554"


@dataclass
class World:
    alice: User
    bob: User
    charlie: User
    dave: User
    olga: User
    org_a: Organisation
    org_b: Organisation
    asset_a: Asset
    asset_b: Asset


def make_user(email: str, **extra: object) -> User:
    return User.objects.create_user(username=email, email=email, password=PASSWORD, **extra)


@pytest.fixture
def world(db) -> World:
    alice = make_user("alice@boulangerie-alice.lab")
    bob = make_user("bob@boulangerie-alice.lab")
    charlie = make_user("charlie@garage-charlie.lab")
    dave = make_user("dave@infogerance.lab")
    olga = make_user(
        "olga@centre.lab",
        staff_role=StaffRole.ANALYST,
        totp_secret=pyotp.random_base32(),
        totp_confirmed_at=timezone.now(),
    )
    org_a = Organisation.objects.create(
        name="Boulangerie Alice", siren=SIREN_A, naf="10.71C", headcount="1-9", departement="35"
    )
    org_b = Organisation.objects.create(
        name="Garage Charlie", siren=SIREN_B, naf="45.20A", headcount="10-49", departement="29"
    )
    Membership.objects.create(user=alice, organisation=org_a, role=Role.OWNER)
    Membership.objects.create(user=bob, organisation=org_a, role=Role.MEMBER)
    Membership.objects.create(user=charlie, organisation=org_b, role=Role.OWNER)
    Membership.objects.create(user=dave, organisation=org_a, role=Role.PROVIDER)
    Membership.objects.create(user=dave, organisation=org_b, role=Role.PROVIDER)
    asset_a = Asset.objects.create(
        organisation=org_a, kind=AssetKind.DOMAIN, name="boulangerie-alice.lab"
    )
    asset_b = Asset.objects.create(
        organisation=org_b, kind=AssetKind.DOMAIN, name="garage-charlie.lab"
    )
    return World(alice, bob, charlie, dave, olga, org_a, org_b, asset_a, asset_b)


def otp_login(client, user: User) -> None:
    """Log a user in through the test client, with the two-factor step already passed."""
    from rempart.web.orgs.middleware import OTP_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[OTP_SESSION_KEY] = True
    session.save()


@pytest.fixture
def lab_settings(lab, settings):
    """Point the platform at the running lab: its DNS server (already the default of the test
    settings) and its CA, so that lab certificates are trusted like public ones."""
    settings.REMPART_LAB = True
    settings.REMPART_RESOLVER = f"{lab.resolver[0]}:{lab.resolver[1]}"
    settings.REMPART_CA_FILE = str(lab.ca_file)
    return lab
