"""Trivy JSON import (schema version 2 and the legacy list).

Real reports: tests/data/reports/trivy/ (DefectDojo's test suite, see its README).
Hand-made: tests/data/reports-handmade/trivy/image-purl-packages.json, written by us after
Trivy's report struct (pkg/types/report.go, Trivy ≥ 0.58: "Trivy.Version", PkgIdentifier,
Packages, Licenses, misconfiguration Status EXCEPTION) to cover what the real files lack.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_report
from rempart.importers.base import Item
from rempart.intel.model import Component

REAL = Path("tests/data/reports/trivy")
HANDMADE = Path("tests/data/reports-handmade/trivy/image-purl-packages.json")


def read(path: Path | bytes, fmt: str | None = "trivy-json") -> tuple[ReportInfo, list[Item]]:
    data = path.read_bytes() if isinstance(path, Path) else path
    info = ReportInfo(name=path.name if isinstance(path, Path) else "trivy.json")
    return info, list(read_report(io.BytesIO(data), info, format=fmt))


def observations(items: list[Item]) -> list[Observation]:
    return [i for i in items if isinstance(i, Observation)]


@pytest.mark.parametrize(
    "file",
    [
        "all_statuses.json",
        "legacy_many_vulns.json",
        "misconfigurations_and_secrets.json",
        "scheme_2_many_vulns.json",
        "scheme_2_no_vuln.json",
    ],
)
def test_sniff(file: str) -> None:
    assert detect((REAL / file).read_bytes()[:65536]).name == "trivy-json"


def test_every_vulnerability_status() -> None:
    info, items = read(REAL / "all_statuses.json")
    obs = observations(items)
    assert len(obs) == 8
    status = {o.rule: o.status for o in obs}
    # not_affected is the vendor saying the package is safe; every other status is a finding
    assert status == {
        "CVE-2011-3374": Status.FAIL,  # unknown
        "CVE-2019-18276": Status.PASS,  # not_affected
        "TEMP-0841856-B18BAF": Status.FAIL,  # affected
        "CVE-2018-1000876": Status.FAIL,  # fixed: a fix exists, the installed one is vulnerable
        "CVE-2018-12697": Status.FAIL,  # under_investigation
        "CVE-2018-12698": Status.FAIL,  # will_not_fix
        "CVE-2018-12699": Status.FAIL,  # fix_deferred
        "CVE-2018-12934": Status.FAIL,  # end_of_life
    }
    by_rule = {o.rule: o for o in obs}
    assert "status will_not_fix" in by_rule["CVE-2018-12698"].evidence
    assert "status fixed (a fixed version is available)" in by_rule["CVE-2018-1000876"].evidence
    assert "not_affected" in by_rule["CVE-2019-18276"].evidence
    temp = by_rule["TEMP-0841856-B18BAF"]
    assert temp.check == "vuln.TEMP-0841856-B18BAF" and temp.location == "bash@5.0-4"
    assert temp.references == ()
    apt = by_rule["CVE-2011-3374"]
    assert apt.check == "vuln.CVE-2011-3374" and apt.references == ("CVE-2011-3374", "CWE-347")
    assert {o.severity for o in obs} == {Severity.LOW}
    # ArtifactName is empty in this file: the result's Target names the image
    assert {o.target for o in obs} == {"noppaknopsta/example-app:main-159 (debian 10.13)"}
    assert info.scanned_at is not None and info.scanned_at.isoformat().startswith(
        "2024-01-15T08:58:29"
    )


def test_schema_2_image_with_os_and_jar_results() -> None:
    info, items = read(REAL / "scheme_2_many_vulns.json")
    obs = observations(items)
    assert len(obs) == 5
    bz2 = next(o for o in obs if o.rule == "CVE-2019-12900")
    assert bz2.location == "libbz2@1.0.6-r6" and bz2.fix == "1.0.6-r7"
    assert bz2.severity is Severity.CRITICAL and bz2.status is Status.FAIL
    assert bz2.target == "teamdojo:latest (alpine 3.9.4)"
    compress = [o for o in obs if o.location == "org.apache.commons:commons-compress@1.14"]
    assert {o.rule: o.fix for o in compress} == {"CVE-2018-11771": "1.18", "CVE-2018-1324": "1.16"}
    assert {o.target for o in compress} == {"teamdojo:latest (app/libs/commons-compress-1.14.jar)"}
    assert info.targets == {
        "teamdojo:latest",
        "teamdojo:latest (alpine 3.9.4)",
        "teamdojo:latest (app/libs/commons-compress-1.14.jar)",
    }


def test_legacy_top_level_list() -> None:
    _, items = read(REAL / "legacy_many_vulns.json")
    obs = observations(items)
    assert len(obs) == 93
    assert {o.target for o in obs} == {"debian (debian 10.8)"}
    assert {o.status for o in obs} == {Status.FAIL}  # no Status field before Trivy 0.44
    assert sum(o.severity is Severity.HIGH for o in obs) == 18
    assert obs[0].check == "vuln.CVE-2011-3374" and obs[0].location == "apt@1.8.2.2"


def test_misconfigurations_and_secrets() -> None:
    _, items = read(REAL / "misconfigurations_and_secrets.json")
    obs = observations(items)
    assert [(o.check, o.location) for o in obs] == [
        ("vuln.CVE-2021-33503", "urllib3@1.26.3"),
        ("vuln.CVE-2021-28363", "urllib3@1.26.3"),
        ("trivy.ds002", "Dockerfile"),
        ("trivy.github-pat", "Dockerfile:24"),
        ("trivy.github-pat", "secret.txt:1"),
    ]
    ds002 = obs[2]
    assert (ds002.status, ds002.severity) == (Status.FAIL, Severity.HIGH)
    assert ds002.fix == "Add 'USER <non root user name>' line to the Dockerfile"
    assert ds002.title == "Image user should not be 'root'" and ds002.rule == "DS002"
    secret = obs[3]
    assert secret.severity is Severity.CRITICAL and "ENV GITHUB_PAT=*****" in secret.evidence
    # a filesystem scan of "." has no useful artifact name
    assert obs[0].target == "requirements.txt" and obs[0].fix == "1.26.5"


def test_no_vulnerabilities() -> None:
    info, items = read(REAL / "scheme_2_no_vuln.json")
    assert items == []
    assert info.targets == {"trivy-unittest:latest"}


def test_purls_packages_exceptions_and_secret_masking() -> None:
    info, items = read(HANDMADE)
    components = [i for i in items if isinstance(i, Component)]
    assert [(c.name, c.version, c.ecosystem, c.ref) for c in components] == [
        ("libcrypto3", "3.1.4-r5", "Alpine", "c3b0f4d2a1e5b6c7"),
        ("busybox", "1.36.1-r15", "Alpine", "9e8d7c6b5a4f3e2d"),
    ]
    assert components[0].target == "registry.example.org/compta/webapp:1.4.2 (alpine 3.19.1)"
    obs = {o.rule: o for o in observations(items)}
    # the purl without qualifiers is the location
    assert obs["CVE-2024-0727"].location == "pkg:apk/alpine/libcrypto3@3.1.4-r5"
    assert obs["GHSA-xxxx-9999-test"].check == "vuln.GHSA-XXXX-9999-TEST"
    assert obs["GHSA-xxxx-9999-test"].location == "pkg:pypi/pyjwt@2.3.0"
    # Severity UNKNOWN falls back to the CVSS score Trivy lists (5.5)
    assert obs["CVE-2023-42366"].severity is Severity.MEDIUM
    assert "best CVSS score, 5.5" in obs["CVE-2023-42366"].evidence
    waived = obs["DS026"]
    assert (waived.status, waived.location) == (Status.INFO, "Dockerfile")
    assert obs["DS001"].location == "Dockerfile:1"
    # misconfigurations and secrets: the artifact is the target, the file is in the location
    assert waived.target == "registry.example.org/compta/webapp:1.4.2"
    leak = obs["aws-access-key-id"]
    assert leak.location == "app/settings.py:12" and leak.check == "trivy.aws-access-key-id"
    assert "AKIAIOSFODNN7EXAMPLE" not in leak.evidence  # an unmasked match is never copied
    assert "withheld" in leak.evidence
    assert info.tool_version == "0.58.1"
    assert info.notes == {
        "Trivy misconfigurations waived by a policy exception (imported as info)": 1,
        "Trivy license findings (not imported)": 1,
    }


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"SchemaVersion": 2, "Results": "none"}', "Results"),
        (
            b'{"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": 5}]}',
            "result #1 Vulnerabilities",
        ),
        (
            b'{"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": '
            b'[{"VulnerabilityID": "CVE-2020-1234", "InstalledVersion": "1"}]}]}',
            "result #1 (t) vulnerability #1",
        ),
        (b'{"SchemaVersion": 2, "Results": ["t"]}', "result #1"),
        (b'{"something": "else"}', "top level"),
        (b"42", "top level"),
    ],
)
def test_wrong_structure_is_a_report_error(data: bytes, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data)
    assert caught.value.where == where


def test_truncated_report() -> None:
    data = (REAL / "scheme_2_many_vulns.json").read_bytes()[:5000]
    with pytest.raises(ReportError) as caught:
        read(data)
    assert "trivy.json" in str(caught.value)


def test_results_before_the_target_is_known() -> None:
    # Trivy writes Target first; a hand-reordered file must give the same observations.
    data = (
        b'{"SchemaVersion": 2, "ArtifactName": "img", "Results": [{"Vulnerabilities": '
        b'[{"VulnerabilityID": "CVE-2020-1234", "PkgName": "zlib", "InstalledVersion": "1.2",'
        b' "Severity": "HIGH"}], "Target": "img (debian 12)"}]}'
    )
    _, items = read(data)
    (obs,) = observations(items)
    assert (obs.target, obs.location) == ("img (debian 12)", "zlib@1.2")


def test_parse_twice_gives_the_same_output() -> None:
    assert read(HANDMADE)[1] == read(HANDMADE)[1]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_report_names_the_encoding(encoding: str) -> None:
    # Windows PowerShell 5.1 writes `trivy ... > out.json` as UTF-16 (LE, with a BOM)
    data = (REAL / "scheme_2_many_vulns.json").read_text(encoding="utf-8").encode(encoding)
    with pytest.raises(ReportError) as caught:
        read(data)
    assert "UTF-16" in caught.value.reason and caught.value.where == "byte 0"
