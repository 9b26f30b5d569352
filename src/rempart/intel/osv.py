"""OSV advisories (https://ossf.github.io/osv-schema/): records, compaction, index, matching.

A record's ``affected[]`` entries name a package (``ecosystem`` + ``name``) and the versions it
covers, as ``ranges[]`` (``ECOSYSTEM`` or ``SEMVER`` events ``introduced``/``fixed``/
``last_affected``/``limit``) and as an enumerated ``versions[]`` list. A version is affected when
it is listed or lies in a range, evaluated exactly as the schema's ``IsVulnerable`` pseudocode
says: events sorted by version, ``introduced`` opens, ``fixed`` closes at that version,
``last_affected`` closes after it, ``limit`` caps the range. Version order comes from the
ecosystem's univers class (see :mod:`rempart.intel.ecosystems`), never from string order.

Skipped on purpose, and counted in :class:`OsvStats`: ``withdrawn`` records, ``GIT`` ranges
(commit hashes need the repository's history), ranges whose bounds the ecosystem's class
cannot parse, ``ECOSYSTEM`` ranges of an ecosystem univers has no class for (their
``versions[]`` still match).

The index keeps each range's events as strings until the first component of that package is
matched; they are parsed once then (univers objects are cached), so loading stays cheap.
Reading and compacting records (files, all.zip) is in :mod:`rempart.intel.osv_records`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from univers.versions import SemverVersion, Version

from rempart.intel import cvss
from rempart.intel.ecosystems import (
    HASH_CONSISTENT,
    VERSION_CLASS,
    PackageKey,
    key_from_purl,
    normalize_name,
    parse_version,
    split_ecosystem,
    version_key,
)
from rempart.intel.matchstats import MatchStats
from rempart.intel.model import Component, Match
from rempart.intel.osv_records import MAX_REFERENCES, list_field, severity_list, summary_of
from rempart.intel.streaming import FeedFormatError

# Event kinds, in the order used to break ties between equal versions: an empty range
# {introduced: X, fixed: X} must not cover X.
_INTRODUCED, _LAST_AFFECTED, _FIXED, _LIMIT = 0, 1, 2, 3
_KINDS = {"introduced": _INTRODUCED, "last_affected": _LAST_AFFECTED, "fixed": _FIXED}
_GHSA_WORDS = {"critical": "critical", "high": "high", "moderate": "medium", "low": "low"}


@dataclass(slots=True)
class OsvStats:
    """What loading saw and set aside (nothing is dropped silently)."""

    records: int = 0
    withdrawn: int = 0
    git_ranges: int = 0  # ignored: commit ranges need the repository
    unusable_ranges: int = 0  # a bound the ecosystem's version class rejects
    unordered_ranges: int = 0  # ECOSYSTEM range of an ecosystem without a univers class
    no_package: int = 0  # affected[] entries without a package (GIT-only)

    def add(self, other: OsvStats) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class OsvAdvisory:
    id: str
    aliases: tuple[str, ...]
    upstream: tuple[str, ...]  # schema 1.7 "upstream": the CVE a distribution record is about
    summary: str
    vectors: tuple[str, ...]  # CVSS vectors, record-level then package-level
    vector: str  # the best valid one of them (newest CVSS version), "" when none
    severity: str  # database_specific.severity (GHSA) in rempart words, "" when none
    published: str
    modified: str
    references: tuple[str, ...]

    @property
    def cves(self) -> tuple[str, ...]:
        ids = (self.id, *self.aliases, *self.upstream)
        return tuple(i for i in ids if i.upper().startswith("CVE-"))


def _best_vector(vectors: Iterable[str]) -> str:
    valid = [v for v in vectors if cvss.score(v) is not None]
    return max(valid, key=cvss.rank, default="")


class _Range:
    """One ``ECOSYSTEM``/``SEMVER`` range: events kept as text until first needed, then
    parsed once into sort keys (:func:`version_key`), sorted, and kept."""

    __slots__ = ("_events", "_kind", "_limits", "_parsed", "broken")

    def __init__(self, kind: type[Version], events: tuple[tuple[int, str], ...]) -> None:
        self._kind = kind
        self._events = events
        self._parsed: tuple[tuple[int, Any, str], ...] | None = None
        self._limits: tuple[Any, ...] = ()
        self.broken = False

    @property
    def kind(self) -> type[Version]:
        return self._kind

    def _parse(self) -> tuple[tuple[int, Any, str], ...]:
        if self._parsed is not None:
            return self._parsed
        floor: list[tuple[int, Any, str]] = []  # introduced "0": before any version
        bounded: list[tuple[int, Any, str]] = []
        limits: list[Any] = []
        for kind, text in self._events:
            if kind == _INTRODUCED and text == "0":
                floor.append((kind, None, text))
            elif kind == _LIMIT and "*" in text:
                limits.append(None)  # "*" is infinity (schema, special values)
            else:
                value = version_key(self._kind, text)
                if value is None:
                    self.broken = True
                    self._parsed = ()
                    return self._parsed
                if kind == _LIMIT:
                    limits.append(value)
                else:
                    bounded.append((kind, value, text))
        # By version, equal versions by kind (introduced before fixed): two stable sorts.
        try:
            bounded.sort(key=lambda e: e[0])
            bounded.sort(key=lambda e: e[1])
        except TypeError:  # values the class cannot order against each other
            self.broken = True
            bounded = []
        self._parsed = (*floor, *bounded) if not self.broken else ()
        self._limits = tuple(limits)
        return self._parsed

    def evaluate(self, version: Any) -> tuple[bool, str]:
        """(is ``version`` (a :func:`version_key`) in the range, the lowest ``fixed`` above it
        in this range or "")."""
        events = self._parse()
        if self.broken:
            return False, ""
        try:
            if self._limits and not any(lim is None or version < lim for lim in self._limits):
                return False, ""
            vulnerable = False
            for kind, bound, _ in events:
                if bound is not None and bound > version:
                    break  # sorted: no later event can fire (schema pseudocode, unrolled)
                if kind == _INTRODUCED:
                    vulnerable = True
                elif kind == _FIXED or (kind == _LAST_AFFECTED and bound != version):
                    vulnerable = False
            return vulnerable, self.fixed_above(version) if vulnerable else ""
        except TypeError:  # two values a class cannot order: no claim
            return False, ""

    def fixed_above(self, version: Any) -> str:
        for kind, bound, text in self._parse():
            if kind == _FIXED and bound is not None and bound > version:
                return text  # sorted: the first one above is the lowest
        return ""


class _Affected:
    """One ``affected[]`` entry of one record, under one index key."""

    __slots__ = ("_parsed_versions", "advisory", "kind", "ranges", "release", "versions")

    def __init__(
        self,
        advisory: OsvAdvisory,
        kind: type[Version] | None,
        release: str,
        ranges: tuple[_Range, ...],
        versions: frozenset[str],
    ) -> None:
        self.advisory = advisory
        self.kind = kind
        self.release = release
        self.ranges = ranges
        self.versions = versions
        self._parsed_versions: frozenset[Any] | tuple[Any, ...] | None = None

    def listed(self, text: str) -> bool:
        if text in self.versions:
            return True
        if self.kind is None:
            return False
        value = version_key(self.kind, text)
        if value is None:
            return False
        if self._parsed_versions is None:  # "2.0" lists 2.0.0 too (PEP 440 equality)
            kind = self.kind
            parsed = [k for k in (version_key(kind, v) for v in self.versions) if k is not None]
            hashed = kind in HASH_CONSISTENT
            self._parsed_versions = frozenset(parsed) if hashed else tuple(parsed)
        if isinstance(self._parsed_versions, frozenset):
            return value in self._parsed_versions
        return any(value == v for v in self._parsed_versions)

    def hit(self, text: str) -> tuple[bool, set[str], bool]:
        """(affected, fixed versions to install, version unparsable by every scheme)."""
        fixed: set[str] = set()
        affected = False
        parsed_any = False
        for one in self.ranges:
            value = version_key(one.kind, text)
            if value is None:
                continue
            parsed_any = True
            inside, fix = one.evaluate(value)
            if inside:
                affected = True
                if fix:
                    fixed.add(fix)
        if not affected and self.listed(text):
            affected = True
            own = version_key(self.kind, text) if self.kind is not None else None
            if own is not None:  # listed only: the lowest fix above it in any range
                fixes = [r.fixed_above(own) for r in self.ranges if r.kind is self.kind]
                fixed.update(f for f in fixes if f)
        unparsable = bool(self.ranges) and not parsed_any and not affected
        return affected, fixed, unparsable


class OsvIndex:
    """OSV records indexed by ``(ecosystem, normalised name)``."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], list[_Affected]] = {}
        self._by_id: dict[str, OsvAdvisory] = {}
        self.stats = OsvStats()
        self.ecosystems: set[str] = set()

    def __len__(self) -> int:
        return len(self._by_id)

    def advisories(self) -> Iterator[OsvAdvisory]:
        return iter(self._by_id.values())

    def advisory(self, advisory_id: str) -> OsvAdvisory | None:
        return self._by_id.get(advisory_id)

    def drop_ecosystem(self, ecosystem: str) -> None:
        """Forget every entry of ``ecosystem`` (a feed file replaces the snapshot's)."""
        for key in [k for k in self._by_key if k[0] == ecosystem]:
            del self._by_key[key]
        self.ecosystems.discard(ecosystem)

    def add(self, record: Mapping[str, Any], ecosystem: str = "") -> None:
        """Index one OSV record (full or compact); withdrawn records are counted and skipped.

        With ``ecosystem`` ("npm"), only that ecosystem's ``affected`` entries are indexed:
        osv.dev puts a record that names several ecosystems in each of their all.zip files.
        """
        self.stats.records += 1
        if record.get("withdrawn"):
            self.stats.withdrawn += 1
            return
        advisory_id = record.get("id")
        if not isinstance(advisory_id, str) or not advisory_id:
            raise FeedFormatError("an OSV record needs an id")
        special = record.get("database_specific")
        word = special.get("severity") if isinstance(special, Mapping) else None
        entries = [e for e in list_field(record.get("affected")) if isinstance(e, Mapping)]
        vectors = [s["score"] for s in severity_list(record.get("severity"))]
        for entry in entries:
            vectors += [s["score"] for s in severity_list(entry.get("severity"))]
        advisory = OsvAdvisory(
            id=advisory_id,
            aliases=tuple(str(a) for a in list_field(record.get("aliases")) if a),
            upstream=tuple(str(a) for a in list_field(record.get("upstream")) if a),
            summary=summary_of(record),
            vectors=tuple(dict.fromkeys(vectors)),
            vector=_best_vector(vectors),
            severity=_GHSA_WORDS.get(str(word).lower(), "") if word else "",
            published=str(record.get("published") or ""),
            modified=str(record.get("modified") or ""),
            references=tuple(
                str(r["url"])
                for r in list_field(record.get("references"))[:MAX_REFERENCES]
                if isinstance(r, Mapping) and r.get("url")
            ),
        )
        self._by_id[advisory_id] = advisory
        for entry in entries:
            self._add_entry(advisory, entry, ecosystem)

    def _add_entry(self, advisory: OsvAdvisory, entry: Mapping[str, Any], only: str) -> None:
        package = entry.get("package")
        if not isinstance(package, Mapping) or not package.get("name"):
            self.stats.no_package += 1
            return
        ecosystem, release = split_ecosystem(str(package.get("ecosystem") or ""))
        if only and ecosystem != only:
            return
        kind = VERSION_CLASS.get(ecosystem)
        ranges: list[_Range] = []
        for one in list_field(entry.get("ranges")):
            if not isinstance(one, Mapping):
                continue
            range_type = str(one.get("type") or "")
            if range_type == "GIT":
                self.stats.git_ranges += 1
                continue
            range_kind = SemverVersion if range_type == "SEMVER" else kind
            if range_type not in ("ECOSYSTEM", "SEMVER") or range_kind is None:
                self.stats.unordered_ranges += 1
                continue
            events = tuple(_events(one.get("events")))
            if any(k == _INTRODUCED for k, _ in events):
                ranges.append(_Range(range_kind, events))
            else:
                self.stats.unusable_ranges += 1  # the schema requires an introduced event
        versions = frozenset(str(v) for v in list_field(entry.get("versions")))
        name = normalize_name(ecosystem, str(package["name"]))
        affected = _Affected(advisory, kind, release, tuple(ranges), versions)
        self._by_key.setdefault((ecosystem, name), []).append(affected)
        self.ecosystems.add(ecosystem)

    def lookup(self, component: Component) -> tuple[PackageKey, str] | None:
        """The index key and version of ``component``: from its purl, else its ecosystem."""
        if component.purl:
            found = key_from_purl(component.purl)
            if found is not None:
                key, purl_version = found
                return key, component.version or purl_version
        if component.ecosystem and component.name:
            ecosystem, release = split_ecosystem(component.ecosystem)
            name = normalize_name(ecosystem, component.name)
            return PackageKey(ecosystem, name, release), component.version
        return None

    def match(
        self,
        component: Component,
        stats: MatchStats | None = None,
        found: tuple[PackageKey, str] | None = None,
    ) -> list[Match]:
        """Advisories covering ``component``'s version (one Match per alias group).

        ``found`` is :meth:`lookup`'s answer when the caller already has it.
        """
        found = found or self.lookup(component)
        if found is None:
            return []
        key, version = found
        version = version.strip()
        if not version:
            return []
        entries = self._by_key.get((key.ecosystem, key.name), ())
        hits: dict[str, tuple[OsvAdvisory, set[str]]] = {}
        unparsable = False
        for entry in entries:
            if key.release and entry.release and entry.release != key.release:
                continue  # another distribution release's advisory
            affected, fixed, bad = entry.hit(version)
            unparsable = unparsable or bad
            if affected:
                _, known = hits.setdefault(entry.advisory.id, (entry.advisory, set()))
                known.update(fixed)
        if unparsable and not hits and stats is not None:
            stats.unparsable.append(f"{key.ecosystem} {key.name} {version}")
        return _merge_aliases(component, [hits[i] for i in sorted(hits)], entries)

    def cve_vectors(self) -> dict[str, str]:
        """The best CVSS vector OSV gives for each CVE id (from records that alias it)."""
        best: dict[str, str] = {}
        for advisory in self._by_id.values():
            vector = advisory.vector
            if not vector:
                continue
            for cve in advisory.cves:
                known = best.get(cve.upper())
                if known is None or cvss.rank(vector) > cvss.rank(known):
                    best[cve.upper()] = vector
        return best


