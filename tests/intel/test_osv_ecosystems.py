"""OSV matching for npm, Maven, Go, Debian and crates.io.

No offline OSV data exists for these ecosystems: the records in tests/intel/data/osv/ are
hand-written following the OSV schema (1.6, and 1.7 for Debian's ``upstream``), modelled on
real advisories (see tests/intel/data/README.md). The assertions check ordering semantics
that string comparison gets wrong (Maven betas, SemVer pre-releases, Go pseudo-versions,
Debian revisions and epochs).
"""

from __future__ import annotations

import io
import json
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from rempart.intel.ecosystems import key_from_purl, split_ecosystem
from rempart.intel.model import Component
from rempart.intel.osv import OsvIndex
from rempart.intel.osv_records import read_jsonl_gz, read_zip

from .conftest import sample_records


def fixes(index: OsvIndex, purl: str, version: str = "") -> dict[str, tuple[str, ...]]:
    return {m.advisory: m.fixed for m in index.match(Component("", version, purl=purl))}


# -- npm ---------------------------------------------------------------------------------


def test_npm_semver_range(samples: OsvIndex) -> None:
    assert fixes(samples, "pkg:npm/lodash@4.17.20") == {"GHSA-35jh-r3h4-6jhm": ("4.17.21",)}
    assert fixes(samples, "pkg:npm/lodash@4.17.21") == {}
    assert fixes(samples, "pkg:npm/lodash@4.2.0") == {"GHSA-35jh-r3h4-6jhm": ("4.17.21",)}


def test_npm_scoped_names_and_prerelease_ordering(samples: OsvIndex) -> None:
    purl = "pkg:npm/%40babel/traverse@{}"
    assert fixes(samples, purl.format("7.23.0")) == {"GHSA-67hx-6x53-jw92": ("7.23.2",)}
    assert fixes(samples, purl.format("7.23.2")) == {}
    # 8.0.0-alpha.1 < 8.0.0-alpha.4 in SemVer (numeric pre-release identifiers)
    assert fixes(samples, purl.format("8.0.0-alpha.1")) == {
        "GHSA-67hx-6x53-jw92": ("8.0.0-alpha.4",)
    }
    assert fixes(samples, purl.format("8.0.0-alpha.10")) == {}
    assert fixes(samples, "pkg:npm/traverse@7.23.0") == {}  # unscoped name: another package


def test_npm_severity_falls_back_to_the_records_vector(samples: OsvIndex) -> None:
    match = samples.match(Component("lodash", "4.17.20", purl="pkg:npm/lodash"))[0]
    assert match.vector == "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"
    assert match.severity == "high"  # 7.2
    babel = samples.match(Component("", "7.0.0", purl="pkg:npm/%40babel/traverse"))[0]
    assert (babel.vector, babel.severity) == ("", "critical")  # GHSA's database_specific


# -- Maven -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "fixed"),
    [
        ("2.14.1", ("2.15.0",)),
        ("2.13.0", ("2.15.0",)),
        ("2.12.1", ("2.12.2",)),
        ("2.4", ("2.12.2",)),
        ("2.3", ("2.3.1",)),
        ("2.0-beta9", ("2.3.1",)),
        ("2.0-rc1", ("2.3.1",)),  # rc sorts after beta in Maven's ComparableVersion
    ],
)
def test_maven_log4shell_branches(samples: OsvIndex, version: str, fixed: tuple[str, ...]) -> None:
    purl = f"pkg:maven/org.apache.logging.log4j/log4j-core@{version}?type=jar"
    assert fixes(samples, purl) == {"GHSA-jfh8-c2jp-5v3q": fixed}


@pytest.mark.parametrize("version", ["2.0-beta8", "2.3.1", "2.12.2", "2.15.0", "2.17.1", "1.2.17"])
def test_maven_versions_outside_the_ranges(samples: OsvIndex, version: str) -> None:
    assert fixes(samples, f"pkg:maven/org.apache.logging.log4j/log4j-core@{version}") == {}


def test_maven_needs_group_and_artifact(samples: OsvIndex) -> None:
    assert fixes(samples, "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1") == {}
    by_name = Component("org.apache.logging.log4j:log4j-core", "2.14.1", ecosystem="Maven")
    assert [m.advisory for m in samples.match(by_name)] == ["GHSA-jfh8-c2jp-5v3q"]


