"""Matching components against NVD CPE rules (fetched NVD data and the engine's curated ranges).

A component is identified by its CPE, else its vendor + name, else a product name
:mod:`rempart.intel.products` knows. Rules are indexed by CPE product and filtered by vendor.

What the matcher does not model, on purpose: AND configurations ("application X running on
platform Y") are read as "X is vulnerable" (the platform is not known for a banner); the CPE
``update`` field (``openssh:7.4:p1``) is not compared. A rule with version ``*`` and no bounds
covers every version, as NVD means it.

Versions. A CPE version is free text. Versions are reduced to their dotted numeric head, as
NVD itself splits ``7.4p1`` into version ``7.4`` + update ``p1`` and as the engine's
``software`` module does (``5.7.44-log`` -> ``5.7.44``), trailing ``.0`` groups removed, and
compared with univers's ``rpm`` scheme (rpmvercmp: number by number, any count). univers's
``generic`` scheme is SemVer, which would treat a fourth number as build metadata and call
``10.0.17763.1`` equal to ``10.0.17763.2``. Products whose letters are part of the version use
their own univers scheme (OpenSSL ``1.1.1k``). A version without a numeric head matches nothing
and is counted.

Offline, the index holds the engine's curated ranges (``rempart.engine.data/software/*.toml``,
transcriptions of NVD CPE configurations for the products banners disclose), under the NVD
vendor/product of :mod:`rempart.intel.products`; ``feeds update`` adds the real NVD data.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from urllib.parse import unquote

from univers.version_constraint import VersionConstraint
from univers.version_range import OpensslVersionRange, RpmVersionRange, VersionRange
from univers.versions import OpensslVersion, RpmVersion, Version

from rempart.intel import cvss, products
from rempart.intel.ecosystems import parse_version
from rempart.intel.matchstats import MatchStats
from rempart.intel.model import Component, Match
from rempart.intel.nvd import CpeRule, NvdCve

_HEAD = re.compile(r"^v?(\d+(?:\.\d+)*)")
# Products whose version letters are significant, and the univers range class that knows them.
_SCHEMES: dict[str, tuple[type[VersionRange], type[Version]]] = {
    "openssl": (OpensslVersionRange, OpensslVersion),
}
_DEFAULT_SCHEME: tuple[type[VersionRange], type[Version]] = (RpmVersionRange, RpmVersion)


def numeric_head(version: str) -> str | None:
    """``"7.4p1"`` -> ``"7.4"``, ``"2.4.0"`` -> ``"2.4"``, ``"unknown"`` -> None."""
    found = _HEAD.match(version.strip().lower())
    if not found:
        return None
    parts = found.group(1).split(".")
    while len(parts) > 1 and parts[-1].strip("0") == "":
        parts.pop()
    return ".".join(str(int(p)) for p in parts)


def curated_rules() -> Iterator[CpeRule]:
    """The engine's curated ranges (data/software/*.toml) as CPE rules.

    Each ``[[advisory]]`` has a product key, a VERS range and CVE ids; the key becomes the NVD
    vendor/product through :mod:`rempart.intel.products` (a key it does not know keeps the key
    as both, so nothing is lost).
    """
    folder = resources.files("rempart.engine.data").joinpath("software")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for item in data.get("advisory", []):
            key = str(item["product"]).lower()
            known = products.by_key(key)
            vendor, product = (known.vendor, known.product) if known else (key, key)
            for cve in item["cves"]:
                yield CpeRule(
                    cve=str(cve).upper(),
                    vendor=vendor,
                    product=product,
                    vers=str(item["vulnerable"]),
                    summary=str(item.get("summary", "")),
                    source="curated",
                )


class _Compiled:
    """A rule's range as a univers VersionRange, built on first use."""

    __slots__ = ("fixes", "kind", "span")

    def __init__(
        self, span: VersionRange | None, kind: type[Version], fixes: tuple[tuple[Version, str], ...]
    ) -> None:
        self.span = span  # None: every version ("*" without bounds)
        self.kind = kind
        self.fixes = fixes  # exclusive upper bounds ("<"), lowest first, with the data's text


def _compile(rule: CpeRule) -> _Compiled | None:
    range_class, kind = _SCHEMES.get(rule.product, _DEFAULT_SCHEME)
    pairs: list[tuple[str, str]] = []
    if rule.vers:
        spec = rule.vers.split("/", 1)[1] if "/" in rule.vers else rule.vers
        for part in spec.split("|"):
            found = re.match(r"^(<=|>=|!=|<|>|=)?(.+)$", part.strip())
            if found:
                pairs.append((found.group(1) or "=", found.group(2)))
    elif rule.version not in ("*", ""):
        pairs.append(("=", rule.version))
    else:
        for comparator, bound in (
            (">=", rule.start_including),
            (">", rule.start_excluding),
            ("<=", rule.end_including),
            ("<", rule.end_excluding),
        ):
            if bound:
                pairs.append((comparator, bound))
    if not pairs or pairs == [("=", "*")]:
        return _Compiled(None, kind, ())
    constraints: list[VersionConstraint] = []
    fixes: list[tuple[Version, str]] = []
    for comparator, text in pairs:
        value = _version(kind, text)
        if value is None:
            return None
        constraints.append(VersionConstraint(comparator=comparator, version=value))
        if comparator == "<":
            fixes.append((value, text.strip()))
    constraints.sort()
    fixes.sort(key=lambda f: f[0])
    return _Compiled(range_class(constraints=tuple(constraints)), kind, tuple(fixes))


