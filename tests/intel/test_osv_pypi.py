"""OSV matching on the real PyPA advisory database (the shipped snapshot and its YAML source).

Expected values were read in /work/shared/data/osv-pypi/vulns/<package>/<id>.yaml.
"""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from rempart.intel.matchstats import MatchStats
from rempart.intel.model import Component
from rempart.intel.osv import OsvIndex
from rempart.intel.osv_records import compact_record
from rempart.intel.store import Intel

VULNS = Path("/work/shared/data/osv-pypi/vulns")


def pypi(name: str, version: str) -> Component:
    return Component(name, version, purl=f"pkg:pypi/{name}@{version}")


def ids(intel: Intel, component: Component) -> dict[str, tuple[str, ...]]:
    return {m.advisory: m.fixed for m in intel.match([component])}


def test_django_3_2_5_gets_the_fix_of_its_own_branch(intel: Intel) -> None:
    # PYSEC-2021-439 (CVE-2021-44420): introduced 2.2 fixed 2.2.25, 3.1 -> 3.1.14, 3.2 -> 3.2.10
    found = {m.advisory: m for m in intel.match([pypi("django", "3.2.5")])}
    assert found["PYSEC-2021-439"].fixed == ("3.2.10",)
    assert "CVE-2021-44420" in found["PYSEC-2021-439"].cves
    assert found["PYSEC-2021-439"].source == "osv"


def test_django_in_another_branch_gets_that_branchs_fix(intel: Intel) -> None:
    assert ids(intel, pypi("django", "2.2.24"))["PYSEC-2021-439"] == ("2.2.25",)
    assert ids(intel, pypi("django", "3.1.13"))["PYSEC-2021-439"] == ("3.1.14",)


def test_the_fixed_version_and_a_version_between_branches_are_not_affected(intel: Intel) -> None:
    assert "PYSEC-2021-439" not in ids(intel, pypi("django", "3.2.10"))
    assert "PYSEC-2021-439" not in ids(intel, pypi("django", "3.0.14"))  # 3.0 branch: no range
    assert ids(intel, pypi("django", "5.1.2")) == {}  # newer than every advisory of 2024-10-10


def test_jinja2_2_10_and_its_fixes(intel: Intel) -> None:
    # PYSEC-2019-217 (CVE-2019-10906): introduced 0, fixed 2.10.1
    found = {m.advisory: m for m in intel.match([pypi("jinja2", "2.10")])}
    assert found["PYSEC-2019-217"].fixed == ("2.10.1",)
    assert set(found["PYSEC-2019-217"].aliases) == {"CVE-2019-10906", "GHSA-462w-v97r-4m45"}
    assert found["PYSEC-2021-66"].fixed == ("2.11.3",)  # CVE-2020-28493
    assert "PYSEC-2019-217" not in ids(intel, pypi("jinja2", "2.10.1"))


def test_pep_503_names_and_pep_440_versions(intel: Intel) -> None:
    by_ecosystem = Component("Jinja2", "2.10", ecosystem="PyPI")
    assert "PYSEC-2019-217" in {m.advisory for m in intel.match([by_ecosystem])}
    spelled = Component("Jinja_2", "2.10.0", purl="pkg:pypi/JINJA2@2.10.0")  # 2.10.0 == 2.10
    assert "PYSEC-2019-217" in {m.advisory for m in intel.match([spelled])}


def test_requests_ranges_and_the_git_ranges_beside_them(intel: Intel) -> None:
    # PYSEC-2018-28 (CVE-2018-18074): ECOSYSTEM introduced 0 fixed 2.20.0 (+ a GIT range)
    # PYSEC-2023-74 (CVE-2023-32681): introduced 2.3.0 fixed 2.31.0
    found = ids(intel, pypi("requests", "2.19.0"))
    assert found["PYSEC-2018-28"] == ("2.20.0",)
    assert found["PYSEC-2023-74"] == ("2.31.0",)
    assert ids(intel, pypi("requests", "2.31.0")) == {}
    assert "PYSEC-2023-74" not in ids(intel, pypi("requests", "2.2.1"))  # before introduced


def test_werkzeug_carries_the_records_cvss_vector(intel: Intel) -> None:
    # PYSEC-2023-221: fixed 2.3.8 and 3.0.1, CVSS:3.1/…/A:H = 7.5
    match = next(
        m for m in intel.match([pypi("werkzeug", "3.0.0")]) if m.advisory == "PYSEC-2023-221"
    )
    assert match.fixed == ("3.0.1",)
    assert match.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    assert match.severity == "high"
    assert ids(intel, pypi("werkzeug", "2.3.7"))["PYSEC-2023-221"] == ("2.3.8",)


def test_last_affected_includes_that_version_and_excludes_the_next(intel: Intel) -> None:
    # PYSEC-2022-42969 (py, CVE-2022-42969): introduced 0, last_affected 1.11.0; no fix known
    assert ids(intel, pypi("py", "1.11.0")) == {"PYSEC-2022-42969": ()}
    assert ids(intel, pypi("py", "1.11.1")) == {}