def _events(items: object) -> Iterator[tuple[int, str]]:
    if not isinstance(items, list):
        return
    for event in items:
        if not isinstance(event, Mapping):
            continue
        for name, value in event.items():
            if name in _KINDS:
                yield _KINDS[name], str(value)
            elif name == "limit":
                yield _LIMIT, str(value)


def _sort_versions(kind: type[Version] | None, values: Iterable[str]) -> tuple[str, ...]:
    items = list(dict.fromkeys(values))
    if len(items) < 2:
        return tuple(items)

    def order(text: str) -> tuple[int, Any]:
        parsed = parse_version(kind, text) if kind is not None else None
        return (0, parsed) if parsed is not None else (1, text)

    try:
        return tuple(sorted(items, key=order))
    except TypeError:
        return tuple(sorted(items))


def _merge_aliases(
    component: Component,
    hits: list[tuple[OsvAdvisory, set[str]]],
    entries: Iterable[_Affected],
) -> list[Match]:
    """One Match per vulnerability: records that alias each other (PYSEC and GHSA for one
    CVE) are one (the schema: aliases are symmetric and transitive)."""
    if not hits:
        return []
    kind = next((e.kind for e in entries), None)
    groups: list[list[tuple[OsvAdvisory, set[str]]]] = []
    group_of: dict[str, int] = {}  # any id or alias -> index in groups
    for advisory, fixed in hits:
        ids = (advisory.id, *advisory.aliases)
        joined = sorted({group_of[i] for i in ids if i in group_of})
        if not joined:
            at = len(groups)
            groups.append([])
        else:  # merge every group this record links, into the first one
            at = joined[0]
            for other in joined[1:]:
                groups[at] += groups[other]
                groups[other] = []
                group_of.update([(i, at) for i, v in group_of.items() if v == other])
        groups[at].append((advisory, fixed))
        group_of.update((i, at) for i in ids)
    return [_match(component, members, kind) for members in groups if members]


def _match(
    component: Component, members: list[tuple[OsvAdvisory, set[str]]], kind: type[Version] | None
) -> Match:
    first = members[0][0]
    ids = {i for m in members for i in (m[0].id, *m[0].aliases)}
    # Upstream ids are listed with the aliases (they name the CVE of a distribution's
    # record) but never join groups: a DSA bundling several CVEs is not one of them.
    upstream = {u for m in members for u in m[0].upstream}
    fixed_all = set().union(*(fixed for _, fixed in members))
    vector = max((m[0].vector for m in members), key=cvss.rank, default="")
    rated = cvss.score(vector) if vector else None
    words = (m[0].severity for m in members if m[0].severity)
    return Match(
        component=component,
        advisory=first.id,
        aliases=(*sorted(ids - {first.id}), *sorted(upstream - ids)),
        summary=next((m[0].summary for m in members if m[0].summary), ""),
        fixed=_sort_versions(kind, fixed_all),
        severity=rated[1] if rated else next(words, ""),
        vector=vector,
        source="osv",
        references=tuple(dict.fromkeys(r for m in members for r in m[0].references)),
    )
