"""Turn each tool's report into the (domain, check id) failures it found.

Pure functions over the tools' own output formats, unit-tested in tests/bench/. Each peer
is judged only on the check ids it covers (``*_IDS``); bench/recall.py scores them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from recall import Finding

SSLYZE_IDS = frozenset(
    {
        "tls.protocol.sslv2",
        "tls.protocol.sslv3",
        "tls.protocol.tls10",
        "tls.protocol.tls11",
        "tls.protocol.no_tls13",
        "tls.cipher.weak",
        "tls.cipher.no_forward_secrecy",
        "tls.cert.expired",
        "tls.cert.not_yet_valid",
        "tls.cert.expiring",
        "tls.cert.hostname_mismatch",
        "tls.cert.untrusted",
        "tls.cert.weak_key",
        "tls.cert.weak_signature",
        "tls.vuln.heartbleed",
        "tls.vuln.robot",
        "tls.vuln.ccs_injection",
        "tls.compression",
        "tls.renegotiation.insecure",
    }
)
NMAP_IDS = frozenset(
    {
        "net.exposed.smb",
        "net.exposed.rdp",
        "net.exposed.telnet",
        "net.exposed.ftp",
        "net.exposed.database",
        "net.exposed.vnc",
        "net.exposed.winrm",
    }
)
CHECKDMARC_IDS = frozenset(
    {
        "mail.mx",
        "mail.spf.missing",
        "mail.spf.invalid",
        "mail.spf.permissive",
        "mail.dmarc.missing",
        "mail.dmarc.invalid",
        "mail.dmarc.policy_none",
        "mail.dmarc.no_reporting",
    }
)

PORT_IDS = {
    21: "net.exposed.ftp",
    23: "net.exposed.telnet",
    139: "net.exposed.smb",
    445: "net.exposed.smb",
    3389: "net.exposed.rdp",
    5900: "net.exposed.vnc",
    5985: "net.exposed.winrm",
    5986: "net.exposed.winrm",
    **{p: "net.exposed.database" for p in (1433, 1521, 3306, 5432, 5984, 6379, 9200, 11211, 27017)},
}
_WEAK_MARKERS = ("RC4", "_DES_", "3DES", "NULL", "EXPORT", "_anon_", "DES40", "DES_CBC")


def nmap_findings(xml_text: str, domain_of: dict[str, str]) -> set[Finding]:
    """Open ports of ``nmap -oX`` output, mapped to exposure ids."""
    found: set[Finding] = set()
    root = ET.fromstring(xml_text)
    for host in root.iter("host"):
        address = host.find("address")
        if address is None or address.get("addr") not in domain_of:
            continue
        domain = domain_of[address.get("addr", "")]
        for port in host.iter("port"):
            state = port.find("state")
            number = int(port.get("portid", "0"))
            if state is not None and state.get("state") == "open" and number in PORT_IDS:
                found.add((domain, PORT_IDS[number]))
    return found


def checkdmarc_findings(results: list[dict[str, Any]] | dict[str, Any]) -> set[Finding]:
    """checkdmarc's JSON (a list of domains, or one domain) to mail ids."""
    found: set[Finding] = set()
    for r in results if isinstance(results, list) else [results]:
        domain = r["domain"]
        if not r.get("mx", {}).get("hosts"):
            found.add((domain, "mail.mx"))
        found |= {(domain, c) for c in _spf_ids(r.get("spf", {}))}
        found |= {(domain, c) for c in _dmarc_ids(r.get("dmarc", {}))}
    return found


def _spf_ids(spf: dict[str, Any]) -> set[str]:
    if not spf.get("record") and "does not exist" in str(spf.get("error", "")):
        return {"mail.spf.missing"}
    if not spf.get("valid"):
        return {"mail.spf.invalid"}
    parsed = spf.get("parsed") or {}
    if parsed.get("all") in ("pass", "neutral", None) and not parsed.get("redirect"):
        return {"mail.spf.permissive"}
    return set()


def _dmarc_ids(dmarc: dict[str, Any]) -> set[str]:
    if not dmarc.get("record"):
        return {"mail.dmarc.missing"}
    if not dmarc.get("valid"):
        return {"mail.dmarc.invalid"}
    tags = dmarc.get("tags") or {}
    found = set()
    policy = (tags.get("p") or {}).get("value")
    pct = (tags.get("pct") or {}).get("value", 100)
    if policy == "none" or int(pct) < 100:
        found.add("mail.dmarc.policy_none")
    if not (tags.get("rua") or {}).get("value"):
        found.add("mail.dmarc.no_reporting")
    return found