# -- Go ----------------------------------------------------------------------------------


def test_go_module_paths_v_prefixes_and_pseudo_versions(samples: OsvIndex) -> None:
    module = "pkg:golang/golang.org/x/net@{}"
    assert fixes(samples, module.format("v0.6.0")) == {"GO-2023-1571": ("0.7.0",)}
    assert fixes(samples, module.format("v0.7.0")) == {}
    pseudo = module.format("v0.0.0-20220722155237-a158d28d115b")  # a commit before 0.7.0
    assert fixes(samples, pseudo) == {"GO-2023-1571": ("0.7.0",)}
    assert fixes(samples, "pkg:golang/golang.org/x/text@v0.3.0") == {}


def test_go_standard_library_branches(samples: OsvIndex) -> None:
    assert fixes(samples, "pkg:golang/stdlib@v1.19.5") == {"GO-2023-1571": ("1.19.6",)}
    assert fixes(samples, "pkg:golang/stdlib@v1.20.0") == {"GO-2023-1571": ("1.20.1",)}
    assert fixes(samples, "pkg:golang/stdlib@v1.20.1") == {}


# -- Debian ------------------------------------------------------------------------------

_LIBSSL = "pkg:deb/debian/libssl1.1@{}?arch=amd64&upstream=openssl&distro={}"


def test_debian_binary_package_matches_through_its_source_and_release(samples: OsvIndex) -> None:
    found = samples.match(Component("", "", purl=_LIBSSL.format("1.1.1n-0%2Bdeb11u3", "debian-11")))
    assert [(m.advisory, m.fixed) for m in found] == [
        ("DEBIAN-CVE-2023-0286", ("1.1.1n-0+deb11u4",))
    ]
    assert found[0].cves == ("CVE-2023-0286",)  # from the schema 1.7 "upstream" field


def test_debian_release_scoping(samples: OsvIndex) -> None:
    version = "1.1.1n-0%2Bdeb11u5"  # above Debian 11's fix, below Debian 12's
    assert fixes(samples, _LIBSSL.format(version, "debian-11")) == {}
    assert fixes(samples, _LIBSSL.format(version, "bookworm")) == {
        "DEBIAN-CVE-2023-0286": ("3.0.8-1",)
    }
    assert fixes(samples, _LIBSSL.format(version, "debian-12.4")) == {
        "DEBIAN-CVE-2023-0286": ("3.0.8-1",)
    }
    # No distro: every release's entry applies; only Debian 12's covers this version.
    no_release = f"pkg:deb/debian/libssl1.1@{version}?upstream=openssl"
    assert fixes(samples, no_release) == {"DEBIAN-CVE-2023-0286": ("3.0.8-1",)}


def test_debian_version_order_revisions_and_epochs(samples: OsvIndex) -> None:
    source = "pkg:deb/debian/openssl@{}?distro=debian-12"
    assert fixes(samples, source.format("3.0.7-1")) == {"DEBIAN-CVE-2023-0286": ("3.0.8-1",)}
    assert fixes(samples, source.format("3.0.8-1")) == {}
    assert fixes(samples, source.format("3.0.8-1~bpo11%2B1")) == {  # ~ sorts before
        "DEBIAN-CVE-2023-0286": ("3.0.8-1",)
    }
    assert fixes(samples, source.format("1:1.0.0-1")) == {}  # the epoch wins


def test_ubuntu_packages_never_match_debian_records(samples: OsvIndex) -> None:
    assert fixes(samples, "pkg:deb/ubuntu/openssl@1.1.1f-1ubuntu2?distro=ubuntu-20.04") == {}


# -- limit, last_affected, GIT, versions[] ------------------------------------------------


def test_a_limit_event_caps_the_range(samples: OsvIndex) -> None:
    assert fixes(samples, "pkg:cargo/example-crate@1.5.0") == {"TEST-2024-0001": ()}
    assert fixes(samples, "pkg:cargo/example-crate@2.0.0") == {}
    assert fixes(samples, "pkg:cargo/example-crate@0.9.0") == {}
    assert samples.stats.git_ranges == 1  # the GIT range beside it is set aside, counted


