"""Signing and verifying attestations: a valid document verifies; any change is detected."""

from __future__ import annotations

import base64
import copy
import io
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rempart.attestation import (
    ATTACHMENT_NAME,
    BAD_SIGNATURE,
    FORMAT,
    MALFORMED,
    UNKNOWN_KEY,
    VALID,
    WRONG_FORMAT,
    canonical_json,
    document_from_bytes,
    key_id_of,
    keyring,
    load_or_create_private_key,
    load_public_key,
    public_pem,
    sign,
    verify,
)

PAYLOAD = {
    "serial": "7f0c3a52-7d0c-4d55-9d7e-4b8f0f3b2a10",
    "organisation": {"name": "Boulangerie Alice", "siren": "732829320"},
    "grade": {"letter": "C", "score": 61},
    "maturity": {"index": 2.4, "level": "fragile"},
    "open_findings": {"critical": 1, "high": 1},
    "note": "Café crème à 2 €",
}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_signed_document_verifies_with_the_centers_key(key):
    document = sign(PAYLOAD, key)
    assert document["format"] == FORMAT
    assert document["key_id"] == key_id_of(key.public_key())
    assert len(document["key_id"]) == 16
    result = verify(json.dumps(document).encode(), keyring(key.public_key()))
    assert (result.valid, result.reason) == (True, VALID)
    assert result.payload == PAYLOAD


def test_a_changed_grade_is_detected(key):
    document = sign(PAYLOAD, key)
    forged = copy.deepcopy(document)
    forged["payload"]["grade"]["letter"] = "A"
    result = verify(forged, keyring(key.public_key()))
    assert (result.valid, result.reason) == (False, BAD_SIGNATURE)
    assert result.payload["grade"]["letter"] == "A"  # what it claims, for the page to show


def test_one_changed_byte_of_the_signature_is_detected(key):
    document = sign(PAYLOAD, key)
    raw = bytearray(base64.b64decode(document["signature"]))
    raw[10] ^= 0x01
    document["signature"] = base64.b64encode(bytes(raw)).decode()
    assert verify(document, keyring(key.public_key())).reason == BAD_SIGNATURE


def test_a_document_signed_by_another_key_is_an_unknown_key(key):
    other = Ed25519PrivateKey.generate()
    document = sign(PAYLOAD, other)
    assert verify(document, keyring(key.public_key())).reason == UNKNOWN_KEY


def test_another_key_claiming_the_centers_key_id_is_a_bad_signature(key):
    other = Ed25519PrivateKey.generate()
    document = sign(PAYLOAD, other)
    document["key_id"] = key_id_of(key.public_key())
    assert verify(document, keyring(key.public_key())).reason == BAD_SIGNATURE


def test_garbage_and_wrong_formats_are_told_apart(key):
    ring = keyring(key.public_key())
    assert verify(b"not json", ring).reason == MALFORMED
    assert verify(b"[1, 2]", ring).reason == MALFORMED
    assert verify(b"\xff\xfe", ring).reason == MALFORMED
    assert verify({"payload": {}, "key_id": "x"}, ring).reason == MALFORMED
    document = sign(PAYLOAD, key)
    document["format"] = "rempart-attestation/0"
    assert verify(document, ring).reason == WRONG_FORMAT
    document = sign(PAYLOAD, key)
    document["signature"] = "***not base64***"
    assert verify(document, ring).reason == BAD_SIGNATURE


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_the_key_file_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "keys" / "center.pem"
    first = load_or_create_private_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_private_key(path)
    assert key_id_of(first.public_key()) == key_id_of(again.public_key())
    published = load_public_key(public_pem(first.public_key()))
    assert key_id_of(published) == key_id_of(first.public_key())


def test_the_attestation_is_found_in_a_pdf_attachment(key):
    from weasyprint import HTML, Attachment

    document = sign(PAYLOAD, key)
    data = json.dumps(document).encode()
    pdf = HTML(string="<p>report</p>").write_pdf(
        attachments=[Attachment(file_obj=io.BytesIO(data), name=ATTACHMENT_NAME)]
    )
    found = document_from_bytes(pdf)
    assert found is not None
    assert verify(found, keyring(key.public_key())).valid
    assert document_from_bytes(HTML(string="<p>no attachment</p>").write_pdf()) is None
    assert document_from_bytes(b"%PDF-1.7 broken") is None


def test_workers_creating_the_key_at_once_all_get_the_same_one(tmp_path):
    # Eight threads race to create the center's key: one is kept, every caller signs with it,
    # and no temporary file is left behind.
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "keys" / "center.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _n: load_or_create_private_key(path), range(8)))
    raw = {public_pem(k.public_key()) for k in keys}
    assert raw == {public_pem(load_or_create_private_key(path).public_key())}
    assert [p.name for p in path.parent.iterdir()] == ["center.pem"]
