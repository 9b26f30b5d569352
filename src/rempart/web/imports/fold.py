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

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Status
from rempart.intel.model import Component as IntelComponent
from rempart.web.fastinsert import insert_rows, insert_tuples, ordered_uuid, update_rows
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
    existing = {row[1]: row for row in _read_existing(org_id, list(records))}
    events: list[dict[str, Any]] = []
    fresh: list[tuple[Any, str, Record]] = []
    updates: list[tuple[Any, ...]] = []
    for fp, rec in records.items():
        row = existing.get(fp)
        if row is None:
            # Only the key now; the row is built while it is written (memory stays flat).
            new_id = ordered_uuid()
            fresh.append((new_id, fp, rec))
            events.append(_event(new_id, observed_at, EventKind.OPENED, "", "open", report))
            counts.opened += 1
            continue
        pk, _fp, status, sources, scopes, last_seen, severity, kev, reopened, due, fix = row
        fixed_at = None
        dirty = False
        if isinstance(sources, str):  # SQLite gives the JSON text: parse it only if needed
            if all(f'"{name}"' in sources for name in rec.sources):
                sources = None
            else:
                sources = json.loads(sources)
        if sources is not None:
            missing = [s for s in rec.sources if s not in sources]
            if missing:
                sources = [*sources, *missing]
                dirty = True
        last_seen = _utc(last_seen)
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
            if sources is None:
                sources = _json_list(row[3])
            updates.append((fix, sources, scopes, last_seen, status, reopened, fixed_at, due, pk))
    update_rows(Finding, _UPDATE, updates)
    # Before the new rows exist: the scope's members read here are the earlier findings only.
    counts.fixed = _close_missing(report, scope, records, observed_at, events)
    insert_tuples(
        Finding,
        _NEW_COLUMNS,
        (_new_row(report, pk, fp, rec, observed_at, enrich, tag, today) for pk, fp, rec in fresh),
    )
    insert_rows(FindingEvent, events)
    return counts


def _read_existing(org_id: Any, fingerprints: list[str]) -> Iterator[tuple[Any, ...]]:
    """The ``_READ`` columns of the organisation's findings with these fingerprints, as the
    database gives them (no ORM converters: a report of 100,000 known findings spent 2.3 s
    in them, parsing JSON and dates of rows that mostly need no change)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Finding._meta.get_field(n).column) for n in _READ)
    table = quote(Finding._meta.db_table)
    org = org_id.hex if connection.vendor == "sqlite" else org_id
    with connection.cursor() as cursor:
        for chunk in _chunks(fingerprints):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {columns} FROM {table} "  # noqa: S608 - names from the model
                f"WHERE organisation_id = %s AND fingerprint IN ({marks})",
                [org, *chunk],
            )
            yield from cursor.fetchall()


def _utc(value: Any) -> datetime:
    """A datetime as the database gives it: aware (PostgreSQL), or naive UTC (SQLite, as a
    ``datetime`` through Django's column converters or as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value)


def _close_missing(
    report: Any,
    scope: str,
    records: dict[str, Record],
    observed_at: datetime,
    events: list[dict[str, Any]],
) -> int:
    """The scope's findings this report no longer lists lose the scope; those no scope and
    no scan of rempart's reports any more are fixed."""
    members = Finding.objects.filter(
        organisation_id=report.organisation_id, scopes__contains=f" {scope} "
    )
    # Two narrow columns for every member (a report of the same findings again reads
    # 100,000 of them), the details only for those the report no longer lists.
    gone_fps = [fp for fp in members.values_list("fingerprint", flat=True) if fp not in records]
    gone: list[tuple[Any, ...]] = []
    for chunk in _chunks(gone_fps):
        gone += members.filter(fingerprint__in=chunk).values_list(
            "id", "fingerprint", "status", "sources", "scopes", "fixed_at"
        )
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


# The order of the values ``_new_row`` gives (every column of a finding).
_NEW_COLUMNS = (
    "id",
    "organisation_id",
    "asset_id",
    "fingerprint",
    "check_id",
    "location",
    "title",
    "severity",
    "severity_rank",
    "known_exploited",
    "passive",
    "status",
    "evidence",
    "references",
    "sources",
    "rule",
    "fix",
    "cves",
    "cve_ids",
    "ransomware",
    "epss",
    "cvss",
    "scopes",
    "first_seen",
    "last_seen",
    "fixed_at",
    "due_date",
    "times_reopened",
    "triage_reason",
    "accepted_until",
    "triaged_by_id",
    "triaged_at",
)


def _new_row(
    report: Any,
    pk: Any,
    fp: str,
    rec: Record,
    observed_at: datetime,
    enrich: Any,
    tag: str,
    today: date,
) -> tuple[Any, ...]:
    facts = enrich(rec.references)
    kev = facts["known_exploited"] or is_known_exploited(rec.check, rec.evidence, rec.references)
    return (
        pk,
        report.organisation_id,
        rec.asset_id,
        fp,
        rec.check[:120],
        rec.location,
        rec.title,
        rec.severity,
        SEVERITY_RANK.get(rec.severity, 0),
        kev,
        False,  # passive
        "open",
        rec.evidence[:MAX_EVIDENCE],
        rec.references,
        rec.sources,
        rec.rule,
        rec.fix[:2000],
        facts["cves"],
        facts["cve_ids"],
        facts["ransomware"],
        facts["epss"],
        facts["cvss"],
        tag,  # scopes
        observed_at,  # first_seen
        observed_at,  # last_seen
        None,  # fixed_at
        due_date(rec.severity, kev, today),
        0,  # times_reopened
        "",  # triage_reason
        None,  # accepted_until
        None,  # triaged_by_id
        None,  # triaged_at
    )


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
