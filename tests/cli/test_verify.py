"""``rempart verify``: 0 valid, 1 invalid (tampered, other key), 2 unreadable."""

from __future__ import annotations

import copy
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rempart.attestation import ATTACHMENT_NAME, public_pem, sign
from rempart.cli.main import main

PAYLOAD = {
    "serial": "0d9f5ad1-8d64-4a43-9a38-8f0e1ac2b7c4",
    "organisation": {"name": "Garage Charlie", "siren": "552100554"},
    "grade": {"letter": "B", "score": 82},
    "checked": {
        "assets": [{"name": "garage-charlie.lab", "last_scan": "2026-11-20", "checks": ["dns"]}]
    },
}


@pytest.fixture
def signed(tmp_path):
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "center.pem"
    key_file.write_bytes(public_pem(key.public_key()))
    document = sign(PAYLOAD, key)
    path = tmp_path / "attestation.json"
    path.write_text(json.dumps(document))
    return document, path, key_file


def test_a_valid_attestation_prints_its_facts_and_exits_0(signed, capsys):
    _document, path, key_file = signed
    assert main(["verify", str(path), "--key", str(key_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("valid") and "Garage Charlie" in out and "garage-charlie.lab" in out


def test_a_changed_grade_exits_1(signed, tmp_path, capsys):
    document, _path, key_file = signed
    forged = copy.deepcopy(document)
    forged["payload"]["grade"]["letter"] = "A"
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    assert main(["verify", str(path), "--key", str(key_file)]) == 1
    assert "tampered" in capsys.readouterr().out


def test_another_key_exits_1(signed, tmp_path, capsys):
    _document, path, _key_file = signed
    other = tmp_path / "other.pem"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert main(["verify", str(path), "--key", str(other), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "unknown_key"


def test_the_pdf_is_read_through_its_attachment(signed, tmp_path):
    from weasyprint import HTML, Attachment

    document, _path, key_file = signed
    pdf = tmp_path / "report.pdf"
    data = json.dumps(document).encode()
    HTML(string="<p>report</p>").write_pdf(
        pdf, attachments=[Attachment(file_obj=io.BytesIO(data), name=ATTACHMENT_NAME)]
    )
    assert main(["verify", str(pdf), "--key", str(key_file)]) == 0


def test_unreadable_input_exits_2(signed, tmp_path, capsys):
    _document, path, key_file = signed
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\x01 not json")
    assert main(["verify", str(garbage), "--key", str(key_file)]) == 2
    assert main(["verify", str(tmp_path / "missing.json"), "--key", str(key_file)]) == 2
    assert main(["verify", str(path), "--key", str(garbage)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "rempart verify:" in err


def test_the_local_centers_key_is_the_default(tmp_path, monkeypatch, capsys):
    from rempart.attestation import load_or_create_private_key

    key_file = tmp_path / "local-center.pem"
    monkeypatch.setenv("REMPART_SIGNING_KEY_FILE", str(key_file))
    monkeypatch.setenv("REMPART_DATA_DIR", str(tmp_path))
    key = load_or_create_private_key(key_file)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(sign(PAYLOAD, key)))
    from django.conf import settings

    monkeypatch.setattr(settings, "REMPART_SIGNING_KEY_FILE", key_file, raising=False)
    assert main(["verify", str(path)]) == 0
