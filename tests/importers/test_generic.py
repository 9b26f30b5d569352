"""The generic findings format: rempart's own (the complete examples of docs/importers-generic.md
are read from the document itself, so the documentation cannot drift from the parser) and
DefectDojo's "Generic Findings Import" (its real samples in tests/data/reports/generic/).

The short inline documents below are hand-written after the format's documentation (rempart's:
docs/importers-generic.md; DefectDojo's: docs "Generic Findings Import" and
dojo/tools/generic/json_parser.py) to isolate one rule each.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_path, read_report
from rempart.importers.base import HEAD_BYTES
from rempart.importers.formats import generic

ROOT = Path(__file__).resolve().parent.parent.parent
REAL = ROOT / "tests" / "data" / "reports" / "generic"
DOC = (ROOT / "docs" / "importers-generic.md").read_text(encoding="utf-8")


def doc_example(name: str, language: str) -> bytes:
    found = re.search(rf"<!-- example: {name} -->\n```{language}\n(.*?)```", DOC, re.DOTALL)
    assert found, f"docs/importers-generic.md lost its {name} example"
    return found.group(1).encode()


def parse(data: bytes | str, fmt: str | None = None) -> tuple[ReportInfo, list[Observation]]:
    raw = data.encode() if isinstance(data, str) else data
    info = ReportInfo(name="inline")
    items = list(read_report(io.BytesIO(raw), info, format=fmt))
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


def rempart_json(*findings: dict[str, Any], **header: Any) -> str:
    return json.dumps({"tool": "netcheck", **header, "findings": list(findings)})


def summary(items: list[Observation]) -> list[tuple[str, Status, Severity, str]]:
    return [(o.check, o.status, o.severity, o.location) for o in items]


DOCUMENTED = [
    ("tls.protocol.tls10", Status.FAIL, Severity.MEDIUM, "shop.example.fr:443"),
    ("web.hsts.missing", Status.FAIL, Severity.MEDIUM, "https://shop.example.fr/"),
    ("netcheck.printer-open-admin", Status.FAIL, Severity.HIGH, "192.0.2.40:8080"),
    ("vuln.CVE-2020-11022", Status.FAIL, Severity.MEDIUM, "pkg:npm/jquery@3.4.1"),
    ("vuln.CVE-2020-11023", Status.FAIL, Severity.MEDIUM, "pkg:npm/jquery@3.4.1"),
    ("net.smb.v1", Status.PASS, Severity.CRITICAL, "192.0.2.10:445"),
]


# -- rempart's format, as documented -------------------------------------------------------


def test_the_documented_json_example_gives_the_documented_observations() -> None:
    info, items = parse(doc_example("generic-json", "json"))
    assert info.format == "generic-json"  # detected
    assert (info.tool, info.tool_version) == ("netcheck", "2.3.1")
    assert info.scanned_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert summary(items) == DOCUMENTED
    tls10, hsts, printer, jquery, _, smb = items
    assert tls10.rule == "TLS-OLD-PROTO" and tls10.source == "netcheck"
    assert tls10.fix == "Disable TLS 1.0 and 1.1 in the web server configuration."
    assert "tool severity: medium" in tls10.evidence and tls10.title == ""
    assert hsts.target == "shop.example.fr"
    assert printer.title == "Printer admin page without password"
    assert printer.references == ("CWE-306", "https://cwe.mitre.org/data/definitions/306.html")
    assert jquery.references == ("CVE-2020-11022",) and jquery.fix == "3.5.0"
    assert jquery.target == "shop.example.fr"
    assert smb.evidence.endswith("Only SMB 2.1 and 3.1.1 were negotiated.")
    assert info.targets == {"shop.example.fr", "192.0.2.40", "192.0.2.10"}


def test_the_documented_csv_example_gives_the_same_observations() -> None:
    info, items = parse(doc_example("generic-csv", "csv"))
    assert info.format == "generic-csv" and info.tool == "netcheck"
    assert info.scanned_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert summary(items) == DOCUMENTED
    assert items[2].references == ("CWE-306",)
    assert items[2].evidence == "GET /admin answered 200, no authentication."


def test_findings_before_the_tool_name_wait_for_it() -> None:
    text = json.dumps({"findings": [{"title": "Open admin", "host": "a.example"}], "tool": "x y"})
    info, (only,) = parse(text)
    assert only.check == "x-y.open-admin" and only.source == "x-y" and info.tool == "x-y"


def test_severity_words_scores_vectors_and_absence() -> None:
    _, items = parse(
        rempart_json(
            {"title": "a", "host": "h", "severity": 9.8},
            {"title": "b", "host": "h", "severity": "Moderate"},
            {"title": "c", "host": "h"},
            {"title": "d", "host": "h", "severity": "urgent-ish"},
            {"title": "e", "host": "h", "cvssv3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
        )
    )
    assert [o.severity for o in items] == [
        Severity.CRITICAL,
        Severity.MEDIUM,
        Severity.INFO,
        Severity.INFO,
        Severity.CRITICAL,
    ]
    assert items[2].evidence == "no severity given: imported as info"
    assert items[3].evidence == "unknown severity 'urgent-ish': imported as info"
    assert items[4].evidence.startswith("severity from cvssv3 (9.8)")


def test_locations_follow_each_family_convention() -> None:
    _, items = parse(
        rempart_json(
            {"title": "t", "check": "tls.protocol.tls11", "url": "https://Shop.Example:8443/x"},
            {"title": "w", "check": "web.csp.missing", "host": "shop.example", "port": 8443},
            {
                "title": "p",
                "check": "web.https_redirect.missing",
                "url": "http://shop.example:80/a",
            },
            {"title": "d", "check": "mail.dmarc.missing", "host": "shop.example"},
            {
                "title": "v",
                "check": "vuln.GHSA-xxxx",
                "component": "pkg:deb/debian/curl@7.88?arch=amd64",
            },
            {"title": "r", "host": "2001:db8::5", "port": 3389, "rule": "RDP"},
        )
    )
    assert [o.location for o in items] == [
        "shop.example:8443",
        "https://shop.example:8443/",
        "http://shop.example/",
        "shop.example",
        "pkg:deb/debian/curl@7.88",
        "[2001:db8::5]:3389",
    ]
    assert items[-1].check == "netcheck.rdp"


def test_status_words_are_fail_pass_info() -> None:
    _, items = parse(
        rempart_json(
            {"title": "a", "host": "h", "status": "PASS"},
            {"title": "b", "host": "h", "status": "info"},
            {"title": "c", "host": "h"},
        )
    )
    assert [o.status for o in items] == [Status.PASS, Status.INFO, Status.FAIL]


@pytest.mark.parametrize(
    ("finding", "where", "reason"),
    [
        ({}, "finding 1", 'has no title (every finding needs a "title")'),
        ({"title": "x"}, "finding 1", "does not say where: give host (and port), url or component"),
        ({"title": "x", "host": "h", "check": "tls.old"}, "finding 1", "not a rempart catalog id"),
        ({"title": "x", "host": "h", "check": "net.exposed.rdp"}, "finding 1", "needs a port"),
        ({"title": "x", "host": "h", "status": "open"}, "finding 1", "status 'open' is not one of"),
        ({"title": "x", "check": "vuln.CVE-2021-44228"}, "finding 1", "needs a component"),
        (
            {"title": "x", "check": "web.hsts.missing", "url": "https://[x/"},
            "finding 1",
            "not valid",
        ),
        ("just text", "finding 1", "not an object"),
    ],
    ids=[
        "empty",
        "nowhere",
        "unknown-check",
        "net-without-port",
        "bad-status",
        "vuln-no-component",
        "bad-url",
        "not-object",
    ],
)
def test_bad_findings_are_report_errors_naming_the_finding(
    finding: object, where: str, reason: str
) -> None:
    with pytest.raises(ReportError) as caught:
        parse(json.dumps({"tool": "netcheck", "findings": [finding]}))
    assert caught.value.where == where
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("text", "fmt", "where", "reason"),
    [
        ('{"tool": "x", "findings": {"a": 1}}', "generic-json", "findings", "must be a list"),
        ('{"tool": "x", "findings": null}', "generic-json", "findings", "must be a list"),
        ('{"tool": "x"}', "generic-json", "top level", 'no "findings" list'),
        ('[{"title": "x"}]', "generic-json", "", "must be an object"),
        ("name,severity\nx,high\n", "generic-csv", "line 1", 'no "title" column'),
        ("tool,title,host\n,Open port,h\n", "generic-csv", "line 2", "has no tool"),
        ("tool,title,host\nx,Open port,h,extra\n", "generic-csv", "line 2", "more cells"),
    ],
    ids=[
        "findings-object",
        "findings-null",
        "no-findings",
        "top-list",
        "csv-no-title",
        "csv-no-tool",
        "csv-extra-cell",
    ],
)
def test_bad_documents_are_report_errors_saying_where(
    text: str, fmt: str, where: str, reason: str
) -> None:
    with pytest.raises(ReportError) as caught:
        parse(text, fmt)
    assert reason in caught.value.reason
    if where:
        assert caught.value.where == where


def test_a_truncated_json_file_is_a_report_error() -> None:
    data = doc_example("generic-json", "json")
    with pytest.raises(ReportError, match="malformed or truncated"):
        parse(data[: len(data) // 2], "generic-json")


def test_empty_findings_and_a_header_only_csv_are_empty_reports() -> None:
    assert parse('{"tool": "x", "findings": []}')[1] == []
    assert parse("tool,title,severity,host\n", "generic-csv")[1] == []


def test_a_byte_order_mark_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + doc_example("generic-json", "json")
    assert summary(parse(data)[1]) == DOCUMENTED


# -- DefectDojo's Generic Findings Import --------------------------------------------------


def test_defectdojo_empty_object_is_refused_with_the_finding_number() -> None:
    with pytest.raises(ReportError) as caught:
        read_path(REAL / "generic_empty.json")
    assert str(caught.value) == (
        'generic_empty.json: finding 1: has no title (every finding needs a "title")'
    )


def test_defectdojo_findings_without_endpoint_land_on_the_imported_asset() -> None:
    info, items = read_path(REAL / "generic_report1.json")
    assert info.tool == "generic"
    first, second = items
    assert isinstance(first, Observation) and isinstance(second, Observation)
    assert (first.check, first.status, first.severity, first.location) == (
        "generic.test1",
        Status.FAIL,
        Severity.MEDIUM,
        "",
    )
    assert first.rule == "TEST1" and first.title == "test title"
    assert first.references == ("CVE-2020-36234", "CWE-261")
    assert second.check == "generic.test2" and second.references == ("CVE-2020-36235", "CWE-287")
    assert "impact: Some impact" in first.evidence
    assert info.notes == {
        "DefectDojo findings without endpoint, file or component (on the imported asset)": 2
    }


def test_defectdojo_endpoints_file_paths_and_mitigation() -> None:
    _, items = read_path(REAL / "generic_report3.json")
    observed = [o for o in items if isinstance(o, Observation)]
    assert [(o.status, o.severity, o.location, o.target) for o in observed] == [
        (Status.FAIL, Severity.MEDIUM, "exemple.com", "exemple.com"),
        (
            Status.FAIL,
            Severity.CRITICAL,
            "http://urlfiltering.paloaltonetworks.com/test-command-and-control",
            "urlfiltering.paloaltonetworks.com",
        ),
        (
            Status.FAIL,
            Severity.CRITICAL,
            "https://urlfiltering.paloaltonetworks.com:2345/test-pest",
            "urlfiltering.paloaltonetworks.com",
        ),
        (Status.PASS, Severity.CRITICAL, "src/threeeeeeeeee.cpp:1353", ""),
        (Status.PASS, Severity.CRITICAL, "src/threeeeeeeeee.cpp:1353", ""),
    ]
    assert "file: src/first.cpp:13" in observed[0].evidence
    assert observed[0].fix == "Some mitigation"
    assert "mitigated in the source on 2021-01-16" in observed[3].evidence
    assert observed[3].check == "generic.test-title-mitigated"


def test_defectdojo_kev_and_cvss4_fields_go_to_the_evidence() -> None:
    _, items = read_path(REAL / "generic_report_kev_cvssv4.json")
    first = items[0]
    assert isinstance(first, Observation)
    assert "known exploited (per the source), KEV since 2024-05-01" in first.evidence
    assert "cvssv4: CVSS:4.0/AV:N/AC:L/PR:H/UI:R/S:C/C:L/I:L/A:N" in first.evidence


def test_defectdojo_csv_urls_cwe_and_mitigated_rows() -> None:
    info, items = read_path(REAL / "generic_report1.csv")
    assert info.format == "generic-csv"
    assert [(o.check, o.severity, o.location, o.references) for o in items] == [  # type: ignore[union-attr]
        ("generic.asdf", Severity.LOW, f"https://vulnerable.endpoint.com/{path}", (f"CWE-{n}",))
        for n, path in enumerate(
            [
                "resource1/asdf",
                "resource2/qwerty",
                "resource3/asdf",
                "resource4/asdf",
                "resource5/asdf",
            ],
            1,
        )
    ]
    _, mitigated = read_path(REAL / "generic_report3.csv")
    assert [o.status for o in mitigated] == [Status.PASS, Status.PASS]  # type: ignore[union-attr]
    assert "mitigated in the source on 28/03/2021" in mitigated[1].evidence  # type: ignore[union-attr]


def test_defectdojo_flags_false_positive_inactive_and_risk_accepted() -> None:
    findings = [
        {"title": "fp", "severity": "High", "description": "d", "false_p": True},
        {"title": "off", "severity": "High", "description": "d", "active": False},
        {"title": "ok", "severity": "High", "description": "d", "risk_accepted": True},
        {
            "title": "pkg",
            "severity": "High",
            "description": "d",
            "component_name": "log4j-core",
            "component_version": "2.14.1",
            "cve": "CVE-2021-44228",
        },
    ]
    info, items = parse(json.dumps({"type": "Acme Console", "findings": findings}))
    assert [o.status for o in items] == [Status.INFO, Status.PASS, Status.FAIL, Status.FAIL]
    assert "marked false positive in the source" in items[0].evidence
    assert "risk accepted in the source" in items[2].evidence
    assert (items[3].check, items[3].location) == ("vuln.CVE-2021-44228", "log4j-core@2.14.1")
    assert items[0].check == "acme-console.fp" and info.tool == "acme-console"
    assert info.notes["findings marked false positive in the source (imported as info)"] == 1


# -- detection and determinism --------------------------------------------------------------

SAMPLES = [p for p in sorted(REAL.iterdir()) if p.name != "generic_empty.json"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_each_defectdojo_sample_is_detected_and_reads_the_same_twice(path: Path) -> None:
    with path.open("rb") as fh:
        expected = "generic-csv" if path.suffix == ".csv" else "generic-json"
        assert detect(fh.read(HEAD_BYTES), path.name).name == expected
    assert read_path(path) == read_path(path)


def test_the_module_declares_both_formats_for_the_registry() -> None:
    assert [s.name for s in generic.SPECS] == ["generic-json", "generic-csv"]
    assert generic.check_slug("My Tool", "Rule/42 é") == "my-tool.rule-42--"
