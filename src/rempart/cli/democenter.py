"""The demo center: the lab's businesses as organisations of the platform, with proven control.

Called by ``rempart demo`` once Django is configured for the demo's data folder. Everything
goes through the platform's services, as a real sign-up would: each business publishes the
TXT record the platform asks for on the lab's DNS, and the platform checks it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from rempart.lab.control import publish_txt
from rempart.lab.profiles import Business
from rempart.web.assets.models import Asset, AssetKind
from rempart.web.assets.services import prove_many, record_proof
from rempart.web.orgs.models import Membership, Organisation, Role, StaffRole, User
from rempart.web.orgs.siren import luhn_ok

# NAF rév. 2 codes of the lab's trades (INSEE).
NAF_BY_TRADE = {
    "boulangerie": "10.71C",
    "garage": "45.20A",
    "cabinet-comptable": "69.20Z",
    "pharmacie": "47.73Z",
    "menuiserie": "16.23Z",
    "fromagerie": "47.29Z",
    "agence-immo": "68.31Z",
    "plomberie": "43.22A",
    "cave-cooperative": "11.02B",
    "imprimerie": "18.12Z",
    "transports": "49.41A",
    "cabinet-avocats": "69.10Z",
    "clinique-veto": "75.00Z",
    "hotel": "55.10Z",
    "librairie": "47.61Z",
    "architecte": "71.11Z",
    "electricite": "43.21A",
    "auto-ecole": "85.53Z",
    "opticien": "47.78A",
    "traiteur": "56.21Z",
}
# Occitanie, the region of the original project (shared/seed).
DEPARTEMENTS = ("31", "34", "30", "66", "11", "81", "82", "12", "46", "32", "65", "09", "48")
HEADCOUNTS = ("1-9", "10-49", "1-9", "50-249", "10-49")


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    note: str


def demo_siren(index: int) -> str:
    """A deterministic SIREN with a valid Luhn key, in a range INSEE does not allocate (9…)."""
    base = f"9{index:07d}"
    for key in range(10):
        if luhn_ok(base + str(key)):
            return base + str(key)
    raise AssertionError("a Luhn key always exists")


def _trade(business: Business) -> str:
    return business.slug.rsplit("-", 1)[0]


def create_center(businesses: list[Business]) -> tuple[list[Asset], list[Login]]:
    """Organisations, owners and verified domain assets; returns the assets and demo logins."""
    password = secrets.token_urlsafe(9)
    assets: list[Asset] = []
    for b in businesses:
        org, _ = Organisation.objects.get_or_create(
            siren=demo_siren(b.index),
            defaults={
                "name": b.name,
                "naf": NAF_BY_TRADE.get(_trade(b), "62.01Z"),
                "headcount": HEADCOUNTS[b.index % len(HEADCOUNTS)],
                "departement": DEPARTEMENTS[b.index % len(DEPARTEMENTS)],
            },
        )
        owner = _user(f"dirigeant@{b.domain}", password)
        Membership.objects.get_or_create(
            user=owner, organisation=org, defaults={"role": Role.OWNER}
        )
        asset, _ = Asset.objects.get_or_create(
            organisation=org, kind=AssetKind.DOMAIN, name=b.domain
        )
        assets.append(asset)
    provider = _user("prestataire@infogerance-occitanie.lab", password)
    for asset in assets[:5]:
        Membership.objects.get_or_create(
            user=provider, organisation_id=asset.organisation_id, defaults={"role": Role.PROVIDER}
        )
    _user("analyste@centre-cyber-occitanie.lab", password, staff_role=StaffRole.ANALYST)
    logins = [
        Login(f"dirigeant@{businesses[0].domain}", password, "owner of " + businesses[0].name),
        Login("prestataire@infogerance-occitanie.lab", password, "IT provider of 5 businesses"),
        Login(
            "analyste@centre-cyber-occitanie.lab",
            password,
            "center analyst: enrols a TOTP app at first log-in",
        ),
    ]
    return assets, logins


def _user(email: str, password: str, **extra: object) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(username=email, email=email, password=password, **extra)
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def prove_control(assets: list[Asset], dns_server: tuple[str, int]) -> int:
    """Each business publishes its token on the lab DNS; the platform checks. Returns verified."""
    for asset in assets:
        publish_txt(asset.txt_name, asset.txt_value, server=dns_server)
    proofs = prove_many(assets)
    return sum(
        record_proof(asset, proof, None, reason="demo")
        for asset, proof in zip(assets, proofs, strict=True)
    )