def _version(kind: type[Version], text: str) -> Version | None:
    if kind is RpmVersion:
        head = numeric_head(text)
        return parse_version(kind, head) if head is not None else None
    return parse_version(kind, text.strip().lower())


def _purl_version(purl: str) -> str:
    """The version of a package URL of any type ("" when it has none)."""
    head, at, version = purl.split("#", 1)[0].split("?", 1)[0].rpartition("@")
    return unquote(version) if at and head and "/" not in version else ""


class NvdIndex:
    """CPE rules by product, CVSS by CVE."""

    def __init__(self) -> None:
        self._rules: dict[str, list[CpeRule]] = {}
        self._compiled: dict[CpeRule, _Compiled | None] = {}
        self._cvss: dict[str, tuple[str, float | None]] = {}
        self._summary: dict[str, str] = {}
        self.cves = 0
        self.unusable_rules = 0

    def add_rule(self, rule: CpeRule) -> None:
        self._rules.setdefault(rule.product, []).append(rule)

    def add(self, cve: NvdCve) -> None:
        self.cves += 1
        if cve.vector:
            self._cvss[cve.id] = (sys.intern(cve.vector), cve.score)
        for rule in cve.rules:
            self.add_rule(rule)

    def extend(self, cves: Iterable[NvdCve]) -> None:
        for cve in cves:
            self.add(cve)

    def cvss(self, cve: str) -> tuple[str, float | None] | None:
        return self._cvss.get(cve.upper())

    def products(self) -> frozenset[str]:
        return frozenset(self._rules)

    def rule_count(self) -> int:
        return sum(len(rules) for rules in self._rules.values())

    def identify(self, component: Component) -> tuple[str, str, str] | None:
        """(vendor, product, version) of a component, from its CPE, vendor+name or a known
        product name; None when it names nothing NVD could know."""
        if component.cpe:
            name = products.parse_cpe(component.cpe)
            if name is not None:
                cpe_version = "" if name.version in ("", "*", "-") else name.version
                version = component.version or cpe_version
                return name.vendor, name.product, version
        version = component.version or _purl_version(component.purl)
        if component.vendor and component.name:
            product = "_".join(component.name.lower().split())
            return component.vendor.strip().lower(), product, version
        known = products.by_name(component.name)
        if known is not None:
            return known.vendor, known.product, version
        return None

    def match(self, component: Component, stats: MatchStats | None = None) -> list[Match]:
        found = self.identify(component)
        if found is None:
            return []
        vendor, product, version = found
        if not version.strip():
            return []
        hits: dict[str, tuple[CpeRule, set[str]]] = {}
        unparsable = False
        for rule in self._rules.get(product, ()):
            if not products.same_vendor(rule.vendor, vendor):
                continue
            if rule not in self._compiled:
                self._compiled[rule] = _compile(rule)
                if self._compiled[rule] is None:
                    self.unusable_rules += 1
            compiled = self._compiled[rule]
            if compiled is None:
                continue
            value = _version(compiled.kind, version)
            if value is None:
                unparsable = True
                continue
            if compiled.span is not None:
                try:
                    if value not in compiled.span:
                        continue
                except TypeError:
                    continue
            fixes = [text for bound, text in compiled.fixes if bound > value][:1]
            _, fixed = hits.setdefault(rule.cve, (rule, set()))
            fixed.update(fixes)
        if unparsable and not hits and stats is not None:
            stats.unparsable.append(f"{vendor}:{product} {version}")
        return [self._as_match(component, hits[c][0], hits[c][1]) for c in sorted(hits)]

    def _as_match(self, component: Component, rule: CpeRule, fixed: set[str]) -> Match:
        vector, _ = self._cvss.get(rule.cve, ("", None))
        rated = cvss.score(vector) if vector else None
        return Match(
            component=component,
            advisory=rule.cve,
            summary=rule.summary,
            fixed=tuple(sorted(fixed)),
            severity=rated[1] if rated else "",
            vector=vector,
            source="nvd",  # curated rules are transcriptions of NVD configurations
            references=(f"https://nvd.nist.gov/vuln/detail/{rule.cve}",),
        )
