"""CISA KEV: the real shipped snapshot, and the parser on malformed catalogs."""

from __future__ import annotations

import io
import json

import pytest

from rempart.intel.kev import parse_kev, snapshot_kev
from rempart.intel.streaming import FeedFormatError


def test_the_snapshot_is_the_engines_catalog_of_2025_08_25() -> None:
    catalog = snapshot_kev()
    assert catalog.version == "2025.08.25"
    assert catalog.released == "2025-08-25T17:04:19.9796Z"
    assert len(catalog.entries) == 1404


def test_eternalblue_is_known_exploited_and_used_by_ransomware() -> None:
    entry = snapshot_kev().entries["CVE-2017-0144"]
    assert (entry.vendor, entry.product) == ("Microsoft", "SMBv1")
    assert entry.date_added == "2022-02-10"
    assert entry.ransomware is True  # knownRansomwareCampaignUse: "Known"


def test_an_entry_with_unknown_ransomware_use_is_not_flagged() -> None:
    entry = snapshot_kev().entries["CVE-2025-48384"]  # Git, added 2025-08-25, "Unknown"
    assert entry.date_added == "2025-08-25"
    assert entry.ransomware is False


def test_a_cve_absent_from_the_catalog_has_no_entry() -> None:
    assert "CVE-2024-6387" not in snapshot_kev().entries  # regreSSHion: not in this snapshot


def _catalog(vulnerabilities: list[dict[str, object]], **header: object) -> io.BytesIO:
    document = {"title": "t", "catalogVersion": "2030.01.01", "dateReleased": "x", **header}
    document["count"] = len(vulnerabilities)
    document["vulnerabilities"] = vulnerabilities
    return io.BytesIO(json.dumps(document).encode())


def test_extra_keys_are_ignored_and_ids_are_upper_cased() -> None:
    item: dict[str, object] = {
        "cveID": "cve-2030-0001",
        "vendorProject": "V",
        "product": "P",
        "vulnerabilityName": "N",
        "dateAdded": "2030-01-01",
        "knownRansomwareCampaignUse": "Known",
        "futureField": {"nested": [1, 2]},
    }
    catalog = parse_kev(_catalog([item], extra="ignored"))
    assert catalog.ids() == {"CVE-2030-0001"}
    assert catalog.entries["CVE-2030-0001"].ransomware is True


def test_an_empty_catalog_is_valid() -> None:
    assert parse_kev(_catalog([])).entries == {}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"vulnerabilities": []}', "no catalogVersion"),
        (b'{"catalogVersion": "1", "count": 1, "vulnerabilities": [{"cveID": "CVE-1"}]}', "cveID"),
        (b'{"catalogVersion": "1", "count": 3, "vulnerabilities": []}', "lists none"),
        (b'{"catalogVersion": "1", "vulnerabilities": [{"cveID": "CVE-2030-0001"', "JSON"),
        (b"<html>not json</html>", "JSON"),
    ],
)
def test_what_is_not_a_catalog_is_refused_with_a_reason(payload: bytes, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse_kev(io.BytesIO(payload))