def test_last_affected_and_enumerated_versions(samples: OsvIndex) -> None:
    assert fixes(samples, "pkg:cargo/other-crate@0.3.7") == {"TEST-2024-0001": ()}
    assert fixes(samples, "pkg:cargo/other-crate@0.3.8") == {}
    assert fixes(samples, "pkg:cargo/other-crate@0.1.2") == {"TEST-2024-0001": ()}  # listed
    assert fixes(samples, "pkg:cargo/other-crate@0.2.0") == {}


# -- aliases, records from osv.dev's all.zip ---------------------------------------------


def test_records_that_alias_each_other_are_one_match(intel_with_ghsa: OsvIndex) -> None:
    found = intel_with_ghsa.match(Component("jinja2", "2.10", purl="pkg:pypi/jinja2"))
    sandbox = [m for m in found if "CVE-2019-10906" in m.cves]
    assert len(sandbox) == 1
    assert {sandbox[0].advisory, *sandbox[0].aliases} >= {"PYSEC-2019-217", "GHSA-462w-v97r-4m45"}
    assert sandbox[0].fixed == ("2.10.1",)
    assert (sandbox[0].severity, sandbox[0].vector[:8]) == ("high", "CVSS:3.0")


def test_alias_groups_are_transitive() -> None:
    # A aliases X, B aliases Y, then C aliases both: A, B and C are one vulnerability.
    index = OsvIndex()
    for advisory_id, aliases in (("A-1", ["X-1"]), ("B-1", ["Y-1"]), ("C-1", ["X-1", "Y-1"])):
        index.add(
            {
                "id": advisory_id,
                "aliases": aliases,
                "affected": [
                    {
                        "package": {"ecosystem": "npm", "name": "pkg"},
                        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
                    }
                ],
            }
        )
    (match,) = index.match(Component("pkg", "1.0.0", purl="pkg:npm/pkg"))
    assert (match.advisory, match.aliases) == ("A-1", ("B-1", "C-1", "X-1", "Y-1"))


@pytest.fixture
def intel_with_ghsa() -> OsvIndex:
    index = OsvIndex()
    packed = resources.files("rempart.intel.data").joinpath("osv-pypi.jsonl.gz")
    with resources.as_file(packed) as path:
        for record in read_jsonl_gz(path):
            index.add(record)
    index.add(json.loads((Path(__file__).parent / "data/osv/pypi-ghsa-jinja2.json").read_text()))
    return index


def test_an_all_zip_is_read_record_by_record(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for record in sample_records():
            packed.writestr(f"{record['id']}.json", json.dumps(record))
        packed.writestr("README.txt", "not a record")
    index = OsvIndex()
    for record in read_zip(archive):
        index.add(record)
    assert len(index) == len(sample_records()) == 7
    assert fixes(index, "pkg:npm/lodash@4.17.20") == {"GHSA-35jh-r3h4-6jhm": ("4.17.21",)}


def test_a_zip_member_too_large_to_be_a_record_is_refused(tmp_path: Path) -> None:
    from rempart.intel import osv_records as osv
    from rempart.intel.streaming import FeedFormatError

    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("BOMB.json", b" " * (osv.MAX_RECORD_BYTES + 1))
    with pytest.raises(FeedFormatError, match="is not a record"):
        list(read_zip(archive))
    (tmp_path / "broken.zip").write_bytes(io.BytesIO(b"PK\x03\x04garbage").getvalue())
    with pytest.raises(FeedFormatError, match="not a zip"):
        list(read_zip(tmp_path / "broken.zip"))


# -- identities --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name", "release", "version"),
    [
        ("pkg:pypi/Django_Rest.Framework@3.0", "PyPI", "django-rest-framework", "", "3.0"),
        ("pkg:npm/%40angular/core@16.0.0", "npm", "@angular/core", "", "16.0.0"),
        ("pkg:maven/org.yaml/snakeyaml@1.33", "Maven", "org.yaml:snakeyaml", "", "1.33"),
        (
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
            "Go",
            "github.com/gin-gonic/gin",
            "",
            "v1.6.0",
        ),
        ("pkg:deb/debian/curl@7.74.0-1.3?distro=bullseye", "Debian", "curl", "11", "7.74.0-1.3"),
        (
            "pkg:deb/debian/libcurl4@7.74.0-1.3?upstream=curl%407.74.0-1.3",
            "Debian",
            "curl",
            "",
            "7.74.0-1.3",
        ),
        (
            "pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4",
            "Alpine",
            "musl",
            "v3.18",
            "1.2.4-r2",
        ),
        ("pkg:nuget/Newtonsoft.Json@12.0.1", "NuGet", "newtonsoft.json", "", "12.0.1"),
        ("pkg:composer/laravel/framework@8.0.0", "Packagist", "laravel/framework", "", "8.0.0"),
    ],
)
def test_package_urls_become_osv_keys(
    purl: str, ecosystem: str, name: str, release: str, version: str
) -> None:
    found = key_from_purl(purl)
    assert found is not None
    key, purl_version = found
    assert (key.ecosystem, key.name, key.release, purl_version) == (
        ecosystem,
        name,
        release,
        version,
    )