def sslyze_findings(doc: dict[str, Any], now: datetime | None = None) -> set[Finding]:
    """sslyze's ``--json_out`` to TLS ids; a server sslyze could not reach yields nothing."""
    now = now or datetime.now(UTC)
    found: set[Finding] = set()
    for server in doc.get("server_scan_results", []):
        domain = server["server_location"]["hostname"]
        result = server.get("scan_result") or {}
        found |= {(domain, c) for c in _sslyze_server_ids(result, now)}
    return found


def _result(result: dict[str, Any], command: str) -> dict[str, Any] | None:
    """The result of one scan command, or None when sslyze did not complete it."""
    block = result.get(command) or {}
    return block.get("result") if block.get("status", "COMPLETED") == "COMPLETED" else None


def _accepted(result: dict[str, Any], command: str) -> list[str] | None:
    block = _result(result, command)
    if block is None:
        return None
    return [s["cipher_suite"]["name"] for s in block.get("accepted_cipher_suites", [])]


def _value(result: dict[str, Any], command: str, key: str) -> Any:
    return (_result(result, command) or {}).get(key)


_VERSIONS = {
    "tls.protocol.sslv2": "ssl_2_0_cipher_suites",
    "tls.protocol.sslv3": "ssl_3_0_cipher_suites",
    "tls.protocol.tls10": "tls_1_0_cipher_suites",
    "tls.protocol.tls11": "tls_1_1_cipher_suites",
}


def _sslyze_server_ids(result: dict[str, Any], now: datetime) -> set[str]:
    ids = {check for check, cmd in _VERSIONS.items() if _accepted(result, cmd)}
    # "TLS 1.3 not offered" only when sslyze completed the TLS 1.3 scan and saw no suite.
    if _accepted(result, "tls_1_3_cipher_suites") == []:
        ids.add("tls.protocol.no_tls13")
    tls12 = _accepted(result, "tls_1_2_cipher_suites") or []
    every = [s for cmd in _VERSIONS.values() for s in _accepted(result, cmd) or []] + tls12
    if any(marker in s for s in every for marker in _WEAK_MARKERS):
        ids.add("tls.cipher.weak")
    # ECDHE_ and DHE_ suites carry forward secrecy; anything else on TLS 1.2 does not.
    if any("DHE_" not in s for s in tls12):
        ids.add("tls.cipher.no_forward_secrecy")
    if _value(result, "heartbleed", "is_vulnerable_to_heartbleed"):
        ids.add("tls.vuln.heartbleed")
    if str(_value(result, "robot", "robot_result")).startswith("VULNERABLE"):
        ids.add("tls.vuln.robot")
    if _value(result, "openssl_ccs_injection", "is_vulnerable_to_ccs_injection"):
        ids.add("tls.vuln.ccs_injection")
    if _value(result, "tls_compression", "supports_compression"):
        ids.add("tls.compression")
    if _value(result, "session_renegotiation", "supports_secure_renegotiation") is False:
        ids.add("tls.renegotiation.insecure")
    return ids | _sslyze_cert_ids(result, now)


def _sslyze_cert_ids(result: dict[str, Any], now: datetime) -> set[str]:
    deployments = _value(result, "certificate_info", "certificate_deployments") or []
    if not deployments:
        return set()
    d = deployments[0]
    ids = set()
    leaf = d["received_certificate_chain"][0]
    before = datetime.fromisoformat(leaf["not_valid_before"].replace("Z", "+00:00"))
    after = datetime.fromisoformat(leaf["not_valid_after"].replace("Z", "+00:00"))
    if after < now:
        ids.add("tls.cert.expired")
    elif after < now + timedelta(days=30):
        ids.add("tls.cert.expiring")
    if before > now:
        ids.add("tls.cert.not_yet_valid")
    # sslyze 6 validates the name inside path validation: read its verdict against the
    # supplied lab CA, and tell a name mismatch from an untrusted chain by its message.
    supplied = [
        v
        for v in d.get("path_validation_results", [])
        if v.get("trust_store", {}).get("name") == "Supplied CA file"
    ]
    for v in supplied:
        if v.get("was_validation_successful"):
            continue
        if "subjectAltName" in str(v.get("validation_error")):
            ids.add("tls.cert.hostname_mismatch")
        else:
            ids.add("tls.cert.untrusted")
    key = leaf.get("public_key") or {}
    algorithm = str(key.get("algorithm", ""))
    size = key.get("key_size") or 0
    if ("RSA" in algorithm and size < 2048) or ("EC" in algorithm and size < 256):
        ids.add("tls.cert.weak_key")
    chain = d["received_certificate_chain"]
    if any(
        (c.get("signature_hash_algorithm") or {}).get("name") in ("sha1", "md5") for c in chain[:2]
    ):
        ids.add("tls.cert.weak_signature")
    return ids
