"""NVD CVE API 2.0 pages and CPE matching; the engine's curated ranges; banners to KEV.

tests/intel/data/nvd/*.json are hand-written following the API 2.0 response schema
(https://nvd.nist.gov/developers/vulnerabilities); see tests/intel/data/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.engine import software
from rempart.intel.cpe_match import NvdIndex, curated_rules, numeric_head
from rempart.intel.matchstats import MatchStats
from rempart.intel.model import Component
from rempart.intel.nvd import read_page
from rempart.intel.products import parse_cpe
from rempart.intel.store import Intel
from rempart.intel.streaming import FeedFormatError

PAGE = Path(__file__).parent / "data/nvd/cves-page.json"


@pytest.fixture
def nvd() -> NvdIndex:
    index = NvdIndex()
    with PAGE.open("rb") as stream:
        page, cves = read_page(stream)
        index.extend(cves)
    assert (page.total_results, page.rejected) == (4, ["CVE-1999-99999"])
    return index


def cves(index: NvdIndex, component: Component) -> dict[str, tuple[str, ...]]:
    return {m.advisory: m.fixed for m in index.match(component)}


def test_a_page_is_read_with_its_header_and_rejected_records_left_out() -> None:
    with PAGE.open("rb") as stream:
        page, items = read_page(stream)
        found = list(items)
    assert (page.start_index, page.results_per_page, page.total_results) == (0, 4, 4)
    assert [c.id for c in found] == ["CVE-2024-6387", "CVE-2021-3711", "CVE-1999-99998"]
    regresshion = found[0]
    assert regresshion.vector == "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert regresshion.score == 8.1
    assert regresshion.summary.startswith("A security regression (CVE-2006-5051)")
    assert len(regresshion.rules) == 2


def test_the_best_metric_is_the_newest_cvss_version(nvd: NvdIndex) -> None:
    assert nvd.cvss("CVE-2021-3711") == ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)
    vector, score = nvd.cvss("CVE-1999-99998") or ("", None)
    assert (vector[:8], score) == ("CVSS:4.0", 9.3)  # V40 (Secondary) over V31 (Primary)


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ("cpe:/a:openbsd:openssh:8.9p1", {"CVE-2024-6387": ("9.8",)}),  # nmap's CPE 2.2 URI
        ("cpe:2.3:a:openbsd:openssh:9.7:p1:*:*:*:*:*:*", {"CVE-2024-6387": ("9.8",)}),
        ("cpe:/a:openbsd:openssh:8.5p1", {"CVE-2024-6387": ("9.8",)}),  # start including 8.5
        ("cpe:/a:openbsd:openssh:4.3p2", {"CVE-2024-6387": ("4.4",)}),  # the old branch
        ("cpe:/a:openbsd:openssh:8.4p1", {}),
        ("cpe:/a:openbsd:openssh:9.8p1", {}),
        ("cpe:/a:openbsd:openssh:4.4", {}),
        ("cpe:/a:other_vendor:openssh:8.9", {}),  # same product name, another vendor
    ],
)
def test_openssh_ranges(nvd: NvdIndex, cpe: str, expected: dict[str, tuple[str, ...]]) -> None:
    assert cves(nvd, Component("OpenSSH", "", cpe=cpe)) == expected


def test_the_rejected_cves_rules_are_not_loaded(nvd: NvdIndex) -> None:
    # CVE-1999-99999 (Rejected) names openssh 8.9:p1 exactly; only CVE-2024-6387 remains.
    assert set(cves(nvd, Component("", "", cpe="cpe:/a:openbsd:openssh:8.9p1"))) == {
        "CVE-2024-6387"
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.1.1k", {"CVE-2021-3711": ("1.1.1l",)}), ("1.1.1", {"CVE-2021-3711": ("1.1.1l",)})]
    + [(v, {}) for v in ("1.1.1l", "1.1.1w", "1.1.0l", "3.0.2")],
)
def test_openssl_letters_are_part_of_the_version(
    nvd: NvdIndex, version: str, expected: dict[str, tuple[str, ...]]
) -> None:
    component = Component("openssl", version, vendor="openssl")
    assert cves(nvd, component) == expected


@pytest.mark.parametrize(
    ("version", "hit"),
    [
        ("10.0.17763.0", True),
        ("10.0.17763", True),  # 10.0.17763 == 10.0.17763.0
        ("10.0.17763.9", True),
        ("10.0.17763.10", False),  # numbers, not text: 10 > 9
        ("10.0.17763.100", False),
        ("10.0.17762.999", False),
    ],
)
def test_four_number_versions_compare_number_by_number(
    nvd: NvdIndex, version: str, hit: bool
) -> None:
    component = Component("gateway_firmware", version, vendor="acme")
    assert ("CVE-1999-99998" in cves(nvd, component)) is hit


def test_the_platform_of_an_and_configuration_is_not_a_vulnerable_product(nvd: NvdIndex) -> None:
    assert "gateway" not in nvd.products()
    assert "gateway_firmware" in nvd.products()


def test_a_version_without_numbers_matches_nothing_and_is_counted(nvd: NvdIndex) -> None:
    stats = MatchStats()
    assert nvd.match(Component("OpenSSH", "unknown", vendor="openbsd"), stats) == []
    assert stats.unparsable == ["openbsd:openssh unknown"]


def test_a_page_without_total_results_is_not_an_nvd_page(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"vulnerabilities": []}')
    with bad.open("rb") as stream, pytest.raises(FeedFormatError, match="totalResults"):
        read_page(stream)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cpe:/a:openbsd:openssh:7.4p1", ("a", "openbsd", "openssh", "7.4p1", "")),
        ("cpe:/a:apache:http_server:2.4.49", ("a", "apache", "http_server", "2.4.49", "")),
        ("cpe:2.3:a:openbsd:openssh:7.4:p1:*:*:*:*:*:*", ("a", "openbsd", "openssh", "7.4", "p1")),
        (
            "cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:x64:*",
            ("o", "microsoft", "windows_10", "1809", ""),
        ),
        ("cpe:2.3:a:vendor\\:x:prod\\.y:1.0:*:*:*:*:*:*:*", ("a", "vendor:x", "prod.y", "1.0", "")),
        ("cpe:/a:ftp%2dvendor:pure-ftpd", ("a", "ftp-vendor", "pure-ftpd", "", "")),
    ],
)
def test_cpe_names_in_both_bindings(text: str, expected: tuple[str, ...]) -> None:
    name = parse_cpe(text)
    assert name is not None
    assert (name.part, name.vendor, name.product, name.version, name.update) == expected


@pytest.mark.parametrize("text", ["", "cpe:2.3:x:a:b", "cpe:/a::openssh", "openssh 7.4"])
def test_not_a_cpe(text: str) -> None:
    assert parse_cpe(text) is None


def test_numeric_heads() -> None:
    assert [numeric_head(v) for v in ("7.4p1", "2.4.0", "v1.10", "10.0.0.0", "0", "x1")] == [
        "7.4",
        "2.4",
        "1.10",
        "10",
        "0",
        None,
    ]


# -- the engine's curated ranges -----------------------------------------------------------


def test_curated_ranges_are_indexed_under_nvd_vendor_and_product() -> None:
    rules = list(curated_rules())
    assert {(r.vendor, r.product) for r in rules} == {
        ("elastic", "elasticsearch"),
        ("apache", "couchdb"),
        ("exim", "exim"),
        ("samba", "samba"),
        ("wordpress", "wordpress"),
    }
    assert {r.cve for r in rules} >= {"CVE-2015-1427", "CVE-2014-3120", "CVE-2017-7494"}


@pytest.mark.parametrize(
    ("key", "versions"),
    [
        (
            "elasticsearch",
            ["1.1.0", "1.2.0", "1.3.7", "1.3.8", "1.4.0", "1.4.2", "1.4.3", "7.17.0"],
        ),
        ("couchdb", ["2.3.1", "3.2.1", "3.2.2", "3.3.0"]),
        ("exim", ["4.86", "4.87", "4.90", "4.90.1", "4.91", "4.92", "4.92.2", "4.92.3", "4.96"]),
        ("samba", ["3.4.9", "3.5.0", "4.4.13", "4.4.14", "4.5.9", "4.6.3", "4.6.4", "4.18.0"]),
        ("wordpress", ["4.9.8", "4.9.9", "5.0", "5.0.1", "5.8.2", "6.0.2", "6.0.3", "6.4"]),
    ],
)
def test_intel_and_the_engine_agree_on_every_curated_range(
    intel: Intel, key: str, versions: list[str]
) -> None:
    for version in versions:
        component = intel.component_from_banner(key, version)
        assert component is not None
        engine = {c for a in software.match(key, version) for c in a.cves}
        assert {m.advisory for m in intel.match([component])} == engine, (key, version)


def test_banner_to_component_to_kev(intel: Intel) -> None:
    """The engine's net.service.version evidence for an old Elasticsearch, end to end."""
    evidence = 'Elasticsearch 1.4.2 (version.number "1.4.2", tagline "You Know, for Search")'
    component = intel.component_from_evidence(evidence)
    assert component is not None
    assert component.cpe == "cpe:2.3:a:elastic:elasticsearch:1.4.2:*:*:*:*:*:*:*"
    (match,) = intel.match([component])
    assert (match.advisory, match.fixed, match.source) == ("CVE-2015-1427", ("1.4.3",), "nvd")
    info = intel.cve(match.advisory)
    assert (info.kev, info.kev_date, info.ransomware) == (True, "2022-03-25", False)


