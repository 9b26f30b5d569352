"""Fold an imported report into the organisation's findings, by scope (design.md §6).

Rules:
- the same problem is one finding whatever tool saw it: the fingerprint is (organisation,
  asset — or the report's host when no declared asset matches —, check, location);
- a *scope* is a tool and what its reports cover (chosen by the uploader). A finding lists the
  scopes whose latest report lists it (``Finding.scopes``); a newer report of the scope that
  no longer lists it takes the scope out, and the finding is fixed once no scope is left (an
  import never fixes what rempart's own scans still see, nor a person's decision);
- a finding fixed earlier and reported again is reopened;
- the same report imported twice changes nothing: the time a finding was seen is the report's
  own scan time, or the time its file (same SHA-256) was first imported.

Everything is written in the caller's transaction: an import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Status
from rempart.intel.model import Component as IntelComponent
from rempart.web.fastinsert import insert_rows, ordered_uuid, update_rows
from rempart.web.findings.models import (
    ACTIVE_STATUSES,
    SEVERITY_RANK,
    EventKind,
    Finding,
    FindingEvent,
    FindingStatus,
)
from rempart.web.findings.policy import due_date, fingerprint, is_known_exploited

ENGINE_SOURCE = "rempart"
CHUNK = 500  # ids per IN (...) query: under SQLite's bound on query parameters
MAX_EVIDENCE = 4000
MAX_REFERENCES = 60


@dataclass(slots=True)
class Record:
    """One future finding: the failures of a report merged by fingerprint."""

    check: str
    location: str
    severity: str
    evidence: str
    references: list[str]
    title: str
    rule: str
    fix: str
    sources: list[str]
    asset_id: str | None
    target: str


@dataclass
class Collected:
    """What a report holds, ready to fold: failures by fingerprint, components, counts."""

    records: dict[str, Record] = field(default_factory=dict)
    components: list[IntelComponent] = field(default_factory=list)
    banners: list[tuple[str, str, str]] = field(default_factory=list)  # (evidence, target, loc)
    statuses: dict[str, int] = field(default_factory=dict)  # observations by status
    merged: int = 0  # duplicate failures folded into one finding


class AssetIndex:
    """Maps a report's host, URL or address onto the organisation's declared asset."""

    def __init__(self, assets: Iterable[tuple[str, str]]) -> None:
        self._by_name = {name.lower().rstrip("."): str(pk) for pk, name in assets}

    def asset_for(self, target: str, location: str) -> str | None:
        for candidate in (target, _host_of(location)):
            key = candidate.lower().rstrip(".")
            if key and key in self._by_name:
                return self._by_name[key]
        return None


def _host_of(location: str) -> str:
    text = location
    if "://" in text:
        text = text.split("://", 1)[1].split("/", 1)[0]
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def collect(
    org_id: object, items: Iterable[Observation | IntelComponent], assets: AssetIndex
) -> Collected:
    out = Collected()
    statuses = out.statuses
    for item in items:
        if isinstance(item, IntelComponent):
            out.components.append(item)
            continue
        status = str(item.status)
        statuses[status] = statuses.get(status, 0) + 1
        if item.status is not Status.FAIL:
            continue
        if item.check == "net.service.version" and item.evidence:
            out.banners.append((item.evidence, item.target, item.location))
        add_failure(out, org_id, item, assets)
    return out


def add_failure(out: Collected, org_id: object, obs: Observation, assets: AssetIndex) -> None:
    asset_id = assets.asset_for(obs.target, obs.location)
    key = asset_id or (obs.target or _host_of(obs.location)).lower()
    fp = fingerprint(org_id, key, obs.check, obs.location)
    current = out.records.get(fp)
    if current is None:
        spec = CATALOG.get(obs.check)
        out.records[fp] = Record(
            check=obs.check,
            location=obs.location[:500],
            severity=str(obs.severity),
            evidence=obs.evidence,
            references=list(dict.fromkeys(obs.references)),
            title=(spec.title if spec else obs.title or obs.check)[:300],
            rule=obs.rule[:200],
            fix=obs.fix,
            sources=[obs.source or ENGINE_SOURCE],
            asset_id=asset_id,
            target=obs.target,
        )
        return
    out.merged += 1
    if SEVERITY_RANK.get(str(obs.severity), 0) > SEVERITY_RANK.get(current.severity, 0):
        current.severity = str(obs.severity)
    if obs.evidence and obs.evidence not in current.evidence:
        if len(current.evidence) + len(obs.evidence) < MAX_EVIDENCE:
            current.evidence = f"{current.evidence}\n{obs.evidence}".strip()
    for ref in obs.references:
        if ref not in current.references and len(current.references) < MAX_REFERENCES:
            current.references.append(ref)
    if obs.fix and obs.fix not in current.fix:
        current.fix = f"{current.fix}, {obs.fix}".strip(", ")
    source = obs.source or ENGINE_SOURCE
    if source not in current.sources:
        current.sources.append(source)


@dataclass
class FoldCounts:
    opened: int = 0
    reopened: int = 0
    fixed: int = 0
    seen: int = 0  # reported again, already known (no change of status)

    def add(self, other: FoldCounts) -> None:
        self.opened += other.opened
        self.reopened += other.reopened
        self.fixed += other.fixed
        self.seen += other.seen

    def as_dict(self) -> dict[str, int]:
        return {
            "opened": self.opened,
            "reopened": self.reopened,
            "fixed": self.fixed,
            "seen": self.seen,
        }


def _chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# The columns a fold reads of an existing finding, in this order.
_READ = (
    "id",
    "fingerprint",
    "status",
    "sources",
    "scopes",
    "last_seen",
    "severity",
    "known_exploited",
    "times_reopened",
    "due_date",
    "fix",
)
_UPDATE = (
    "fix",
    "sources",
    "scopes",
    "last_seen",
    "status",
    "times_reopened",
    "fixed_at",
    "due_date",
)


def fold_scope(
    report: Any,
    scope: str,
    records: dict[str, Record],
    observed_at: datetime,
    enrich: Any,
) -> FoldCounts:
    """Apply one report's failures for one scope; return what changed.

    ``enrich(references) -> dict`` gives the CVE facts of a new finding (``cves``, ``cve_ids``,
    ``known_exploited``, ``ransomware``, ``epss``, ``cvss``). Rows are read as tuples and
    written with one prepared statement per kind of change (``rempart.web.fastinsert``):
    a reimport of an unchanged report of 100,000 findings writes nothing at all.
    """
    if not scope or any(ch.isspace() for ch in scope):
        raise ValueError(f"a scope key has no blank: {scope!r}")
    org_id = report.organisation_id
    tag = f" {scope} "
    # Due dates count from the day the center learns of a problem, not from the report's
    # scan date: an old report imported today must not be overdue at once.
    today = timezone.localdate()
    counts = FoldCounts()
    existing: dict[str, list[Any]] = {}
    for chunk in _chunks(list(records)):
        for row in Finding.objects.filter(
            organisation_id=org_id, fingerprint__in=chunk
        ).values_list(*_READ):
            existing[row[1]] = list(row)
    events: list[dict[str, Any]] = []
    fresh: list[dict[str, Any]] = []
    updates: list[tuple[Any, ...]] = []
    for fp, rec in records.items():
        row = existing.get(fp)
        if row is None:
            finding = _new_row(report, fp, rec, observed_at, enrich, tag, today)
            fresh.append(finding)
            events.append(_event(finding["id"], observed_at, EventKind.OPENED, "", "open", report))
            counts.opened += 1
            continue
        pk, _fp, status, sources, scopes, last_seen, severity, kev, reopened, due, fix = row
        fixed_at = None
        dirty = False
        missing = [s for s in rec.sources if s not in sources]
        if missing:
            sources = [*sources, *missing]
            dirty = True
        if rec.fix and not fix:  # a later report (or an advisory) knows the version to install
            fix = rec.fix[:2000]
            dirty = True
        if tag not in scopes:
            scopes = f" {' '.join([*scopes.split(), scope])} "
            dirty = True
        if observed_at > last_seen:
            last_seen = observed_at
            dirty = True
        if status == FindingStatus.FIXED:
            events.append(_event(pk, observed_at, EventKind.REOPENED, "fixed", "reopened", report))
            status = FindingStatus.REOPENED
            reopened += 1
            due = due_date(severity, kev, today)
            counts.reopened += 1
            dirty = True
        else:
            counts.seen += 1
        if dirty:
            updates.append((fix, sources, scopes, last_seen, status, reopened, fixed_at, due, pk))
    insert_rows(Finding, fresh)
    update_rows(Finding, _UPDATE, updates)
    counts.fixed = _close_missing(report, scope, records, observed_at, events)
    insert_rows(FindingEvent, events)
    return counts


def _close_missing(
    report: Any,
    scope: str,
    records: dict[str, Record],
    observed_at: datetime,
    events: list[dict[str, Any]],
) -> int:
    """The scope's findings this report no longer lists lose the scope; those no scope and
    no scan of rempart's reports any more are fixed."""
    rows = Finding.objects.filter(
        organisation_id=report.organisation_id, scopes__contains=f" {scope} "
    ).values_list("id", "fingerprint", "status", "sources", "scopes", "fixed_at")
    gone = [row for row in rows if row[1] not in records]
    updates: list[tuple[Any, ...]] = []
    fixed = 0
    for pk, _fp, status, sources, scopes, fixed_at in gone:
        left = " ".join(s for s in scopes.split() if s != scope)
        if status in ACTIVE_STATUSES and not left and ENGINE_SOURCE not in sources:
            events.append(_event(pk, observed_at, EventKind.FIXED, status, "fixed", report))
            status, fixed_at = FindingStatus.FIXED, observed_at
            fixed += 1
        updates.append((f" {left} " if left else "", status, fixed_at, pk))
    update_rows(Finding, ("scopes", "status", "fixed_at"), updates)
    return fixed


