"""The benchmark's readers of peer reports, on small inputs shaped like the tools' own."""

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import peers

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def test_nmap_open_ports_map_to_exposure_ids_and_closed_ones_do_not():
    xml = """<?xml version="1.0"?><nmaprun><host><address addr="127.20.0.1" addrtype="ipv4"/>
    <ports><port protocol="tcp" portid="445"><state state="open"/></port>
    <port protocol="tcp" portid="3389"><state state="closed"/></port>
    <port protocol="tcp" portid="6379"><state state="open"/></port></ports></host></nmaprun>"""
    found = peers.nmap_findings(xml, {"127.20.0.1": "a.lab"})
    assert found == {("a.lab", "net.exposed.smb"), ("a.lab", "net.exposed.database")}


def test_checkdmarc_results_map_to_mail_ids():
    results = [
        {
            "domain": "a.lab",
            "mx": {"hosts": []},
            "spf": {"record": None, "valid": False, "error": "An SPF record does not exist."},
            "dmarc": {
                "record": "v=DMARC1; p=none",
                "valid": True,
                "tags": {"p": {"value": "none"}, "pct": {"value": 100}},
            },
        },
        {
            "domain": "b.lab",
            "mx": {"hosts": [{"hostname": "mail.b.lab"}]},
            "spf": {"record": "v=spf1 +all", "valid": True, "parsed": {"all": "pass"}},
            "dmarc": {"record": "v=DMARC1; p=bogus", "valid": False},
        },
        {
            "domain": "c.lab",
            "mx": {"hosts": [{"hostname": "mail.c.lab"}]},
            "spf": {"record": "v=spf1 mx -all", "valid": True, "parsed": {"all": "fail"}},
            "dmarc": {
                "record": "v=DMARC1; p=reject; rua=mailto:x@c.lab",
                "valid": True,
                "tags": {"p": {"value": "reject"}, "rua": {"value": ["mailto:x@c.lab"]}},
            },
        },
    ]
    assert peers.checkdmarc_findings(results) == {
        ("a.lab", "mail.mx"),
        ("a.lab", "mail.spf.missing"),
        ("a.lab", "mail.dmarc.policy_none"),
        ("a.lab", "mail.dmarc.no_reporting"),
        ("b.lab", "mail.spf.permissive"),
        ("b.lab", "mail.dmarc.invalid"),
    }


def _server(**results):
    chain = [
        {
            "not_valid_before": "2026-01-01T00:00:00Z",
            "not_valid_after": "2026-12-05T00:00:00Z",
            "public_key": {"algorithm": "RSAPublicKey", "key_size": 1024},
            "signature_hash_algorithm": {"name": "sha1"},
        }
    ]
    cert = {
        "certificate_deployments": [
            {
                "received_certificate_chain": chain,
                "path_validation_results": [
                    {"trust_store": {"name": "Mozilla"}, "was_validation_successful": False},
                    {
                        "trust_store": {"name": "Supplied CA file"},
                        "was_validation_successful": False,
                        "validation_error": "leaf certificate has no matching subjectAltName",
                    },
                ],
            }
        ]
    }
    scan = {"certificate_info": {"result": cert}}
    scan.update({k: {"result": v} for k, v in results.items()})
    return {
        "server_scan_results": [{"server_location": {"hostname": "a.lab"}, "scan_result": scan}]
    }


def test_sslyze_results_map_to_tls_ids():
    suite = lambda name: {"cipher_suite": {"name": name}}  # noqa: E731
    doc = _server(
        ssl_3_0_cipher_suites={"accepted_cipher_suites": [suite("TLS_RSA_WITH_RC4_128_SHA")]},
        tls_1_2_cipher_suites={"accepted_cipher_suites": [suite("TLS_RSA_WITH_AES_128_CBC_SHA")]},
        tls_1_3_cipher_suites={"accepted_cipher_suites": []},
        heartbleed={"is_vulnerable_to_heartbleed": True},
        robot={"robot_result": "VULNERABLE_STRONG_ORACLE"},
        session_renegotiation={"supports_secure_renegotiation": False},
    )
    found = {c for _, c in peers.sslyze_findings(doc, NOW)}
    assert found == {
        "tls.protocol.sslv3",
        "tls.protocol.no_tls13",
        "tls.cipher.weak",
        "tls.cipher.no_forward_secrecy",
        "tls.vuln.heartbleed",
        "tls.vuln.robot",
        "tls.renegotiation.insecure",
        "tls.cert.expiring",
        "tls.cert.hostname_mismatch",
        "tls.cert.weak_key",
        "tls.cert.weak_signature",
    }


def test_recall_counts_only_the_covered_ids_and_reports_false_alarms():
    expected = {("a", "x"), ("a", "y"), ("b", "z")}
    found = {("a", "x"), ("b", "x"), ("b", "z")}
    assert peers.recall(expected, found, frozenset({"x", "y"})) == (0.5, 1)
    assert peers.recall(set(), set(), frozenset({"x"})) == (1.0, 0)