def test_nmap_service_detection_to_kev(intel: Intel) -> None:
    """nmap -sV: product "Samba smbd", version "4.5.9", no CPE version; SambaCry is KEV."""
    component = intel.component_from_banner("Samba smbd", "4.5.9-Debian", "cpe:/a:samba:samba")
    assert component is not None and component.version == "4.5.9-Debian"
    (match,) = intel.match([component])
    assert (match.advisory, match.fixed) == ("CVE-2017-7494", ("4.5.10",))
    assert intel.cve("CVE-2017-7494").ransomware is True


@pytest.mark.parametrize(
    ("product", "version", "cpe", "expected"),
    [
        ("OpenSSH", "7.4p1 Debian 10+deb9u7", "", "cpe:2.3:a:openbsd:openssh:7.4p1:*:*:*:*:*:*:*"),
        (
            "OpenSSH",
            "",
            "cpe:/a:openbsd:openssh:7.4",
            "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*",
        ),
        ("Apache httpd", "2.4.49", "", "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*"),
        ("vsFTPd", "2.3.4", "", "cpe:2.3:a:vsftpd_project:vsftpd:2.3.4:*:*:*:*:*:*:*"),
        ("MariaDB", "10.6.12", "", "cpe:2.3:a:mariadb:mariadb:10.6.12:*:*:*:*:*:*:*"),
        ("Exim smtpd", "4.92", "", "cpe:2.3:a:exim:exim:4.92:*:*:*:*:*:*:*"),
    ],
)
def test_components_from_banners(
    intel: Intel, product: str, version: str, cpe: str, expected: str
) -> None:
    component = intel.component_from_banner(product, version, cpe)
    assert component is not None
    assert (component.cpe, component.source) == (expected, "banner")


@pytest.mark.parametrize(
    ("product", "version"), [("Unknown daemon", "1.0"), ("OpenSSH", ""), ("", "1.0")]
)
def test_no_component_without_a_known_product_and_a_version(
    intel: Intel, product: str, version: str
) -> None:
    assert intel.component_from_banner(product, version) is None


def test_a_generic_purl_gives_its_version_to_nvd_matching(nvd: NvdIndex) -> None:
    component = Component("openssl", "", purl="pkg:generic/openssl@1.1.1k?download_url=x")
    assert cves(nvd, component) == {"CVE-2021-3711": ("1.1.1l",)}  # by product name + purl
