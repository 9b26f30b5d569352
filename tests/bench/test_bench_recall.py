"""The benchmark's pure parts: readers of each tool's report, target lists, and scoring."""

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import peers
import recall

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


def test_sslyze_server_it_could_not_reach_yields_no_finding():
    doc = {
        "server_scan_results": [
            {
                "server_location": {"hostname": "a.lab"},
                "connectivity_status": "ERROR",
                "scan_result": None,
            }
        ]
    }
    assert peers.sslyze_findings(doc, NOW) == set()


def test_sslyze_scan_command_in_error_is_not_read_as_no_tls13():
    doc = _server(tls_1_3_cipher_suites=None)
    scan = doc["server_scan_results"][0]["scan_result"]
    scan["tls_1_3_cipher_suites"] = {"status": "ERROR", "result": None}
    assert "tls.protocol.no_tls13" not in {c for _, c in peers.sslyze_findings(doc, NOW)}


def test_sslyze_expired_certificate_and_untrusted_chain():
    doc = _server()
    deployment = doc["server_scan_results"][0]["scan_result"]["certificate_info"]["result"]
    deployment = deployment["certificate_deployments"][0]
    deployment["received_certificate_chain"][0]["not_valid_after"] = "2026-06-01T00:00:00Z"
    deployment["path_validation_results"][1]["validation_error"] = "self-signed certificate"
    found = {c for _, c in peers.sslyze_findings(doc, NOW)}
    assert {"tls.cert.expired", "tls.cert.untrusted"} <= found
    assert "tls.cert.expiring" not in found and "tls.cert.hostname_mismatch" not in found


def test_checkdmarc_pct_below_100_is_a_partial_policy():
    result = {
        "domain": "a.lab",
        "mx": {"hosts": [{"hostname": "mail.a.lab"}]},
        "spf": {"record": "v=spf1 mx ?all", "valid": True, "parsed": {"all": "neutral"}},
        "dmarc": {
            "record": "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@a.lab",
            "valid": True,
            "tags": {
                "p": {"value": "quarantine"},
                "pct": {"value": 50},
                "rua": {"value": [{"address": "d@a.lab"}]},
            },
        },
    }
    assert peers.checkdmarc_findings(result) == {
        ("a.lab", "mail.spf.permissive"),
        ("a.lab", "mail.dmarc.policy_none"),
    }


TRUTH = {
    "businesses": [
        {
            "domain": "a.lab",
            "address": "127.20.0.1",
            "fail": ["net.exposed.smb", "tls.protocol.tls10"],
            "pass": ["tls.missing", "tls.cert.untrusted", "net.exposed.rdp"],
        },
        {
            "domain": "b.lab",
            "address": "127.20.0.2",
            "fail": ["tls.missing", "mail.mx"],
            "pass": ["net.exposed.smb"],
        },
        {"domain": "c.lab", "address": "127.20.0.3", "fail": ["dns.resolves"], "pass": []},
    ]
}


def test_sslyze_is_given_the_https_sites_with_their_lab_address():
    assert recall.sslyze_targets(TRUTH) == ["a.lab:443{127.20.0.1}"]


def test_nmap_is_given_the_addresses_whose_ports_are_judged():
    assert recall.nmap_addresses(TRUTH) == {"127.20.0.1": "a.lab", "127.20.0.2": "b.lab"}


def test_truth_collects_fails_passes_and_judged_ids():
    truth = recall.load_truth(TRUTH)
    assert ("a.lab", "tls.protocol.tls10") in truth.fails
    assert ("b.lab", "net.exposed.smb") in truth.passes
    assert "dns.resolves" in truth.ids and "mail.mx" in truth.ids
    assert truth.restricted({"c.lab"}).fails == {("c.lab", "dns.resolves")}


def test_score_counts_recall_on_the_covered_ids_and_false_alarms_on_passes():
    truth = recall.load_truth(TRUTH)
    found = {
        ("a.lab", "net.exposed.smb"),  # expected failure: found
        ("b.lab", "net.exposed.smb"),  # the lab says pass: a false alarm
        ("c.lab", "net.exposed.smb"),  # not judged for c.lab: neither
        ("a.lab", "tls.cert.untrusted"),  # an id outside those covered: ignored
    }
    s = recall.score(truth, found, frozenset({"net.exposed.smb", "net.exposed.rdp"}))
    assert (s.judged, s.found, s.false_alarms, s.recall) == (1, 1, 1, 1.0)
    missed = recall.score(truth, set(), frozenset({"tls.protocol.tls10", "tls.missing"}))
    assert (missed.judged, missed.recall) == (2, 0.0)


def test_score_with_nothing_to_find_is_a_full_recall():
    s = recall.score(recall.Truth(frozenset(), frozenset()), set(), frozenset({"x"}))
    assert s.recall == 1.0 and s.false_alarms == 0


def test_rempart_findings_are_its_failed_observations():
    doc = {
        "targets": [
            {
                "target": "a.lab",
                "observations": [
                    {"check": "mail.mx", "status": "fail", "location": "a.lab"},
                    {"check": "dns.caa", "status": "pass", "location": "a.lab"},
                    {"check": "tls.missing", "status": "error", "location": "a.lab:443"},
                ],
            }
        ]
    }
    assert recall.rempart_findings(doc) == {("a.lab", "mail.mx")}