def test_unknown_purl_types_and_garbage_give_no_key() -> None:
    assert key_from_purl("pkg:generic/openssl@1.1.1") is None
    assert key_from_purl("not a purl") is None


@pytest.mark.parametrize(
    ("ecosystem", "expected"),
    [
        ("Debian:12", ("Debian", "12")),
        ("pypi", ("PyPI", "")),
        ("Maven:https://maven.google.com", ("Maven", "")),
        ("Ubuntu:22.04:LTS", ("Ubuntu", "22.04")),
        ("Ubuntu:Pro:18.04:LTS", ("Ubuntu", "pro-18.04")),
        ("Alpine:v3.18", ("Alpine", "v3.18")),
    ],
)
def test_ecosystem_strings(ecosystem: str, expected: tuple[str, str]) -> None:
    assert split_ecosystem(ecosystem) == expected


def test_extra_keys_anywhere_are_tolerated() -> None:
    index = OsvIndex()
    index.add(
        {
            "id": "X-1",
            "modified": "2024-01-01T00:00:00Z",
            "unknown": {"a": 1},
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": "left-pad", "new": True},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.1.0"}]}
                    ],
                    "whatever": [1],
                },
                {"ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}]},
            ],
        }
    )
    assert fixes(index, "pkg:npm/left-pad@1.0.0") == {"X-1": ("1.1.0",)}
    assert index.stats.no_package == 1


@pytest.mark.parametrize(
    ("ecosystem", "listed", "installed"),
    [("Maven", "1.0", "1.0.0"), ("PyPI", "2.0", "2.0.0"), ("Alpine:v3.18", "1.2.4-r2", "1.2.4-r2")],
)
def test_enumerated_versions_match_by_version_equality(
    ecosystem: str, listed: str, installed: str
) -> None:
    index = OsvIndex()
    package = {"ecosystem": ecosystem, "name": "g:a" if ecosystem == "Maven" else "pkg"}
    index.add({"id": "V-1", "affected": [{"package": package, "versions": [listed, "0.1"]}]})
    name = package["name"]
    found = index.match(Component(name, installed, ecosystem=ecosystem))
    assert [m.advisory for m in found] == ["V-1"]
    assert index.match(Component(name, "0.2", ecosystem=ecosystem)) == []


def test_a_feed_file_indexes_only_its_own_ecosystem() -> None:
    # osv.dev puts a record naming npm and PyPI in both all.zip files; the npm file's copy
    # must not add PyPI entries (the PyPI file has them, and may replace the snapshot's).
    record = {
        "id": "GHSA-xxxx-yyyy-zzzz",
        "affected": [
            {"package": {"ecosystem": eco, "name": "twin"}, "versions": ["1.0.0"]}
            for eco in ("npm", "PyPI")
        ],
    }
    index = OsvIndex()
    index.add(record, "npm")
    assert fixes(index, "pkg:npm/twin@1.0.0") == {"GHSA-xxxx-yyyy-zzzz": ()}
    assert fixes(index, "pkg:pypi/twin@1.0.0") == {}
    assert index.ecosystems == {"npm"}
