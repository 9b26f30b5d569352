"""``Intel``: every feed loaded once, the shipped snapshot overlaid by updated feed files.

    intel = Intel.load(feeds_dir)          # None: the snapshot only
    intel.cve("CVE-2017-0144").kev         # True
    intel.match([Component("django", "3.2.5", purl="pkg:pypi/django@3.2.5")])
    intel.component_from_banner("OpenSSH", "7.4p1", "cpe:/a:openbsd:openssh:7.4p1")

The snapshot (package data): the engine's KEV catalog, the PyPA OSV database (PyPI), the
engine's curated version ranges as NVD CPE rules; no EPSS. A ``feeds_dir`` written by
:func:`rempart.intel.feeds.update` holds ``manifest.json`` and the files it lists; each one
replaces its part of the snapshot (a newer KEV, the OSV records of an ecosystem) or adds to it
(NVD CVEs, EPSS). A feed file that fails to load is reported in :attr:`Intel.problems` and the
snapshot's data is kept for that feed: a worker starts even when one file is damaged.

An ``Intel`` is read-only after loading and cheap to keep in a worker: the PyPI snapshot
loads in about 0.1 s; ranges are parsed on first use and cached.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rempart.engine.kev import KevEntry
from rempart.intel import cvss, products
from rempart.intel.cpe_match import NvdIndex, curated_rules
from rempart.intel.ecosystems import DISTRIBUTIONS
from rempart.intel.epss import EpssTable, load_epss
from rempart.intel.kev import KevCatalog, load_kev, snapshot_kev
from rempart.intel.matchstats import MatchStats
from rempart.intel.model import Component, CveInfo, Match
from rempart.intel.nvd import read_jsonl_gz as read_nvd
from rempart.intel.osv import OsvIndex
from rempart.intel.osv_records import read_jsonl_gz
from rempart.intel.streaming import FeedFormatError

MANIFEST = "manifest.json"
_DATA = "rempart.intel.data"
# The engine's net.service.version evidence: "<product> <version> (<banner>)".
_EVIDENCE = re.compile(r"^(?P<product>.+?) (?P<version>\d[^\s(]*) \(")


class Intel:
    """The loaded feeds; see the module docstring."""

    def __init__(
        self,
        kev: KevCatalog,
        osv: OsvIndex,
        nvd: NvdIndex,
        epss: EpssTable | None,
        versions: dict[str, str],
        problems: tuple[str, ...] = (),
    ) -> None:
        self._kev = kev
        self._osv = osv
        self._nvd = nvd
        self._epss = epss
        self._versions = versions
        self.problems = problems  # one sentence per feed file that could not be loaded
        self._osv_vectors = osv.cve_vectors()

    # -- loading --------------------------------------------------------------------------

    @classmethod
    def load(cls, feeds_dir: Path | None = None) -> Intel:
        problems: list[str] = []
        updated: dict[str, dict[str, Any]] = {}
        if feeds_dir is not None:
            try:
                updated = _read_manifest(feeds_dir / MANIFEST)
            except FeedFormatError as exc:
                problems.append(f"{exc}; the snapshot is used for every feed")
        loading = _Loading(feeds_dir or Path(), updated, {}, problems)
        kev = _load_kev(loading)
        osv = _load_osv(loading)
        nvd = _load_nvd(loading)
        epss = _load_epss(loading)
        return cls(kev, osv, nvd, epss, loading.versions, tuple(problems))

    # -- questions ------------------------------------------------------------------------

    def versions(self) -> dict[str, str]:
        """Feed -> what is loaded ("2025.08.25 (snapshot)", "… (updated 2025-09-02)")."""
        return dict(self._versions)

    def counts(self) -> dict[str, int]:
        """How much each feed holds: KEV entries, OSV advisories, NVD CVEs fetched, NVD CPE
        rules (fetched and curated), EPSS scores."""
        return {
            "kev": len(self._kev.entries),
            "osv": len(self._osv),
            "nvd": self._nvd.cves,
            "nvd_rules": self._nvd.rule_count(),
            "epss": len(self._epss) if self._epss is not None else 0,
        }

    def kev_ids(self) -> frozenset[str]:
        return self._kev.ids()

    def kev_entry(self, cve_id: str) -> KevEntry | None:
        """CISA's entry for the CVE (vendor, product, vulnerability name), or None."""
        return self._kev.entries.get(cve_id.strip().upper())

    def cve(self, cve_id: str) -> CveInfo:
        """What the feeds say about one CVE (an unknown id gives a CveInfo with no facts)."""
        key = cve_id.strip().upper()
        entry = self._kev.entries.get(key)
        scored = self._epss.get(key) if self._epss is not None else None
        vector, base = self._cvss(key)
        return CveInfo(
            id=key,
            kev=entry is not None,
            ransomware=entry.ransomware if entry is not None else False,
            kev_date=entry.date_added if entry is not None else "",
            epss=scored[0] if scored else None,
            percentile=scored[1] if scored else None,
            cvss=base,
            vector=vector,
        )

    def cves(self, ids: Iterable[str]) -> dict[str, CveInfo]:
        return {info.id: info for info in (self.cve(i) for i in ids)}

    def _cvss(self, cve: str) -> tuple[str, float | None]:
        """NVD's metric when the NVD feed has the CVE, else the best vector an OSV record
        aliasing it gives; the score is computed from the vector when the feed has none."""
        known = self._nvd.cvss(cve)
        vector, base = known if known else (self._osv_vectors.get(cve, ""), None)
        if vector and base is None:
            rated = cvss.score(vector)
            base = rated[0] if rated else None
        return vector, base

    def match(
        self, components: Iterable[Component], stats: MatchStats | None = None
    ) -> list[Match]:
        """Advisories covering each component's version.

        OSV for components with a package identity (a purl of a known type, or an ecosystem);
        NVD CPE rules for components with a CPE, or with no package identity but a vendor or a
        known product name. A distribution package (``pkg:deb/…``, ``pkg:rpm/…``) is never
        matched against NVD's upstream ranges, even with a CPE (syft writes one for every
        package): distributions backport fixes without changing the upstream version. When
        both sources report one CVE for a component, the OSV match is kept.
        """
        found: list[Match] = []
        for component in components:
            if stats is not None:
                stats.components += 1
            package = self._osv.lookup(component)
            hits = self._osv.match(component, stats, package) if package is not None else []
            distribution = package is not None and package[0].ecosystem in DISTRIBUTIONS
            if (component.cpe or package is None) and not distribution:
                if package is None and self._nvd.identify(component) is None:
                    if stats is not None:
                        stats.unidentified.append(f"{component.name} {component.version}")
                    continue
                seen = {c.upper() for m in hits for c in (m.advisory, *m.aliases)}
                hits += [m for m in self._nvd.match(component, stats) if m.advisory not in seen]
            if hits and stats is not None:
                stats.matched += 1
            found += [self._rated(m) for m in hits]
        return found

    def _rated(self, found: Match) -> Match:
        """A match without a severity gets its CVE's CVSS (NVD, else OSV), if one is known."""
        if found.severity:
            return found
        for cve in found.cves:
            vector, _ = self._cvss(cve.upper())
            rated = cvss.score(vector) if vector else None
            if rated:
                return dataclasses.replace(found, severity=rated[1], vector=vector)
        return found

    def component_from_banner(self, product: str, version: str, cpe: str = "") -> Component | None:
        """The component a service banner discloses, or None when it names no known product
        or no version.

        ``product``/``version`` as the engine's banners or nmap give them ("OpenSSH",
        "7.4p1 Debian 10+deb9u7": the first word is the version); ``cpe`` a CPE 2.2 URI
        (nmap, ``cpe:/a:openbsd:openssh:7.4p1``) or 2.3 string, which wins when given.
        """
        words = version.split()
        version = words[0] if words else ""
        name = products.parse_cpe(cpe) if cpe else None
        if name is not None:
            cpe_version = "" if name.version in ("", "*", "-") else name.version
            version = version or cpe_version
            vendor, product_id = name.vendor, name.product
        else:
            known = products.by_name(product)
            if known is None:
                return None
            vendor, product_id = known.vendor, known.product
        if not version:
            return None
        cpe_name = products.CpeName("a" if name is None else name.part, vendor, product_id, version)
        return Component(
            name=product.strip() or product_id,
            version=version,
            cpe=cpe_name.formatted(),
            vendor=vendor,
            source="banner",
        )

    def component_from_evidence(self, evidence: str) -> Component | None:
        """The component in the engine's ``net.service.version`` evidence,
        ``"<product> <version> (<banner>)"`` (e.g. ``Elasticsearch 1.4.2 (version.number …)``)."""
        found = _EVIDENCE.match(evidence.strip())
        if not found:
            return None
        return self.component_from_banner(found.group("product"), found.group("version"))


