"""The shipped CISA KEV snapshot: loading and look-up."""

from rempart.engine.kev import catalog_version, kev_count, kev_entry


def test_eternalblue_is_listed_with_ransomware_use() -> None:
    entry = kev_entry("CVE-2017-0144")
    assert entry is not None
    assert entry.vendor == "Microsoft"
    assert entry.product == "SMBv1"
    assert entry.date_added == "2022-02-10"
    assert entry.ransomware is True


def test_lookup_is_case_insensitive_and_trims() -> None:
    assert kev_entry(" cve-2015-1427 ") == kev_entry("CVE-2015-1427")


def test_entry_without_known_ransomware_use() -> None:
    entry = kev_entry("CVE-2015-1427")
    assert entry is not None
    assert entry.ransomware is False
    assert entry.date_added == "2022-03-25"
    assert "Elasticsearch" in entry.name


def test_unlisted_cve_gives_none() -> None:
    assert kev_entry("CVE-2015-3306") is None  # ProFTPD mod_copy: real, but not in KEV
    assert kev_entry("not-a-cve") is None


def test_snapshot_is_the_documented_one() -> None:
    assert catalog_version() == "2025.08.25"
    assert kev_count() == 1404
