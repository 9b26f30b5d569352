"""testssl.sh reports: DefectDojo's real CSV samples, real lab runs (flat JSON, pretty JSON, CSV,
``--severity LOW``) checked against the lab's ground truth, and broken inputs.

The few inline rows below are hand-written in testssl.sh's own CSV/JSON row format (the columns
and keys ``fileout_csv_finding()`` / ``fileout_json_finding()`` write) to isolate one rule each;
every other input is unmodified tool output (tests/data/reports/README.md,
tests/data/reports-lab/README.md).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_path, read_report
from rempart.importers.base import HEAD_BYTES
from rempart.importers.formats import testssl

DATA = Path(__file__).resolve().parent.parent / "data"
REAL = DATA / "reports" / "testssl"
LAB = DATA / "reports-lab" / "testssl"
TRUTH = {
    b["domain"]: b
    for b in json.loads((LAB / "ground-truth-excerpt.json").read_text())["businesses"]
}
CSV_HEADER = '"id","fqdn/ip","port","severity","finding","cve","cwe"\n'


def observations(path: Path, fmt: str | None = None) -> tuple[ReportInfo, list[Observation]]:
    info, items = read_path(path, format=fmt)
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


def by_check(items: list[Observation]) -> dict[str, Observation]:
    found = {o.check: o for o in items}
    assert len(found) == len(items), "one observation per check and location"
    return found


def parse_text(text: str, fmt: str) -> tuple[ReportInfo, list[Observation]]:
    info = ReportInfo(name="inline")
    items = list(read_report(io.BytesIO(text.encode()), info, format=fmt))
    return info, [i for i in items if isinstance(i, Observation)]


# -- DefectDojo's samples ----------------------------------------------------------------


def test_four_ips_of_one_name_fold_into_one_observation_per_check() -> None:
    info, items = observations(REAL / "defectdojo_many_vuln.csv")
    assert info.format == "testssl-csv" and info.tool == "testssl"
    assert info.targets == {"www.defectdojo.org"}
    found = by_check(items)
    assert {o.location for o in items} == {"www.defectdojo.org:443", "https://www.defectdojo.org/"}
    assert found["web.hsts.missing"].location == "https://www.defectdojo.org/"
    failing = {c for c, o in found.items() if o.status is Status.FAIL}
    assert failing == {
        "tls.protocol.no_tls13",  # TLS1_3 "not offered and downgraded to a weaker protocol"
        "testssl.cipherlist_average",
        "web.hsts.missing",
        "testssl.breach",
        "testssl.lucky13",
        "tls.cipher.no_forward_secrecy",  # cipher_x35, x9c, x2f: RSA key exchange
    }
    assert {c for c, o in found.items() if o.status is Status.PASS} == {
        "tls.protocol.sslv2",
        "tls.protocol.sslv3",
        "tls.protocol.tls10",
        "tls.protocol.tls11",
        "tls.cipher.weak",
        "tls.cert.weak_signature",
        "tls.cert.weak_key",
        "tls.cert.hostname_mismatch",
        "tls.cert.untrusted",
        "tls.cert.expired",
        "tls.cert.expiring",
        "tls.vuln.heartbleed",
        "tls.vuln.ccs_injection",
        "tls.vuln.robot",
        "tls.renegotiation.insecure",
        "tls.compression",
    }
    breach = found["testssl.breach"]
    assert breach.severity is Severity.HIGH and breach.rule == "BREACH"
    assert breach.references == ("CVE-2013-3587", "CWE-310")
    assert breach.title.startswith("BREACH")
    for ip in ("185.199.108.153", "185.199.109.153", "185.199.110.153", "185.199.111.153"):
        assert f"{ip}: BREACH (HIGH)" in breach.evidence
    # catalog checks carry the catalog's severity; testssl's own rating stays in the evidence
    assert found["web.hsts.missing"].severity is Severity.MEDIUM
    assert "HSTS (LOW): not offered" in found["web.hsts.missing"].evidence
    assert found["testssl.lucky13"].severity is Severity.LOW
    assert found["tls.cipher.no_forward_secrecy"].rule == "cipher_x35,cipher_x9c,cipher_x2f"
    assert found["tls.renegotiation.insecure"].rule == "secure_renego,secure_client_renego"
    assert all(o.source == "testssl" and o.target == "www.defectdojo.org" for o in items)
    assert info.notes["testssl warning, a test was not conclusive: engine_problem"] == 1
    assert info.notes["testssl OK/INFO rows with no rempart check (information only)"] == 392


def test_thirty_days_left_is_not_expiring_as_the_engine_counts_it() -> None:
    # "30 >= 30 days" (Let's Encrypt halves testssl's thresholds); the engine says < 30 days
    found = by_check(observations(REAL / "defectdojo_many_vuln.csv")[1])
    assert found["tls.cert.expiring"].status is Status.PASS
    assert "cert_expirationStatus (OK): 30 >= 30 days" in found["tls.cert.expiring"].evidence


def test_a_clean_site_gives_only_passes_and_counts_the_information_rows() -> None:
    info, items = observations(REAL / "demo.csv")
    found = by_check(items)
    assert set(found) == {
        "tls.protocol.sslv2",
        "tls.protocol.sslv3",
        "tls.protocol.tls10",
        "tls.protocol.tls11",
        "tls.protocol.no_tls13",
        "tls.cipher.weak",
        "tls.cipher.no_forward_secrecy",
    }
    assert all(o.status is Status.PASS for o in items)
    assert all(o.location == "demo.defectdojo.org:443" for o in items)
    # the per-suite rows of testssl 3.1+ say the protocol: all TLS 1.2 suites use ECDHE
    assert found["tls.cipher.no_forward_secrecy"].rule.startswith("cipher-tls1_2_xc02c,")
    assert info.notes["testssl OK/INFO rows with no rempart check (information only)"] == 16


def test_a_header_only_csv_is_an_empty_report() -> None:
    info, items = observations(REAL / "defectdojo_no_vuln.csv")
    assert items == [] and info.format == "testssl-csv" and info.notes == {}


def test_a_scan_that_could_not_connect_is_an_error_observation_not_a_report_error() -> None:
    info, items = observations(REAL / "failed_target.csv")
    (only,) = items
    assert only.check == "testssl.scanproblem" and only.status is Status.ERROR
    assert only.location == "testssl.target.de:443" and only.target == "testssl.target.de"
    assert "Can't connect to '1.2.3.4:443'" in only.reason
    assert info.targets == {"testssl.target.de"}


# -- lab runs against the ground truth ---------------------------------------------------


def assert_agrees_with_ground_truth(items: list[Observation]) -> set[tuple[str, str]]:
    """Every PASS and FAIL testssl gave for a catalog check is the lab's truth (on these runs
    testssl never contradicts it; what it could not tell is an ERROR, not a disagreement)."""
    compared = set()
    for o in items:
        truth = TRUTH[o.target]
        key = (o.target, o.check)
        if o.check not in truth["fail"] + truth["pass"]:
            continue
        if o.status is Status.FAIL:
            assert o.check in truth["fail"], f"{key}: testssl fails it, the lab says pass"
        elif o.status is Status.PASS:
            assert o.check in truth["pass"], f"{key}: testssl passes it, the lab says fail"
        compared.add(key)
    return compared


def test_flat_json_of_an_expired_weak_site_matches_the_ground_truth() -> None:
    info, items = observations(LAB / "cabinet-avocats-12.json")
    assert info.format == "testssl-json" and info.scanned_at is None  # the flat file has no date
    found = by_check(items)
    for check in TRUTH["cabinet-avocats-12.lab"]["fail"]:
        assert found[check].status is Status.FAIL, check
    compared = assert_agrees_with_ground_truth(items)
    assert len(compared) == 19  # every catalog check testssl spoke to (expiring: expired)
    # only the expiry broke the chain: not "untrusted" (the lab CA was given with --add-ca)
    untrusted = found["tls.cert.untrusted"]
    assert untrusted.status is Status.PASS and "failed (expired)" in untrusted.evidence
    weak = found["tls.cipher.weak"]
    assert weak.rule.startswith("RC4,cipher_x05,cipher_x0a,cipher_x03")
    assert "TLS_RSA_WITH_NULL_SHA" in weak.evidence
    # weak RSA suites are tls.cipher.weak's; forward secrecy fails on the AES ones
    assert found["tls.cipher.no_forward_secrecy"].rule == "cipher_x35,cipher_x9c,cipher_x2f"
    assert found["testssl.freak"].severity is Severity.CRITICAL
    assert "testssl.cert_notafter" not in found  # it repeats cert_expirationStatus
    assert info.notes["testssl warning, a test was not conclusive: fallback_SCSV"] == 1


def test_pretty_json_reads_version_date_and_sections_and_matches_the_ground_truth() -> None:
    info, items = observations(LAB / "garage-22-pretty.json")
    assert info.tool_version == "3.0.8"
    assert info.scanned_at == datetime(2026, 11, 29, 8, 26, 35, tzinfo=UTC)
    found = by_check(items)
    assert_agrees_with_ground_truth(items)
    assert {c for c, o in found.items() if o.status is Status.FAIL} & set(
        TRUTH["garage-22.lab"]["fail"]
    ) == {
        "tls.cert.hostname_mismatch",
        "tls.cert.not_yet_valid",
        "tls.cert.weak_key",
        "tls.cert.weak_signature",
        "tls.cipher.weak",
        "tls.protocol.no_tls13",
        "tls.vuln.heartbleed",
        "web.hsts.missing",
    }
    # "failed (not yet valid)": testssl's only word on notBefore; the chain itself is trusted
    assert found["tls.cert.not_yet_valid"].rule == "cert_chain_of_trust"
    assert found["tls.cert.untrusted"].status is Status.PASS
    # the lab plays insecure renegotiation; testssl's OpenSSL could not even try
    renegotiation = found["tls.renegotiation.insecure"]
    assert renegotiation.status is Status.ERROR
    assert renegotiation.reason == "testssl could not tell: OpenSSL handshake didn't succeed"
    # -E rows name the protocol; the TLS 1.2 suites that are not weak all use ECDHE
    assert found["tls.cipher.no_forward_secrecy"].status is Status.PASS
    assert found["tls.cipher.no_forward_secrecy"].rule == "cipher-tls1_2_xc02f,cipher-tls1_2_xc013"


def test_a_csv_with_two_targets_gives_each_its_own_observations() -> None:
    info, items = observations(LAB / "imprimerie-10-transports-11.csv")
    assert info.targets == {"imprimerie-10.lab", "transports-11.lab"}
    assert_agrees_with_ground_truth(items)
    ten = by_check([o for o in items if o.target == "imprimerie-10.lab"])
    eleven = by_check([o for o in items if o.target == "transports-11.lab"])
    assert len(ten) == 27 and len(eleven) == 20
    assert {c for c in ten if c.startswith("testssl.")} == {
        "testssl.beast",
        "testssl.beast_cbc_ssl3",
        "testssl.cert_revocation",
        "testssl.cipherlist_average",
        "testssl.lucky13",
        "testssl.poodle_ssl",
        "testssl.tls1",
        "testssl.tls1_1",
    }
    for check in TRUTH["imprimerie-10.lab"]["fail"]:
        assert ten[check].status is Status.FAIL, check
    for check in TRUTH["transports-11.lab"]["fail"]:
        assert eleven[check].status is Status.FAIL, check
    assert ten["web.hsts.short"].location == "https://imprimerie-10.lab/"
    assert ten["web.hsts.missing"].status is Status.PASS  # a header with max-age=86400
    # "not offered, and downgraded to SSL": TLS 1.0 is off, the downgrade is its own problem
    assert ten["tls.protocol.tls10"].status is Status.PASS
    assert ten["testssl.tls1"].status is Status.FAIL
    assert ten["testssl.tls1"].severity is Severity.MEDIUM
    assert (
        eleven["tls.cert.untrusted"].evidence
        == "cert_chain_of_trust (CRITICAL): failed (self signed)."
    )


def test_a_severity_low_report_has_only_problems_and_errors() -> None:
    info, items = observations(LAB / "fromagerie-6-severity-low.json")
    assert "testssl OK/INFO rows with no rempart check (information only)" not in info.notes
    found = by_check(items)
    assert_agrees_with_ground_truth(items)
    assert {c: o.status for c, o in found.items() if c.startswith("tls.")} == {
        "tls.protocol.tls10": Status.FAIL,
        "tls.protocol.tls11": Status.PASS,  # "TLSv1.1 is not offered, and downgraded…"
        "tls.vuln.robot": Status.FAIL,
        "tls.renegotiation.insecure": Status.ERROR,
        "tls.compression": Status.FAIL,
    }
    assert found["testssl.tls1_1"].severity is Severity.CRITICAL
    assert set(TRUTH["fromagerie-6.lab"]["fail"]) - set(found) == {
        "tls.cipher.no_forward_secrecy"  # this run used no -e/-E: testssl cannot tell
    }


# -- rules on single rows ------------------------------------------------------------------


def test_any_failing_ip_makes_the_check_fail_and_only_the_failing_rows_are_quoted() -> None:
    text = CSV_HEADER + (
        '"SSLv3","www.example.org/192.0.2.1","443","OK","not offered","",""\n'
        '"SSLv3","www.example.org/192.0.2.2","443","HIGH","offered","",""\n'
    )
    (only,) = parse_text(text, "testssl-csv")[1]
    assert only.status is Status.FAIL and only.location == "www.example.org:443"
    assert only.evidence == "192.0.2.2: SSLv3 (HIGH): offered"


def test_a_warn_row_is_could_not_tell_and_a_fail_still_wins_over_it() -> None:
    text = CSV_HEADER + (
        '"cipherlist_NULL","a.example/192.0.2.1","443","WARN","Cipher not supported","",""\n'
        '"cipherlist_aNULL","a.example/192.0.2.1","443","OK","not offered","",""\n'
        '"heartbleed","a.example/192.0.2.1","443","WARN","test failed","",""\n'
        '"cipherlist_EXPORT","a.example/192.0.2.1","443","CRITICAL","offered","",""\n'
    )
    found = by_check(parse_text(text, "testssl-csv")[1])
    assert found["tls.cipher.weak"].status is Status.FAIL
    assert found["tls.cipher.weak"].rule == "cipherlist_EXPORT"
    assert found["tls.vuln.heartbleed"].status is Status.ERROR
    assert found["tls.vuln.heartbleed"].reason == "testssl could not tell: test failed"


def test_ipv6_targets_are_bracketed_and_a_missing_name_falls_back_to_the_ip() -> None:
    rows = [
        {
            "id": "SSLv2",
            "ip": "/2001:db8::1",
            "port": "8443",
            "severity": "OK",
            "cve": "",
            "cwe": "",
            "finding": "not offered",
        }
    ]
    (only,) = parse_text(json.dumps(rows), "testssl-json")[1]
    assert only.location == "[2001:db8::1]:8443" and only.target == "2001:db8::1"


def test_key_sizes_are_judged_by_the_catalog_not_by_testssl_rating() -> None:
    text = CSV_HEADER + (
        '"cert_keySize <cert#1>","a.example/192.0.2.1","443","INFO","EC 224 bits","",""\n'
        '"cert_keySize <cert#2>","a.example/192.0.2.1","443","INFO","RSA 2048 bits","",""\n'
    )
    (only,) = parse_text(text, "testssl-csv")[1]
    assert only.check == "tls.cert.weak_key" and only.status is Status.FAIL
    assert only.rule == "cert_keySize <cert#1>" and "EC 224 bits" in only.evidence


# -- broken inputs ---------------------------------------------------------------------------


def test_a_truncated_json_report_is_a_report_error() -> None:
    data = (LAB / "cabinet-avocats-12.json").read_bytes()
    with pytest.raises(ReportError, match="malformed or truncated") as caught:
        list(read_report(io.BytesIO(data[: len(data) // 2]), ReportInfo(name="cut.json")))
    assert str(caught.value).startswith("cut.json: around byte ")


@pytest.mark.parametrize(
    ("text", "fmt", "where", "reason"),
    [
        ('[{"id": "SSLv2", "port": "443", "severity": "OK"}]', "testssl-json", "row 1", '"ip"'),
        ('[{"ip": "a/1.2.3.4", "port": "443"}]', "testssl-json", "row 1", "no id"),
        ('[["SSLv2"]]', "testssl-json", "row 1", "not an object"),
        (
            '{"scanResult": [{"port": "443", "protocols": []}]}',
            "testssl-json",
            "scanResult #1",
            "names no target",
        ),
        ('{"Invocation": "testssl", "version": "3.2"}', "testssl-json", "", "no scanResult"),
        ('{"scanResult": {"a": 1}}', "testssl-json", "scanResult", "not a list"),
        ('"id","ip","port"\n"SSLv2","a","443"\n', "testssl-csv", "line 1", "header"),
        (
            CSV_HEADER + '"SSLv2","","443","OK","not offered","",""\n',
            "testssl-csv",
            "line 2",
            "no target",
        ),
    ],
    ids=[
        "no-ip",
        "no-id",
        "row-not-object",
        "pretty-no-target",
        "pretty-no-results",
        "results-not-list",
        "csv-header",
        "csv-no-target",
    ],
)
def test_wrong_structures_are_report_errors_saying_where(
    text: str, fmt: str, where: str, reason: str
) -> None:
    with pytest.raises(ReportError) as caught:
        parse_text(text, fmt)
    assert reason in caught.value.reason
    if where:
        assert caught.value.where == where


SAMPLES = [
    (REAL / "defectdojo_many_vuln.csv", "testssl-csv"),
    (REAL / "defectdojo_no_vuln.csv", "testssl-csv"),
    (REAL / "demo.csv", "testssl-csv"),
    (REAL / "failed_target.csv", "testssl-csv"),
    (LAB / "cabinet-avocats-12.json", "testssl-json"),
    (LAB / "garage-22-pretty.json", "testssl-json"),
    (LAB / "imprimerie-10-transports-11.csv", "testssl-csv"),
    (LAB / "fromagerie-6-severity-low.json", "testssl-json"),
]


@pytest.mark.parametrize(("path", "fmt"), SAMPLES, ids=lambda v: getattr(v, "name", v))
def test_each_sample_is_detected_and_reads_the_same_twice(path: Path, fmt: str) -> None:
    with path.open("rb") as fh:
        assert detect(fh.read(HEAD_BYTES), path.name).name == fmt
    first, second = read_path(path), read_path(path)
    assert first[1] == second[1]
    assert first[0].notes == second[0].notes and first[0].targets == second[0].targets


def test_the_module_declares_both_formats_for_the_registry() -> None:
    assert [s.name for s in testssl.SPECS] == ["testssl-json", "testssl-csv"]
    assert all(s.tool == "testssl" for s in testssl.SPECS)