def _read_manifest_text(text: str) -> dict[str, dict[str, Any]]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise FeedFormatError("manifest.json is not an object")
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def _read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return _read_manifest_text(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise FeedFormatError(f"{path}: {exc}") from None


def _described(entry: dict[str, Any], version: str) -> str:
    label = version or str(entry.get("version") or "")
    return f"{label} (updated {str(entry.get('updated', ''))[:10]})".strip()


@dataclass(slots=True)
class _Loading:
    feeds_dir: Path
    updated: dict[str, dict[str, Any]]  # the feeds folder's manifest ({} without one)
    versions: dict[str, str]
    problems: list[str]

    def path(self, name: str) -> Path:
        return self.feeds_dir / str(self.updated[name]["file"])


def _load_kev(loading: _Loading) -> KevCatalog:
    kev = snapshot_kev()
    loading.versions["kev"] = f"{kev.version} (snapshot)"
    if "kev" in loading.updated:
        try:
            kev = load_kev(loading.path("kev"))
            loading.versions["kev"] = _described(loading.updated["kev"], kev.version)
        except (OSError, FeedFormatError, KeyError) as exc:
            loading.problems.append(f"kev: {exc}; the snapshot's catalog is used")
    return kev


def _load_osv(loading: _Loading) -> OsvIndex:
    osv = OsvIndex()
    shipped = _read_manifest_text(resources.files(_DATA).joinpath(MANIFEST).read_text())
    for name, entry in shipped.items():
        if name.startswith("osv:"):
            with resources.as_file(resources.files(_DATA).joinpath(entry["file"])) as path:
                for record in read_jsonl_gz(path):
                    osv.add(record)
            commit = str(entry.get("commit", ""))[:7]
            loading.versions[name] = f"{entry.get('date', '')} (snapshot, {commit})"
    for name, entry in loading.updated.items():
        if not name.startswith("osv:"):
            continue
        ecosystem = name.split(":", 1)[1]
        try:  # read it all before touching the index: a damaged file changes nothing
            records = list(read_jsonl_gz(loading.path(name)))
        except (OSError, FeedFormatError, KeyError) as exc:
            loading.problems.append(f"{name}: {exc}; the snapshot's records are kept")
            continue
        osv.drop_ecosystem(ecosystem)
        for record in records:
            osv.add(record, ecosystem)
        loading.versions[name] = _described(entry, str(entry.get("version") or ""))
    return osv


def _load_nvd(loading: _Loading) -> NvdIndex:
    def curated() -> NvdIndex:
        index = NvdIndex()
        for rule in curated_rules():
            index.add_rule(rule)
        return index

    nvd = curated()
    loading.versions["nvd"] = "curated ranges of the engine (snapshot)"
    if "nvd" in loading.updated:
        try:
            nvd.extend(read_nvd(loading.path("nvd")))
            loading.versions["nvd"] = _described(loading.updated["nvd"], "") + " + curated ranges"
        except (OSError, FeedFormatError, KeyError) as exc:
            loading.problems.append(f"nvd: {exc}; only the curated ranges are used")
            nvd = curated()  # drop what was read before the damage
    return nvd


def _load_epss(loading: _Loading) -> EpssTable | None:
    loading.versions["epss"] = "none (run feeds update)"
    if "epss" not in loading.updated:
        return None
    try:
        epss = load_epss(loading.path("epss"))
    except (OSError, FeedFormatError, KeyError) as exc:
        loading.problems.append(f"epss: {exc}; no EPSS scores")
        return None
    loading.versions["epss"] = _described(loading.updated["epss"], epss.score_date[:10])
    return epss