def _new_row(
    report: Any,
    fp: str,
    rec: Record,
    observed_at: datetime,
    enrich: Any,
    tag: str,
    today: date,
) -> dict[str, Any]:
    facts = enrich(rec.references)
    kev = facts["known_exploited"] or is_known_exploited(rec.check, rec.evidence, rec.references)
    return {
        "id": ordered_uuid(),
        "organisation_id": report.organisation_id,
        "asset_id": rec.asset_id,
        "fingerprint": fp,
        "check_id": rec.check[:120],
        "location": rec.location,
        "title": rec.title,
        "severity": rec.severity,
        "severity_rank": SEVERITY_RANK.get(rec.severity, 0),
        "known_exploited": kev,
        "passive": False,
        "status": FindingStatus.OPEN.value,
        "evidence": rec.evidence[:MAX_EVIDENCE],
        "references": rec.references,
        "sources": list(rec.sources),
        "rule": rec.rule,
        "fix": rec.fix[:2000],
        "cves": facts["cves"],
        "cve_ids": facts["cve_ids"],
        "ransomware": facts["ransomware"],
        "epss": facts["epss"],
        "cvss": facts["cvss"],
        "scopes": tag,
        "first_seen": observed_at,
        "last_seen": observed_at,
        "due_date": due_date(rec.severity, kev, today),
    }


def _event(
    finding_id: Any, at: datetime, kind: str, from_status: str, to_status: str, report: Any
) -> dict[str, Any]:
    return {
        "finding_id": finding_id,
        "at": at,
        "kind": str(kind),
        "from_status": str(from_status),
        "to_status": str(to_status),
        "report_id": report.pk,
    }
