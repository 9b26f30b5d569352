"""SARIF 2.1.0 import.

Real logs: tests/data/reports/sarif/ (DefectDojo's test suite, see its README).
Hand-made: tests/data/reports-handmade/sarif/semantics.sarif, written by us following the
OASIS SARIF 2.1.0 schema (errata 01) in CodeQL's shape, to cover what the real logs lack:
kinds pass/open/review/notApplicable/informational, baselineState absent, suppression status
underReview/accepted, rules in tool.extensions, message templates, results before the tool.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_report
from rempart.importers.base import Item

REAL = Path("tests/data/reports/sarif")
HANDMADE = Path("tests/data/reports-handmade/sarif/semantics.sarif")


def read(path: Path | bytes) -> tuple[ReportInfo, list[Observation]]:
    data = path.read_bytes() if isinstance(path, Path) else path
    info = ReportInfo(name=path.name if isinstance(path, Path) else "log.sarif")
    items: list[Item] = list(read_report(io.BytesIO(data), info, format="sarif"))
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


@pytest.mark.parametrize(
    "file",
    [
        "appendix_k.sarif",
        "bash-report.sarif",
        "dependency_check.sarif",
        "gitleaks_7.5.0.sarif",
        "no_runs.sarif",
        "suppression_test.sarif",
    ],
)
def test_sniff(file: str) -> None:
    assert detect((REAL / file).read_bytes()[:65536]).name == "sarif"


def test_no_runs_is_an_empty_report() -> None:
    info, obs = read(REAL / "no_runs.sarif")
    assert obs == [] and info.targets == set()


def test_spec_appendix_k_example() -> None:
    info, obs = read(REAL / "appendix_k.sarif")
    (result,) = obs
    assert result.check == "codescanner.c2001" and result.source == "codescanner"
    # suppressed externally with status accepted: reviewed and dismissed → info, counted
    assert result.status is Status.INFO and "suppressed (external)" in result.evidence
    assert result.severity is Severity.HIGH  # level error
    assert result.location == "collections/list.h:15"  # relative to SRCROOT
    assert result.target == "https://github.com/example-corp/browser"  # the repository
    # message built from the rule's messageStrings and the result's arguments
    assert 'Variable "ptr" was used without being initialized.' in result.evidence
    assert result.title == "A variable was used without being initialized."
    assert info.tool == "codescanner" and info.tool_version == "2.1"
    assert info.notes == {"CodeScanner results suppressed (imported as info)": 1}


def test_shellcheck_via_sast_scan() -> None:
    info, obs = read(REAL / "bash-report.sarif")
    assert len(obs) == 27
    assert Counter(o.check for o in obs) == {
        "shell-script-analysis.2077": 14,
        "shell-script-analysis.2072": 8,
        "shell-script-analysis.1035": 3,
        "shell-script-analysis.2076": 1,
        "shell-script-analysis.2071": 1,
    }
    assert {o.severity for o in obs} == {Severity.LOW}  # level note, issue_severity LOW
    first = obs[0]
    # absolute file URIs are made relative to the working directory
    assert first.location == "docker/setEnv.sh:134"
    # versionControlProvenance comes after the results in this file: still the target
    assert first.target == "https://github.com/damiencarol/django-DefectDojo"
    assert first.references == ("https://github.com/koalaman/shellcheck/wiki/SC2076",)
    assert "baseline: new" in first.evidence
    assert "if [ ${#}" not in first.evidence  # snippets are never copied
    assert info.scanned_at is not None and info.scanned_at.year == 2021


def test_dependency_check_cves_become_vuln_checks_at_the_package() -> None:
    info, obs = read(REAL / "dependency_check.sarif")
    assert len(obs) == 13
    vulns = [o for o in obs if o.check.startswith("vuln.")]
    assert len(vulns) == 9
    assert Counter(o.location for o in vulns) == {
        "pkg:javascript/jquery@1.8.0.min": 5,
        "pkg:javascript/jquery@1.11.1": 4,
    }
    xss = next(o for o in vulns if o.check == "vuln.CVE-2012-6708")
    assert xss.severity is Severity.MEDIUM  # cvssv3_baseScore 6.1, not level "error"
    assert xss.references == ("CVE-2012-6708",) and xss.rule == "CVE-2012-6708"
    retire = next(o for o in obs if o.rule == "Prototype pollution")
    assert retire.check == "dependency-check.prototype-pollution"
    assert retire.location == "pkg:javascript/handlebars@1.0.0"
    assert retire.severity is Severity.MEDIUM  # properties.severity "medium"
    assert info.tool == "dependency-check" and info.tool_version == "6.1.2"
    assert info.targets == {"dependency_check.sarif"}  # no repository, root or directory


def test_gitleaks_7_results_without_rule_id() -> None:
    _, obs = read(REAL / "gitleaks_7.5.0.sarif")
    assert Counter(o.check for o in obs) == {
        "gitleaks.aws-access-key": 6,
        "gitleaks.asymmetric-private-key": 2,
    }
    assert {o.rule for o in obs} == {"AWS Access Key", "Asymmetric Private Key"}
    assert obs[0].location.endswith("gitlab_secret_detection_report_1_vuln.json:13")
    assert all("AKIAIOSFODNN7EXAMPLE" not in o.evidence for o in obs)  # no secret copied


def test_suppressions() -> None:
    info, obs = read(REAL / "suppression_test.sarif")
    assert [(o.check, o.status) for o in obs] == [
        ("codescanner.tst0001", Status.INFO),
        ("codescanner.tst0002", Status.INFO),
        ("codescanner.tst0003", Status.INFO),
        ("codescanner.tst0004", Status.FAIL),
        ("codescanner.tst0005", Status.FAIL),  # an empty suppressions array
    ]
    assert obs[2].evidence.endswith("suppressed (inSource)")
    assert obs[0].location == "C:/code/file1.c"
    assert info.notes == {"CodeScanner results suppressed (imported as info)": 3}


def test_kinds_baseline_and_extension_rules() -> None:
    info, obs = read(HANDMADE)
    got = [(o.check, o.status, o.severity, o.location) for o in obs]
    assert got == [
        ("codeql.js-reflected-xss", Status.FAIL, Severity.MEDIUM, "src/routes/search.js:42"),
        ("codeql.js-clear-text-logging", Status.FAIL, Severity.HIGH, "src/auth.js:17"),
        ("codeql.js-reflected-xss", Status.PASS, Severity.MEDIUM, "src/routes/legacy.js:8"),
        ("codeql.js-reflected-xss", Status.FAIL, Severity.MEDIUM, "src/routes/admin.js:23"),
        (
            "codeql.js-clear-text-logging",
            Status.INFO,
            Severity.HIGH,
            "test/fixtures/auth.test.js:3",
        ),
        ("codeql.js-missing-rate-limiting", Status.ERROR, Severity.INFO, "routes.account.delete"),
        ("codeql.js-missing-rate-limiting", Status.SKIPPED, Severity.INFO, "src/cli.js:1"),
        ("codeql.js-missing-rate-limiting", Status.PASS, Severity.INFO, "src/routes/login.js:5"),
        ("codeql.js-summary", Status.INFO, Severity.INFO, "src"),
    ]
    xss, logging, gone, review, accepted, open_, not_applicable = obs[:7]
    assert xss.references == (
        "CWE-79",
        "CWE-116",
        "https://codeql.github.com/codeql-query-help/javascript/js-reflected-xss/",
    )
    assert xss.title == "Reflected cross-site scripting" and "security-severity 6.1" in xss.evidence
    assert "res.send" not in xss.evidence
    assert "This logs sensitive data (password) with console.log." in logging.evidence
    assert "needs review" in logging.evidence
    assert "baseline state absent" in gone.evidence
    assert "under review" in review.evidence  # underReview: not suppressed yet
    assert "test fixture, not a real token" in accepted.evidence
    assert open_.reason and not_applicable.reason
    assert {o.target for o in obs} == {"https://git.example.org/acme/portail"}
    assert info.tool == "codeql" and info.tool_version == "2.20.1"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"version": "2.1.0", "runs": {}}', "runs"),
        (b'{"version": "2.1.0", "runs": ["x"]}', "run #1"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": 3}]}',
            "run #1 results",
        ),
        (b'{"version": "2.1.0", "runs": [{"results": ["r"]}]}', "run #1 result #1"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}},'
            b' "results": [{"ruleId": "R1", "message": {"text": "m"}}]}]}',
            "run #1 result #1",
        ),
        (b'{"version": "2.1.0"}', "top level"),
        (b"[]", "top level"),
    ],
)
def test_wrong_structure_is_a_report_error(data: bytes, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data)
    assert caught.value.where == where


def test_truncated_log() -> None:
    with pytest.raises(ReportError) as caught:
        read((REAL / "bash-report.sarif").read_bytes()[:20000])
    assert "log.sarif" in str(caught.value)


def test_parse_twice_gives_the_same_output() -> None:
    assert read(HANDMADE)[1] == read(HANDMADE)[1]
    assert read(REAL / "dependency_check.sarif")[1] == read(REAL / "dependency_check.sarif")[1]
