"""The CISA Known Exploited Vulnerabilities catalog (KEV): parser, file loader, shipped snapshot.

Format: https://www.cisa.gov/known-exploited-vulnerabilities-catalog (JSON schema in
``known_exploited_vulnerabilities_schema.json``): ``catalogVersion``, ``dateReleased``,
``count`` and ``vulnerabilities[]`` whose required fields include ``cveID``,
``vendorProject``, ``product``, ``vulnerabilityName`` and ``dateAdded``;
``knownRansomwareCampaignUse`` is "Known" or "Unknown". Extra keys are ignored.

The snapshot is the engine's (``rempart.engine.data/kev.json``, see its KEV-README.md): intel
reads that same file, so the engine's ``net.service.known_exploited`` and intel never disagree
until ``feeds update`` brings a newer catalog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO

from rempart.engine.kev import KevEntry
from rempart.intel.streaming import FeedFormatError, read_document

_CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")
_HEADER = frozenset({"catalogVersion", "dateReleased", "count", "title"})


@dataclass(frozen=True, slots=True)
class KevCatalog:
    version: str  # catalogVersion, "2025.08.25"
    released: str  # dateReleased, ISO date-time
    entries: Mapping[str, KevEntry]  # by upper-case CVE id

    def ids(self) -> frozenset[str]:
        return frozenset(self.entries)


def parse_kev(stream: IO[bytes]) -> KevCatalog:
    """Read a KEV JSON document; raise :class:`FeedFormatError` when it is not one."""
    header, items = read_document(stream, "vulnerabilities.item", _HEADER)
    version = header.get("catalogVersion")
    if not isinstance(version, str) or not version:
        raise FeedFormatError("not a CISA KEV catalog: no catalogVersion")
    entries: dict[str, KevEntry] = {}
    seen_items = 0
    for number, item in enumerate(items, start=1):
        seen_items = number
        if not isinstance(item, dict):
            raise FeedFormatError(f"vulnerability #{number} is not an object")
        cve = str(item.get("cveID") or "").strip().upper()
        if not _CVE.match(cve):
            raise FeedFormatError(f"vulnerability #{number}: bad or missing cveID {cve!r}")
        entries[cve] = KevEntry(
            cve=cve,
            vendor=str(item.get("vendorProject") or ""),
            product=str(item.get("product") or ""),
            name=str(item.get("vulnerabilityName") or ""),
            date_added=str(item.get("dateAdded") or ""),
            ransomware=str(item.get("knownRansomwareCampaignUse") or "").lower() == "known",
        )
    count = header.get("count")
    if seen_items == 0 and isinstance(count, int | float) and count > 0:
        raise FeedFormatError(f"the catalog announces {int(count)} entries but lists none")
    return KevCatalog(version, str(header.get("dateReleased") or ""), entries)


def load_kev(path: Path) -> KevCatalog:
    with path.open("rb") as stream:
        return parse_kev(stream)


def snapshot_kev() -> KevCatalog:
    """The catalog shipped with the engine (dated; see rempart/engine/data/KEV-README.md)."""
    with resources.files("rempart.engine.data").joinpath("kev.json").open("rb") as stream:
        return parse_kev(stream)
