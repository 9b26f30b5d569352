"""Nuclei JSONL / JSON import.

Real reports: tests/data/reports/nuclei/ (DefectDojo's test suite, see its README).
Hand-made: tests/data/reports-handmade/nuclei/mappings.jsonl, written by us following nuclei
v3's JSON output (pkg/output ResultEvent: template-id, info, matcher-name, type, host, port,
matched-at, extracted-results, ip, timestamp, matcher-status) and the real template ids of
projectdiscovery/nuclei-templates; it covers every catalog mapping (see its README). The
single lines built by result_line() below follow the same ResultEvent schema.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_report
from rempart.importers.base import Item

REAL = Path("tests/data/reports/nuclei")
HANDMADE = Path("tests/data/reports-handmade/nuclei")


def read(
    path: Path | bytes, fmt: str | None = None, name: str = "r.jsonl"
) -> tuple[ReportInfo, list[Item]]:
    data = path.read_bytes() if isinstance(path, Path) else path
    info = ReportInfo(name=path.name if isinstance(path, Path) else name)
    return info, list(read_report(io.BytesIO(data), info, format=fmt))


def observations(items: list[Item]) -> list[Observation]:
    assert all(isinstance(i, Observation) for i in items)
    return [i for i in items if isinstance(i, Observation)]


@pytest.mark.parametrize(
    ("file", "fmt"),
    [
        ("many_findings.json", "nuclei-jsonl"),  # JSON lines despite the extension
        ("issue_9201.json", "nuclei-jsonl"),  # one result on one line
        ("multiple_v3.json", "nuclei-json"),  # a pretty-printed JSON list
    ],
)
def test_sniff_real_samples(file: str, fmt: str) -> None:
    assert detect((REAL / file).read_bytes()[:65536]).name == fmt


def test_old_style_jsonl_with_camel_case_keys() -> None:
    info, items = read(REAL / "many_findings.json")
    obs = observations(items)
    assert len(obs) == 18
    assert info.format == "nuclei-jsonl"
    assert info.targets == {"nuclei-example.com", "127.0.0.1"}
    # templateID/matcher_name/matched/extracted_results (nuclei 2.3 era) are understood.
    by_check = Counter(o.check for o in obs)
    assert by_check["nuclei.tech-detect-bootstrap"] == 3
    assert by_check["nuclei.tech-detect-font-awesome"] == 3
    assert sum(n for c, n in by_check.items() if c.startswith("nuclei.tech-detect-")) == 11
    version = next(o for o in obs if o.check == "web.server_version")
    assert version.status is Status.FAIL
    assert version.severity is Severity.LOW  # the catalog's, not nuclei's "info"
    assert version.location == "https://nuclei-example.com/"
    assert "nginx/1.14.2" in version.evidence and "nuclei severity info" in version.evidence
    assert version.rule == "nginx-version" and version.source == "nuclei"
    ssh = next(o for o in obs if o.rule == "openssh5.3-detect")
    assert (ssh.check, ssh.status, ssh.severity) == (
        "nuclei.openssh5.3-detect",
        Status.FAIL,
        Severity.LOW,
    )
    assert ssh.location == "nuclei-example.com:22" and ssh.target == "nuclei-example.com"
    assert ssh.references[0] == "http://seclists.org/fulldisclosure/2016/Jul/51"
    setup = next(o for o in obs if o.rule == "phpmyadmin-setup")
    assert setup.location == "https://nuclei-example.com/phpmyadmin/setup/index.php"
    assert setup.severity is Severity.MEDIUM and setup.title == "phpMyAdmin setup page"
    # a result nuclei reports is a finding whatever its severity: info-severity templates
    # (technology detections) are status FAIL with severity INFO, never status INFO
    tech = [o for o in obs if o.check.startswith("nuclei.tech-detect")]
    assert {(o.status, o.severity) for o in tech} == {(Status.FAIL, Severity.INFO)}
    webgoat = [o for o in obs if o.target == "127.0.0.1"]
    assert {o.location for o in webgoat} == {
        "http://127.0.0.1:8080/WebGoat",
        "http://127.0.0.1:9090/WebWolf",
    }
    mysql = next(o for o in obs if o.rule == "mysql-native-password-bruteforce")
    assert mysql.location == "nuclei-example.com:3306"
    assert (mysql.status, mysql.severity) == (Status.FAIL, Severity.INFO)
    assert str(info.scanned_at) == "2021-05-20 11:11:01.667748+03:00"


def test_v3_json_list_dns_and_ssl() -> None:
    info, items = read(REAL / "multiple_v3.json")
    obs = observations(items)
    assert info.format == "nuclei-json"
    # every template here is of severity info: nuclei's own results are findings of that
    # severity (FAIL), the catalog checks it proves fine are PASS
    assert [(o.check, o.status, o.severity, o.location) for o in obs] == [
        ("nuclei.dns-saas-service-detection-wix", Status.FAIL, Severity.INFO, "www.asdf.de"),
        ("dns.caa", Status.PASS, Severity.INFO, "www.asdf.de"),
        ("nuclei.ssl-issuer", Status.FAIL, Severity.INFO, "www.asdf.de:443"),
        ("nuclei.ssl-dns-names", Status.FAIL, Severity.INFO, "www.asdf.de:443"),
        ("nuclei.tls-version", Status.FAIL, Severity.INFO, "www.asdf.de:443"),  # TLS 1.2
        ("tls.protocol.no_tls13", Status.PASS, Severity.INFO, "www.asdf.de:443"),  # TLS 1.3
    ]
    assert {o.target for o in obs} == {"www.asdf.de"}
    assert "CWE-200" in obs[1].references
    assert "pointing.wixdns.net" in obs[0].evidence
    assert "Sectigo Limited" in obs[2].evidence


def test_single_object_with_matcher_status() -> None:
    info, items = read(REAL / "issue_9201.json")
    (obs,) = observations(items)
    assert obs.check == "nuclei.favicon-detect-asp.net-favicon"  # ':' slugged to '-'
    assert obs.rule == "favicon-detect:asp.net-favicon"
    assert obs.location == "https://example.com/favicon.ico%c0"
    assert (obs.status, obs.severity) == (Status.FAIL, Severity.INFO)
    assert obs.target == "example.com"
    assert len(obs.references) == 3  # at most a few URLs
    assert info.scanned_at is not None and info.scanned_at.year == 2023


def test_single_pretty_printed_object_reads_as_json() -> None:
    data = (REAL / "issue_9201.json").read_bytes()
    pretty = data.replace(b'{"template"', b'{\n  "template"', 1)
    assert detect(pretty).name == "nuclei-json"
    _, items = read(pretty, "nuclei-json")
    assert [o.rule for o in observations(items)] == ["favicon-detect:asp.net-favicon"]


def test_empty_file_is_an_empty_report() -> None:
    info, items = read(REAL / "empty.jsonl", "nuclei-jsonl")
    assert items == [] and info.targets == set()


EXPECTED_MAPPINGS = [
    ("web.hsts.missing", Status.FAIL, "https://shop.example.org/"),
    ("web.csp.missing", Status.FAIL, "https://shop.example.org/"),  # origin, not /login
    ("web.xcto.missing", Status.FAIL, "http://intranet.example.org:8080/"),
    ("web.referrer_policy.missing", Status.FAIL, "https://shop.example.org/"),
    # HSTS over plain HTTP means nothing: not the catalog check, nuclei's own finding (of
    # nuclei's severity, info)
    (
        "nuclei.http-missing-security-headers-strict-transport-security",
        Status.FAIL,
        "http://intranet.example.org:8080",
    ),
    (
        "nuclei.http-missing-security-headers-permissions-policy",
        Status.FAIL,
        "https://shop.example.org",
    ),
    ("web.frame.missing", Status.PASS, "https://shop.example.org/"),  # CSP frame-ancestors
    ("web.frame.missing", Status.FAIL, "http://intranet.example.org:8080/"),
    ("web.cookie.insecure", Status.FAIL, "https://shop.example.org/"),
    ("web.server_version", Status.FAIL, "http://intranet.example.org:8080/"),
    ("web.security_txt.missing", Status.PASS, "https://shop.example.org/"),
    ("tls.protocol.tls10", Status.FAIL, "shop.example.org:443"),
    ("tls.protocol.tls11", Status.FAIL, "shop.example.org:443"),
    ("tls.cipher.weak", Status.FAIL, "shop.example.org:443"),  # 3DES
    ("nuclei.weak-cipher-suites", Status.FAIL, "shop.example.org:443"),  # AES-CBC: not 'weak' here
    ("tls.cert.expired", Status.FAIL, "intranet.example.org:8443"),
    ("tls.cert.untrusted", Status.FAIL, "intranet.example.org:8443"),
    ("tls.cert.hostname_mismatch", Status.FAIL, "192.0.2.20:8443"),
    ("net.exposed.rdp", Status.FAIL, "192.0.2.30:3389"),
    ("net.smb.v1", Status.FAIL, "192.0.2.30:445"),
    ("net.ftp.anonymous", Status.FAIL, "192.0.2.40:21"),  # ip:port, not the name
    ("net.exposed.database", Status.FAIL, "192.0.2.50:6379"),
    ("nuclei.exposed-redis", Status.FAIL, "192.0.2.50:6379"),  # no auth: a problem of its own
    ("net.exposed.database", Status.FAIL, "[2001:db8::5]:3306"),
    (
        "nuclei.cve-2021-41773",
        Status.FAIL,
        "http://intranet.example.org:8080/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    ),
    ("tls.cert.expired", Status.PASS, "shop.example.org:443"),  # -matcher-status: no match
]


def test_catalog_mappings() -> None:
    info, items = read(HANDMADE / "mappings.jsonl")
    obs = observations(items)
    assert [(o.check, o.status, o.location) for o in obs] == EXPECTED_MAPPINGS
    # catalog checks carry the catalog severity and nuclei's in the evidence
    by = {(o.check, o.location): o for o in obs}
    hsts = by[("web.hsts.missing", "https://shop.example.org/")]
    assert hsts.severity is Severity.MEDIUM and "nuclei severity info" in hsts.evidence
    assert hsts.rule == "http-missing-security-headers:strict-transport-security"
    assert hsts.title == ""  # catalog checks take the catalog's title
    weak = by[("tls.cipher.weak", "shop.example.org:443")]
    assert weak.severity is Severity.HIGH and "TLS_RSA_WITH_3DES_EDE_CBC_SHA" in weak.evidence
    smb = by[("net.smb.v1", "192.0.2.30:445")]
    assert smb.severity is Severity.CRITICAL and smb.target == "192.0.2.30"
    ftp = by[("net.ftp.anonymous", "192.0.2.40:21")]
    assert ftp.target == "nas.example.org"  # the host name the report gives
    redis = by[("nuclei.exposed-redis", "192.0.2.50:6379")]
    assert redis.severity is Severity.HIGH and redis.references[0] == "CWE-306"
    cve = by[
        (
            "nuclei.cve-2021-41773",
            "http://intranet.example.org:8080/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
        )
    ]
    assert cve.severity is Severity.CRITICAL
    assert cve.references[:2] == ("CVE-2021-41773", "CWE-22")
    mysql = by[("net.exposed.database", "[2001:db8::5]:3306")]
    assert mysql.target == "2001:db8::5"
    # the non-match with an error is counted, not turned into a pass
    assert info.notes == {"nuclei could not run a template on a target (matcher-status error)": 1}
    assert "shop.example.org" in info.targets and "cache.example.org" in info.targets


def test_truncated_line_names_the_line() -> None:
    lines = (HANDMADE / "mappings.jsonl").read_bytes().splitlines(keepends=True)
    cut = b"".join(lines[:2]) + lines[2][:80]
    with pytest.raises(ReportError) as caught:
        read(cut, "nuclei-jsonl")
    assert caught.value.where == "line 3"
    assert "r.jsonl" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "fmt", "where"),
    [
        (b"[1, 2]\n", "nuclei-jsonl", "line 1"),
        (b'{"info": {"name": "x"}, "host": "a"}\n', "nuclei-jsonl", "line 1"),
        (b'{"template-id": "x", "info": {}}\n', "nuclei-jsonl", "line 1"),  # no host at all
        (b'["not a result"]', "nuclei-json", "result #1"),
        (b'{"results": 3}', "nuclei-json", "the result"),
        (b'"a string"', "nuclei-json", "top level"),
    ],
)
def test_wrong_structure_is_a_report_error(data: bytes, fmt: str, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data, fmt)
    assert caught.value.where == where


def test_truncated_json_list() -> None:
    data = (REAL / "multiple_v3.json").read_bytes()[:3000]
    with pytest.raises(ReportError):
        read(data, "nuclei-json")


def test_parse_twice_gives_the_same_output() -> None:
    assert read(HANDMADE / "mappings.jsonl")[1] == read(HANDMADE / "mappings.jsonl")[1]
    assert read(REAL / "multiple_v3.json")[1] == read(REAL / "multiple_v3.json")[1]


def test_extracted_secrets_are_masked() -> None:
    line = (
        b'{"template-id": "aws-access-key-value", "template-path": '
        b'"/root/nuclei-templates/http/exposures/tokens/amazon/aws-access-key-value.yaml", '
        b'"info": {"name": "Amazon Web Services Access Key ID - Detect", "severity": "info", '
        b'"tags": ["file", "keys", "aws", "token"]}, "type": "http", '
        b'"host": "https://shop.example.org", "matched-at": "https://shop.example.org/app.js", '
        b'"extracted-results": ["AKIAIOSFODNN7EXAMPLE"], "matcher-status": true}\n'
    )
    _, items = read(line, "nuclei-jsonl")
    (obs,) = observations(items)
    assert "AKIAIOSFODNN7EXAMPLE" not in obs.evidence
    assert "AKIA… (20 characters, masked)" in obs.evidence


def test_no_nuclei_result_is_mere_information() -> None:
    # A result nuclei reports is a finding (FAIL) whatever its severity; a catalog check it
    # proves fine is a PASS. Status INFO is for what the tool itself does not count as a result.
    for path in [*REAL.iterdir(), HANDMADE / "mappings.jsonl"]:
        if path.suffix in (".json", ".jsonl") and path.stat().st_size:
            obs = observations(read(path)[1])
            assert obs and {o.status for o in obs} <= {Status.FAIL, Status.PASS}, path


def result_line(**fields: object) -> bytes:
    """One nuclei v3 JSONL result (pkg/output ResultEvent), with the fields given."""
    raw: dict[str, object] = {
        "template-id": "custom-probe",
        "info": {"name": "Custom probe", "severity": "medium", "tags": ["custom"]},
        "type": "tcp",
        "host": "db.example.org",
        "matched-at": "db.example.org:5000",
        "ip": "192.0.2.60",
        "timestamp": "2025-03-04T10:00:00Z",
        "matcher-status": True,
    }
    raw.update(fields)
    return json.dumps(raw).encode() + b"\n"


def test_unknown_severity_reads_as_info_and_says_so() -> None:
    lines = [
        result_line(info={"name": "Custom probe", "severity": "unknown"}),  # nuclei's word
        result_line(info={"name": "Custom probe", "severity": "severe"}),  # no level
    ]
    unknown, odd = observations(read(b"".join(lines), "nuclei-jsonl")[1])
    assert (unknown.status, unknown.severity) == (Status.FAIL, Severity.INFO)
    assert "[unknown]" in unknown.evidence and "read as info" not in unknown.evidence
    assert (odd.status, odd.severity) == (Status.FAIL, Severity.INFO)
    assert "[severe]" in odd.evidence and "nuclei severity unknown, read as info" in odd.evidence
    assert unknown.location == "db.example.org:5000" and unknown.target == "db.example.org"


def test_template_facts_are_not_mixed_up_between_json_types() -> None:
    # The facts of a template are computed once per template and wording; 1 == True in
    # Python, but nuclei's severity 1 is a score (low) and true is no severity at all.
    lines = [
        result_line(info={"name": "Probe", "severity": 1}),
        result_line(info={"name": "Probe", "severity": True}),
        result_line(info={"name": "Probe", "severity": 1}),
    ]
    obs = observations(read(b"".join(lines), "nuclei-jsonl")[1])
    assert [o.severity for o in obs] == [Severity.LOW, Severity.INFO, Severity.LOW]
    assert ["unknown, read as info" in o.evidence for o in obs] == [False, True, False]


def test_an_integer_beyond_64_bits_is_read_as_json_reads_it() -> None:
    # orjson would read it as a float (1e+20): the line is left to Python's json
    line = result_line(**{"matched-at": "db.example.org", "port": 10**20})
    (obs,) = observations(read(line, "nuclei-jsonl")[1])
    assert obs.location == f"db.example.org:{10**20}"


def test_lines_orjson_refuses_are_read_by_json() -> None:
    lone_surrogate = result_line(info={"name": "Probe \ud800", "severity": "low"})
    assert b"\\ud800" in lone_surrogate
    not_a_number = result_line().replace(b'"type": "tcp"', b'"type": "tcp", "score": NaN')
    bom = b"\xef\xbb\xbf" + result_line()  # a byte order mark on the first line only
    info, items = read(bom + lone_surrogate + not_a_number, "nuclei-jsonl")
    obs = observations(items)
    assert [o.severity for o in obs] == [Severity.MEDIUM, Severity.LOW, Severity.MEDIUM]
    assert obs[1].title == "Probe \ud800"
    assert str(info.scanned_at) == "2025-03-04 10:00:00+00:00"


def test_a_line_that_is_not_utf8_names_the_line() -> None:
    bad = result_line(info={"name": "Probe", "severity": "low"}).replace(b"Probe", b"Pr\xffbe")
    with pytest.raises(ReportError) as caught:
        read(result_line() + bad, "nuclei-jsonl")
    assert caught.value.where == "line 2" and "not UTF-8" in caught.value.reason


def test_locations_of_one_site_seen_at_many_urls() -> None:
    # Host and port are read from the part of the URL before its path, query or fragment
    # (and remembered per site): every URL of one site must still give its own location.
    urls = [
        "https://Shop.Example.org/a",
        "https://shop.example.org:8443/b?x=1",
        "https://shop.example.org?x=/y",
        "http://shop.example.org#top",
        "shop.example.org:8080/c",
        "https://[2001:db8::7]:8443/d",
    ]
    lines = [
        result_line(**{"template-id": "custom-web", "type": "http", "matched-at": url})
        for url in urls
    ] + [
        result_line(
            **{"template-id": "http-missing-security-headers", "type": "http", "matched-at": url},
            **{"matcher-name": "content-security-policy"},
        )
        for url in urls
    ]
    info, items = read(b"".join(lines), "nuclei-jsonl")
    obs = observations(items)
    assert [o.location for o in obs[:6]] == urls  # nuclei's own findings: the URL itself
    assert [o.location for o in obs[6:]] == [  # catalog checks: the site's origin
        "https://shop.example.org/",
        "https://shop.example.org:8443/",
        "https://shop.example.org/",
        "http://shop.example.org/",
        "https://shop.example.org:8080/",
        "https://[2001:db8::7]:8443/",
    ]
    assert info.targets == {"db.example.org"}  # the host field names the target
