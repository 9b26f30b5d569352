"""The center's signing key, from REMPART_SIGNING_KEY_FILE (created on first use)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from rempart.attestation import keyring, load_or_create_private_key, public_pem


@cache
def _key_at(path: Path) -> Ed25519PrivateKey:
    return load_or_create_private_key(path)


def center_key() -> Ed25519PrivateKey:
    return _key_at(Path(settings.REMPART_SIGNING_KEY_FILE))


def center_public_key() -> Ed25519PublicKey:
    return center_key().public_key()


def center_keyring() -> dict[str, Ed25519PublicKey]:
    return keyring(center_public_key())


def center_public_pem() -> bytes:
    return public_pem(center_public_key())