def test_a_record_with_only_a_versions_list_matches_those_versions(intel: Intel) -> None:
    # PYSEC-2024-1: gratient 0.5 contained credential-harvesting code; no ranges at all
    assert ids(intel, pypi("gratient", "0.5")) == {"PYSEC-2024-1": ()}
    assert ids(intel, pypi("gratient", "0.5.0")) == {"PYSEC-2024-1": ()}  # PEP 440 equal
    assert ids(intel, pypi("gratient", "0.6")) == {}


def _yaml(path: Path) -> dict[str, Any]:
    with path.open() as stream:
        record: dict[str, Any] = yaml.load(stream, Loader=yaml.BaseLoader)
    return record


def test_withdrawn_records_are_skipped_by_the_index_and_left_out_of_the_snapshot() -> None:
    withdrawn = _yaml(VULNS / "redis/PYSEC-2023-73.yaml")  # withdrawn 2023-06-06
    assert withdrawn["withdrawn"]
    index = OsvIndex()
    index.add(withdrawn)
    assert index.stats.withdrawn == 1
    assert index.match(pypi("redis", "2.10.6")) == []  # listed in its versions[]
    assert compact_record(withdrawn) is None
    packed = resources.files("rempart.intel.data").joinpath("osv-pypi.jsonl.gz").read_bytes()
    snapshot_ids = {json.loads(line)["id"] for line in gzip.decompress(packed).splitlines()}
    assert "PYSEC-2023-73" not in snapshot_ids
    assert len(snapshot_ids) == 2651  # 2,661 files, 10 withdrawn


def test_the_compact_snapshot_matches_like_the_yaml_source() -> None:
    source = OsvIndex()
    for path in sorted((VULNS / "django").glob("*.yaml")):
        source.add(_yaml(path))
    compact = OsvIndex()
    for path in sorted((VULNS / "django").glob("*.yaml")):
        record = compact_record(_yaml(path))
        if record is not None:
            compact.add(record)
    assert source.stats.git_ranges > 0 and compact.stats.git_ranges == 0  # GIT ranges dropped
    for version in ("1.4", "1.11.28", "2.2.24", "3.2.5", "4.0.1", "4.2.16", "5.0.2"):
        component = pypi("django", version)
        expected = [(m.advisory, m.fixed) for m in source.match(component)]
        assert [(m.advisory, m.fixed) for m in compact.match(component)] == expected


def test_an_unparsable_version_matches_nothing_and_is_counted(intel: Intel) -> None:
    stats = MatchStats()
    assert intel.match([pypi("django", "not a version")], stats) == []
    assert stats.unparsable == ["PyPI django not a version"]
    assert stats.components == 1 and stats.matched == 0


@pytest.mark.parametrize("version", ["", "   "])
def test_a_component_without_version_matches_nothing(intel: Intel, version: str) -> None:
    assert intel.match([Component("django", version, purl="pkg:pypi/django")]) == []


def _oracle(records: list[dict[str, Any]], version: str) -> set[str]:
    """The schema's IsVulnerable pseudocode, written plainly with packaging's PEP 440 order:
    an independent check of the index (which sorts events once and stops early)."""
    from packaging.version import Version

    wanted = Version(version)
    hit: set[str] = set()
    for record in records:
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected", []):
            if wanted in {Version(v) for v in affected.get("versions", [])}:
                hit.add(record["id"])
            for one in affected.get("ranges", []):
                if one["type"] != "ECOSYSTEM":
                    continue
                events = [(k, v) for e in one["events"] for k, v in e.items()]
                events.sort(key=lambda e: Version("0") if e[1] == "0" else Version(e[1]))
                vulnerable = False
                for kind, bound in events:
                    at = Version("0") if bound == "0" else Version(bound)
                    if kind == "introduced" and wanted >= at:
                        vulnerable = True
                    elif kind == "fixed" and wanted >= at:
                        vulnerable = False
                    elif kind == "last_affected" and wanted > at:
                        vulnerable = False
                if vulnerable:
                    hit.add(record["id"])
    return hit


@pytest.mark.parametrize(
    ("package", "versions"),
    [
        ("django", ["1.4", "1.11.28", "2.2.24", "3.2.5", "4.0.1", "4.2.16", "5.0.2", "5.1.2"]),
        ("jinja2", ["2.6", "2.10", "2.11.2", "3.1.3", "3.1.4"]),
        ("requests", ["2.2.1", "2.19.0", "2.25.1", "2.31.0"]),
        ("pillow", ["6.2.0", "8.1.0", "9.0.0", "10.0.0", "10.3.0"]),
        ("urllib3", ["1.24.1", "1.26.4", "2.0.6", "2.2.2"]),
    ],
)
def test_the_index_agrees_with_a_plain_reading_of_the_schema(
    intel: Intel, package: str, versions: list[str]
) -> None:
    records = [_yaml(p) for p in sorted((VULNS / package).glob("*.yaml"))]
    for version in versions:
        found = {m.advisory for m in intel.match([pypi(package, version)])}
        assert found == _oracle(records, version), version
