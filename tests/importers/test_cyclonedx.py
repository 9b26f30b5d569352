"""CycloneDX JSON import (components, vulnerabilities, VEX).

Real BOMs: tests/data/reports/cyclonedx/ (DefectDojo's test suite, see its README).
Hand-made: tests/data/reports-handmade/cyclonedx/vex-1.6.cdx.json, written by us following
the CycloneDX 1.6 JSON schema, to cover what the real BOMs lack: VEX states exploitable,
resolved, false_positive, affects.versions marked unaffected, a BOM-link to another BOM, a ref
to no component, 1.5+ metadata.tools, CVSSv4 and vector-only ratings, nested components.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_report
from rempart.importers.base import Item
from rempart.intel.model import Component

REAL = Path("tests/data/reports/cyclonedx")
HANDMADE = Path("tests/data/reports-handmade/cyclonedx/vex-1.6.cdx.json")


def read(path: Path | bytes) -> tuple[ReportInfo, list[Component], list[Observation]]:
    data = path.read_bytes() if isinstance(path, Path) else path
    info = ReportInfo(name=path.name if isinstance(path, Path) else "bom.json")
    items: list[Item] = list(read_report(io.BytesIO(data), info, format="cyclonedx-json"))
    components = [i for i in items if isinstance(i, Component)]
    observations = [i for i in items if isinstance(i, Observation)]
    assert len(components) + len(observations) == len(items)
    return info, components, observations


@pytest.mark.parametrize("file", sorted(p.name for p in REAL.glob("*.json")))
def test_sniff(file: str) -> None:
    assert detect((REAL / file).read_bytes()[:65536]).name == "cyclonedx-json"


def test_jake_pypi_bom() -> None:
    info, components, obs = read(REAL / "jake2.json")
    assert len(components) == 67 and len(obs) == 7
    assert {c.ecosystem for c in components} == {"PyPI"}
    assert {c.source for c in components} == {"cyclonedx"}
    django = next(c for c in components if c.name == "Django")
    assert (django.version, django.purl) == ("2.0", "pkg:pypi/django@2.0")
    assert django.ref == "6290db55-8336-4d2b-9cec-2efdda9f1b28"
    assert {o.location for o in obs} == {"pkg:pypi/django@2.0"}
    # OSS Index ids are UUIDs; the CVE in "references" names the check
    assert sorted(o.check for o in obs) == [
        "vuln.CVE-2018-14574",
        "vuln.CVE-2018-6188",
        "vuln.CVE-2018-7536",
        "vuln.CVE-2018-7537",
        "vuln.CVE-2019-3498",
        "vuln.CVE-2019-6975",
        "vuln.CVE-2021-33203",
    ]
    first = next(o for o in obs if o.check == "vuln.CVE-2021-33203")
    assert first.rule == "c7129ff8-08bc-4afe-82ec-7d97b9491741"
    assert first.severity is Severity.HIGH  # CVSSv3 7.5
    assert first.status is Status.FAIL  # no analysis
    assert info.tool_version == "cyclonedx-python-lib 1.3.0"
    assert info.targets == {"jake2.json"}  # no metadata.component


def test_grype_log4j_in_triage() -> None:
    info, components, obs = read(REAL / "log4j.json")
    (log4j,) = components
    assert log4j.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"
    assert log4j.ecosystem == "Maven"
    assert [o.check for o in obs] == [
        "vuln.CVE-2021-44228",
        "vuln.CVE-2021-44832",
        "vuln.CVE-2021-45046",
        "vuln.CVE-2021-45105",
        "vuln.GHSA-7RJR-3Q55-VV33",
        "vuln.GHSA-8489-44MV-GGJ8",
        "vuln.GHSA-JFH8-C2JP-5V3Q",
        "vuln.GHSA-P6XC-XR62-6R2G",
    ]
    # the ref carries ?package-id=…; the location is the purl without qualifiers
    assert {o.location for o in obs} == {"pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"}
    assert {o.status for o in obs} == {Status.FAIL}  # in_triage
    assert "VEX analysis: in_triage" in obs[0].evidence
    # CVSSv3.1 10.0 wins over the method-less "critical"; CVSSv3.1 6.6 → medium
    assert [o.severity for o in obs[:2]] == [Severity.CRITICAL, Severity.MEDIUM]
    assert obs[4].severity is Severity.CRITICAL  # GHSA: only a severity word
    target = "./configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2"
    assert info.targets == {target} and obs[0].target == target
    assert info.tool_version == "grype 0.41.0"


def test_nested_components_are_flattened() -> None:
    _, components, obs = read(REAL / "nested-component-log4j.json")
    assert [(c.name, c.version) for c in components] == [
        ("testcontainer:test", ""),
        ("log4j-core", "2.13.2"),
    ]
    assert len(obs) == 8
    assert {o.location for o in obs} == {"pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"}


@pytest.mark.parametrize("file", ["valid-vulnerability-1.4.json", "issue_8022.json"])
def test_not_affected_is_a_pass(file: str) -> None:
    _, components, (obs,) = read(REAL / file)
    assert components[0].vendor == "com.fasterxml.jackson.core"
    assert obs.check == "vuln.CVE-2018-7489"  # the Snyk id has the CVE as a reference
    assert obs.rule == "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111"
    assert obs.status is Status.PASS
    assert "not_affected (code_not_reachable)" in obs.evidence
    assert obs.references == ("CVE-2018-7489", "CWE-184", "CWE-502")
    assert obs.severity is Severity.CRITICAL


def test_recommendation_is_the_fix() -> None:
    _, _, (obs,) = read(REAL / "valid-vulnerability-1.4.json")
    assert obs.fix.startswith("Upgrade com.fasterxml.jackson.core:jackson-databind to version")


def test_vex_states_and_references() -> None:
    info, components, obs = read(HANDMADE)
    assert [c.name for c in components] == ["log4j-core", "lodash", "debian", "openssl", "requests"]
    openssl = components[3]
    assert (openssl.ecosystem, openssl.cpe) == (
        "Debian",
        "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*",
    )
    assert components[0].vendor == "org.apache.logging.log4j"  # group before supplier
    assert components[1].vendor == "OpenJS Foundation"  # publisher
    assert [(o.check, o.status, o.severity, o.location) for o in obs] == [
        (
            "vuln.CVE-2021-44228",
            Status.FAIL,  # exploitable
            Severity.CRITICAL,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        ),
        # GHSA id with a CVE alias; vector-only CVSS 3.1 rating computed to 7.2
        ("vuln.CVE-2021-23337", Status.PASS, Severity.HIGH, "pkg:npm/lodash@4.17.20"),
        # resolved; the CVSSv4 rating wins over the method-less "low"
        (
            "vuln.CVE-2023-5678",
            Status.PASS,
            Severity.MEDIUM,
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2",
        ),
        # no analysis, but the installed version is listed as unaffected
        ("vuln.CVE-2024-35195", Status.PASS, Severity.MEDIUM, "pkg:pypi/requests@2.31.0"),
        # false_positive on a component of another BOM (BOM-link): located by its purl
        (
            "vuln.CVE-2022-42889",
            Status.PASS,
            Severity.INFO,
            "pkg:maven/org.apache.commons/commons-text@1.9",
        ),
        ("vuln.CVE-2024-6387", Status.FAIL, Severity.HIGH, "component-not-in-this-bom"),
    ]
    log4j, lodash = obs[0], obs[1]
    assert log4j.fix == "2.17.1"  # the unaffected version listed in affects
    assert log4j.references == ("CVE-2021-44228", "CWE-502", "CWE-400", "CWE-20")
    assert "exploitable, response update" in log4j.evidence
    assert lodash.rule == "GHSA-35jh-r3h4-6jhm"
    assert "template() is never called" in lodash.evidence
    assert obs[3].fix == "2.32.0"  # not the installed 2.31.0
    assert "severity unknown" in obs[4].evidence
    assert {o.target for o in obs} == {"portail-clients@2.3.0"}
    assert info.tool_version == "trivy 0.58.1"
    assert info.notes == {
        "CycloneDX services (only components are imported)": 1,
        "VEX/vulnerability refers to a component that is not in this BOM": 2,
    }


def test_components_before_metadata_get_the_subject_as_target() -> None:
    data = (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": '
        b'[{"type": "library", "name": "zlib", "version": "1.2.11"}],'
        b' "metadata": {"component": {"type": "device", "name": "nas", "version": "7.2"}}}'
    )
    _, (zlib,), _ = read(data)
    assert zlib.target == "nas@7.2"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "none"}', "components"),
        (b'{"bomFormat": "CycloneDX", "components": [3]}', "component #1"),
        (
            b'{"bomFormat": "CycloneDX", "components": [{"name": "a", "components": {"x": 1}}]}',
            "component #1",
        ),
        (
            b'{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-2020-1", "affects": []}]}',
            "vulnerability #1",
        ),
        (
            b'{"bomFormat": "CycloneDX", "vulnerabilities": [{"affects": [{"ref": "a"}]}]}',
            "vulnerability #1",
        ),
        (b'{"bomFormat": "SPDX"}', "bomFormat"),
        (b'{"specVersion": "1.5", "components": []}', "top level"),
        (b'["CycloneDX"]', "top level"),
    ],
)
def test_wrong_structure_is_a_report_error(data: bytes, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data)
    assert caught.value.where == where


def test_truncated_bom() -> None:
    with pytest.raises(ReportError) as caught:
        read((REAL / "jake2.json").read_bytes()[:10000])
    assert "bom.json" in str(caught.value)


def test_byte_order_mark_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + (REAL / "log4j.json").read_bytes()
    assert detect(data).name == "cyclonedx-json"
    assert len(read(data)[2]) == 8


def test_parse_twice_gives_the_same_output() -> None:
    assert read(HANDMADE) == read(HANDMADE)
