"""The values intel works on: software components and the vulnerabilities that hit them.

Plain frozen dataclasses, no framework. A ``Component`` comes from an SBOM (CycloneDX, SPDX),
a plain inventory (name, version, vendor) or a banner seen by a scan; a ``Match`` says that an
advisory (OSV, NVD) covers that component's version, and which version fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Component:
    """One piece of software at one version, as an inventory or SBOM lists it.

    ``purl`` is the package URL when known (the strongest identity: it names the ecosystem);
    ``cpe`` a CPE 2.3 string when known (NVD matching); ``vendor`` and ``name`` otherwise.
    ``target`` is what the component was found in (an image, a host, a product); ``ref`` the
    SBOM's own reference for it (CycloneDX ``bom-ref``, SPDX ``SPDXID``) so VEX statements and
    nested components can point at it.
    """

    name: str
    version: str
    purl: str = ""
    cpe: str = ""
    vendor: str = ""
    ecosystem: str = ""  # OSV ecosystem name ("PyPI", "npm", "Maven", "Go", "Debian"…)
    target: str = ""
    ref: str = ""
    source: str = ""  # tool or inventory kind that listed it ("cyclonedx", "spdx", "inventory")


@dataclass(frozen=True, slots=True)
class CveInfo:
    """What the feeds say about one CVE: the facts every CVE on a finding carries."""

    id: str
    kev: bool = False
    ransomware: bool = False
    kev_date: str = ""  # the day CISA added it, ISO
    epss: float | None = None  # probability of exploitation in the next 30 days (FIRST EPSS)
    percentile: float | None = None
    cvss: float | None = None  # base score of the best vector known
    vector: str = ""  # that vector, "CVSS:3.1/AV:N/…"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kev": self.kev,
            "ransomware": self.ransomware,
            "kev_date": self.kev_date,
            "epss": self.epss,
            "percentile": self.percentile,
            "cvss": self.cvss,
            "vector": self.vector,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """An advisory that covers a component's version."""

    component: Component
    advisory: str  # the advisory id (PYSEC-…, GHSA-…, CVE-…)
    aliases: tuple[str, ...] = ()  # other ids of the same advisory (CVE ids among them)
    summary: str = ""
    fixed: tuple[str, ...] = ()  # versions that fix it, lowest first; empty when none is known
    severity: str = ""  # critical/high/medium/low when the advisory or its CVSS says
    vector: str = ""  # CVSS vector given by the advisory
    source: str = ""  # "osv", "nvd"
    references: tuple[str, ...] = field(default=())

    @property
    def cves(self) -> tuple[str, ...]:
        ids = (self.advisory, *self.aliases)
        return tuple(i for i in ids if i.upper().startswith("CVE-"))
