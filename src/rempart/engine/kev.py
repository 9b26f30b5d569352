"""The CISA Known Exploited Vulnerabilities catalog, from the snapshot shipped in the package.

Only a CVE present in this catalog is reported as "known exploited" (checks.md,
net.service.known_exploited). The snapshot is dated; see data/KEV-README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: str  # ISO date, e.g. "2022-03-25"
    ransomware: bool  # knownRansomwareCampaignUse == "Known"


@cache
def _catalog() -> dict[str, KevEntry]:
    raw = resources.files("rempart.engine.data").joinpath("kev.json").read_bytes()
    data = json.loads(raw)
    entries: dict[str, KevEntry] = {}
    for item in data["vulnerabilities"]:
        entry = KevEntry(
            cve=item["cveID"].upper(),
            vendor=item["vendorProject"],
            product=item["product"],
            name=item["vulnerabilityName"],
            date_added=item["dateAdded"],
            ransomware=item.get("knownRansomwareCampaignUse") == "Known",
        )
        entries[entry.cve] = entry
    return entries


@cache
def catalog_version() -> str:
    raw = resources.files("rempart.engine.data").joinpath("kev.json").read_bytes()
    return str(json.loads(raw)["catalogVersion"])


def kev_entry(cve: str) -> KevEntry | None:
    """The KEV entry of ``cve`` (case-insensitive), or None when CISA does not list it."""
    return _catalog().get(cve.strip().upper())


def kev_count() -> int:
    return len(_catalog())
