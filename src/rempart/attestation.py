"""Signed attestations of an assessment: canonical JSON signed with the center's Ed25519 key.

Plain Python (no Django): the platform signs, and ``rempart verify`` checks a document, a
PDF that embeds one, or a document sent to the public page, with the same code.

A document is ``{"format": "rempart-attestation/1", "payload": {...}, "key_id": "...",
"signature": "<base64>"}``. The signature covers the canonical JSON of ``{"format",
"key_id", "payload"}`` (keys sorted, no spaces, UTF-8), so changing any fact, the key id or
the format breaks it. ``key_id`` is the first 16 hex digits of the SHA-256 of the raw
public key: a verifier picks the key by id and says "unknown key" rather than "tampered"
when the document was signed by a key it does not know.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "rempart-attestation/1"
ATTACHMENT_NAME = "rempart-attestation.json"  # its name inside the PDF it accompanies
MAX_DOCUMENT_BYTES = 1024 * 1024

# Reasons of a verification, stable strings a caller can translate or test.
VALID = "valid"
MALFORMED = "malformed"
WRONG_FORMAT = "wrong_format"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True, slots=True)
class Verification:
    valid: bool
    reason: str  # one of VALID, MALFORMED, WRONG_FORMAT, UNKNOWN_KEY, BAD_SIGNATURE
    payload: Mapping[str, Any] = field(default_factory=dict)  # as found, even when invalid
    key_id: str = ""


def canonical_json(value: Any) -> bytes:
    """The one byte form that is signed: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


def _signed_part(payload: Mapping[str, Any], key_id: str, format: str = FORMAT) -> bytes:
    return canonical_json({"format": format, "key_id": key_id, "payload": payload})


def sign(payload: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed document of ``payload`` (which must be JSON: str, numbers, lists, dicts)."""
    key_id = key_id_of(key.public_key())
    signature = key.sign(_signed_part(payload, key_id))
    return {
        "format": FORMAT,
        "payload": dict(payload),
        "key_id": key_id,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def parse_document(document: bytes | str | Mapping[str, Any]) -> dict[str, Any] | None:
    """The document as a dict, or None when it is not a JSON object."""
    if isinstance(document, Mapping):
        return dict(document)
    if len(document) > MAX_DOCUMENT_BYTES:
        return None
    try:
        value = json.loads(document)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def verify(
    document: bytes | str | Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]
) -> Verification:
    """Check a document against the keys the verifier trusts (key id -> public key)."""
    parsed = parse_document(document)
    if parsed is None:
        return Verification(False, MALFORMED)
    payload = parsed.get("payload")
    key_id = parsed.get("key_id")
    signature = parsed.get("signature")
    if not isinstance(payload, dict) or not isinstance(key_id, str):
        return Verification(False, MALFORMED)
    if not isinstance(signature, str):
        return Verification(False, MALFORMED, payload, key_id)
    if parsed.get("format") != FORMAT:
        return Verification(False, WRONG_FORMAT, payload, key_id)
    key = public_keys.get(key_id)
    if key is None:
        return Verification(False, UNKNOWN_KEY, payload, key_id)
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, _signed_part(payload, key_id))
    except (binascii.Error, ValueError, InvalidSignature):
        return Verification(False, BAD_SIGNATURE, payload, key_id)
    return Verification(True, VALID, payload, key_id)


# -- keys -----------------------------------------------------------------------------------


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The center's private key at ``path`` (PEM, PKCS#8), created with mode 0600 if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole under a private name (mode 0600 from its creation, never readable by
        # others), then linked into place: link fails if the key exists, so two workers
        # creating it at once keep one of them, and nobody ever reads a half-written key.
        spare = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(spare, path)
        except FileExistsError:
            pass
        else:
            return key
        finally:
            spare.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return loaded


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (a private key PEM gives its public half)."""
    if b"PRIVATE KEY" in data:
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 key")
        return private.public_key()
    public = serialization.load_pem_public_key(data)
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("not an Ed25519 key")
    return public


def keyring(*keys: Ed25519PublicKey) -> dict[str, Ed25519PublicKey]:
    return {key_id_of(key): key for key in keys}


# -- PDF ------------------------------------------------------------------------------------


def document_from_pdf(data: bytes) -> bytes | None:
    """The attestation embedded in a PDF (its attachment ``ATTACHMENT_NAME``), or None."""
    import pypdfium2  # only the PDF path needs it

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return None
    try:
        for index in range(pdf.count_attachments()):
            attachment = pdf.get_attachment(index)
            if attachment.get_name() == ATTACHMENT_NAME:
                return bytes(attachment.get_data())
    finally:
        pdf.close()
    return None


def document_from_bytes(data: bytes) -> bytes | None:
    """The attestation JSON in ``data``: the bytes themselves, or a PDF's attachment."""
    if data.startswith(b"%PDF-"):
        return document_from_pdf(data)
    return data
