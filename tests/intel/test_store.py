"""``Intel`` on the shipped snapshot: versions, CVE facts, mixed component lists."""

from __future__ import annotations

import pytest

from rempart.intel.matchstats import MatchStats
from rempart.intel.model import Component, CveInfo
from rempart.intel.store import Intel


def test_the_snapshot_says_what_it_holds(intel: Intel) -> None:
    assert intel.versions() == {
        "kev": "2025.08.25 (snapshot)",
        "osv:PyPI": "2024-10-10 (snapshot, 3ccb612)",
        "nvd": "curated ranges of the engine (snapshot)",
        "epss": "none (run feeds update)",
    }
    assert intel.problems == ()
    assert len(intel.kev_ids()) == 1404
    # One rule per CVE of each [[advisory]] of engine/data/software/*.toml: Elasticsearch 2,
    # CouchDB 1, Exim 3, Samba 1, WordPress 2 + 4 + 3.
    assert intel.counts() == {"kev": 1404, "osv": 2651, "nvd": 0, "nvd_rules": 16, "epss": 0}


def test_cve_facts_from_kev_and_the_osv_records_vectors(intel: Intel) -> None:
    assert intel.cve("cve-2021-44228") == CveInfo(
        id="CVE-2021-44228", kev=True, ransomware=True, kev_date="2021-12-10"
    )
    # CVE-2023-46136 (Werkzeug): not KEV; PYSEC-2023-221 gives CVSS:3.1/…/A:H = 7.5
    werkzeug = intel.cve("CVE-2023-46136")
    assert (werkzeug.kev, werkzeug.cvss) == (False, 7.5)
    assert werkzeug.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    assert werkzeug.epss is None  # the snapshot has no EPSS
    assert intel.cve("CVE-2099-0001") == CveInfo(id="CVE-2099-0001")


def test_cves_answers_by_id(intel: Intel) -> None:
    found = intel.cves(["CVE-2017-0144", "cve-2015-1427", "CVE-2099-0001"])
    assert {k: v.kev for k, v in found.items()} == {
        "CVE-2017-0144": True,
        "CVE-2015-1427": True,
        "CVE-2099-0001": False,
    }
    assert found["CVE-2017-0144"].to_dict()["ransomware"] is True


def test_a_mixed_inventory(intel: Intel) -> None:
    stats = MatchStats()
    components = [
        Component("jinja2", "2.10", purl="pkg:pypi/jinja2@2.10", target="app:requirements.txt"),
        Component("requests", "2.32.3", purl="pkg:pypi/requests@2.32.3"),  # not affected
        Component("Elasticsearch", "1.4.2", vendor="elastic"),  # NVD (curated)
        Component("left-pad", "1.3.0", purl="pkg:npm/left-pad@1.3.0"),  # npm: not in snapshot
        Component("in-house tool", "2.0"),  # nothing to look up
        Component("django", "weird", purl="pkg:pypi/django@weird"),
    ]
    found = intel.match(components, stats)
    assert [(m.component.name, m.advisory) for m in found] == [
        ("jinja2", "PYSEC-2019-217"),
        ("jinja2", "PYSEC-2021-66"),
        ("Elasticsearch", "CVE-2015-1427"),
    ]
    assert found[0].component.target == "app:requirements.txt"
    assert (stats.components, stats.matched) == (6, 2)
    assert stats.unidentified == ["in-house tool 2.0"]
    assert stats.unparsable == ["PyPI django weird"]


def test_a_distribution_package_is_not_matched_against_upstream_ranges(intel: Intel) -> None:
    # A Debian version carries Debian's backported fixes, which NVD's upstream ranges cannot
    # see: only OSV's Debian records may judge it (none in the snapshot, so no match).
    # (Written without Debian's epoch "2:" so that its numeric head, 4.5.8, is in the range.)
    debian = Component(
        "samba",
        "4.5.8+dfsg-2+deb9u1",
        purl="pkg:deb/debian/samba?distro=debian-9",
        cpe="cpe:2.3:a:samba:samba:4.5.8\\+dfsg-2\\+deb9u1:*:*:*:*:*:*:*",  # syft writes one
    )
    assert intel.match([debian]) == []
    upstream = Component("samba", "4.5.8", vendor="samba")
    assert [m.advisory for m in intel.match([upstream])] == ["CVE-2017-7494"]


def test_a_component_with_a_cpe_and_a_purl_asks_both_without_duplicates(intel: Intel) -> None:
    both = Component(
        "jinja2",
        "2.10",
        purl="pkg:pypi/jinja2@2.10",
        cpe="cpe:2.3:a:palletsprojects:jinja:2.10:*:*:*:*:*:*:*",
    )
    assert [m.source for m in intel.match([both])] == ["osv", "osv"]


@pytest.mark.parametrize(
    "evidence",
    ["Redis (redis_version hidden)", "no version here", ""],
)
def test_evidence_without_a_version_gives_no_component(intel: Intel, evidence: str) -> None:
    assert intel.component_from_evidence(evidence) is None
