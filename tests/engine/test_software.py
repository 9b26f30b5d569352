"""Version-range advisories: data files load, ranges match inside and not outside."""

import pytest

from rempart.engine import software
from rempart.engine.kev import kev_entry
from rempart.engine.software import match, normalize_version


def cves(product: str, version: str) -> set[str]:
    return {cve for advisory in match(product, version) for cve in advisory.cves}


@pytest.mark.parametrize(
    ("product", "version", "expected"),
    [
        ("elasticsearch", "1.4.2", {"CVE-2015-1427"}),
        ("elasticsearch", "1.4.3", set()),  # first fixed 1.4.x
        ("elasticsearch", "1.3.7", {"CVE-2015-1427"}),
        ("elasticsearch", "1.3.8", set()),  # fixed on the 1.3 line too
        ("elasticsearch", "1.1.1", {"CVE-2015-1427", "CVE-2014-3120"}),
        ("elasticsearch", "1.2.0", {"CVE-2015-1427"}),  # 1.2 disabled dynamic scripting
        ("elasticsearch", "8.13.4", set()),
        ("couchdb", "3.2.1", {"CVE-2022-24706"}),
        ("couchdb", "3.2.2", set()),
        ("couchdb", "3.3.3", set()),
        ("exim", "4.86.2", {"CVE-2018-6789"}),
        ("exim", "4.87", {"CVE-2019-10149", "CVE-2018-6789"}),
        ("exim", "4.91", {"CVE-2019-10149"}),
        ("exim", "4.92", {"CVE-2019-16928"}),
        ("exim", "4.92.2", {"CVE-2019-16928"}),
        ("exim", "4.92.3", set()),
        ("samba", "3.4.9", set()),
        ("samba", "3.5.0", {"CVE-2017-7494"}),
        ("samba", "4.4.13", {"CVE-2017-7494"}),
        ("samba", "4.4.14", set()),
        ("samba", "4.5.9", {"CVE-2017-7494"}),
        ("samba", "4.5.10", set()),
        ("samba", "4.6.3", {"CVE-2017-7494"}),
        ("samba", "4.6.4", set()),
    ],
)
def test_ranges(product: str, version: str, expected: set[str]) -> None:
    assert cves(product, version) == expected


def test_product_key_is_case_insensitive() -> None:
    assert cves("Elasticsearch", "1.4.2") == {"CVE-2015-1427"}


def test_suffixes_are_cut_to_the_numeric_head() -> None:
    assert normalize_version("5.7.44-log") == "5.7.44"
    assert normalize_version("v1.4.2") == "1.4.2"
    assert cves("couchdb", "3.2.1-SNAPSHOT") == {"CVE-2022-24706"}


def test_versions_without_numbers_match_nothing() -> None:
    assert normalize_version("unknown") is None
    assert match("elasticsearch", "") == []
    assert match("elasticsearch", "git-abcdef") == []


def test_unknown_product_matches_nothing() -> None:
    assert match("no-such-product", "1.0") == []


def test_every_services_advisory_is_a_kev_entry_and_cites_its_source() -> None:
    for product in ("elasticsearch", "couchdb", "exim", "samba"):
        assert product in software.products()
    for advisories in software._advisories().values():
        for advisory, _span in advisories:
            assert advisory.source
            assert advisory.vulnerable.startswith("vers:")
            if advisory.product in ("elasticsearch", "couchdb", "exim", "samba"):
                assert all(kev_entry(cve) is not None for cve in advisory.cves)


def test_a_bad_range_fails_loudly() -> None:
    item = {
        "product": "x",
        "vulnerable": "not a range",
        "cves": ["CVE-1"],
        "summary": "",
        "source": "",
    }
    with pytest.raises(software.AdvisoryDataError, match="bad range"):
        software._parse_advisory(item, "test.toml advisory #1")
    with pytest.raises(software.AdvisoryDataError, match="missing key"):
        software._parse_advisory({"product": "x"}, "test.toml advisory #2")
