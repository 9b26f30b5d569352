"""``rempart verify FILE [--key PUBLIC.pem]``: check a signed attestation, offline.

FILE is the attestation's JSON or the report PDF that embeds it. The key is the one given,
else the local center's (REMPART_SIGNING_KEY_FILE, as the platform's settings find it).
Exit status: 0 valid, 1 invalid (tampered, unknown key, wrong format), 2 unreadable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from rempart.attestation import (
    MAX_DOCUMENT_BYTES,
    VALID,
    Verification,
    document_from_bytes,
    keyring,
    load_public_key,
    verify,
)

MAX_FILE_BYTES = 64 * 1024 * 1024
REASONS = {
    VALID: "valid: signed by the center, unchanged since",
    "bad_signature": "INVALID: the attestation was changed after signing (tampered)",
    "unknown_key": "INVALID: signed with a key that is not the one given",
    "wrong_format": "INVALID: not a rempart-attestation/1 document",
    "malformed": "INVALID: not a readable attestation",
}


def add_parser(commands: Any) -> None:
    p = commands.add_parser("verify", help="check a signed attestation (JSON or report PDF)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--key",
        type=Path,
        default=None,
        help="the center's public key (PEM); default: the local center's signing key",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_verify)


def _local_key_file() -> Path:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rempart.web.settings")
    from django.conf import settings

    return Path(settings.REMPART_SIGNING_KEY_FILE)


def _fail(message: str) -> int:
    print(f"rempart verify: {message}", file=sys.stderr)
    return 2


def run_verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return _fail(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {path}: {exc.strerror or exc}")
    document = document_from_bytes(data)
    if document is None:
        return _fail(f"{path} is a PDF without a rempart attestation, or a damaged PDF")
    if len(document) > MAX_DOCUMENT_BYTES:
        return _fail(f"{path}: the attestation is too large to be one")
    key_file = args.key or _local_key_file()
    try:
        key = load_public_key(key_file.read_bytes())
    except OSError as exc:
        return _fail(f"cannot read the key {key_file}: {exc.strerror or exc}")
    except ValueError as exc:
        return _fail(f"{key_file} is not an Ed25519 key in PEM ({exc})")
    result = verify(document, keyring(key))
    if result.reason == "malformed":
        return _fail(f"{path} is not a readable attestation")
    _print(result, args.json)
    return 0 if result.valid else 1


def _print(result: Verification, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {"valid": result.valid, "reason": result.reason, "payload": result.payload},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    print(REASONS.get(result.reason, result.reason))
    p: dict[str, Any] = dict(result.payload)
    org = p.get("organisation") or {}
    grade = p.get("grade") or {}
    maturity = p.get("maturity") or {}
    lines = [
        ("serial", p.get("serial")),
        ("key id", result.key_id),
        ("organisation", f"{org.get('name', '')} (SIREN {org.get('siren', '')})"),
        ("issued at", p.get("issued_at")),
        ("grade", f"{grade.get('letter') or 'none'} (score {grade.get('score')})"),
        ("maturity", f"{maturity.get('index')} ({maturity.get('level')})" if maturity else "none"),
        ("open findings", p.get("open_findings")),
        ("red flags", p.get("red_flags")),
        ("report sha256", (p.get("report") or {}).get("content_sha256")),
    ]
    for label, value in lines:
        print(f"  {label:<14} {value}")
    for asset in (p.get("checked") or {}).get("assets") or ():
        if isinstance(asset, dict):
            checks = ", ".join(str(c) for c in asset.get("checks") or ())
            print(f"  checked        {asset.get('name')} — {asset.get('last_scan')} [{checks}]")
