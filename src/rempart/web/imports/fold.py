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

import contextlib
import gc
import json
import os
import pickle
import queue
import signal
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Status
from rempart.importers import ReportError, ReportInfo
from rempart.intel.model import Component as IntelComponent
from rempart.web.fastinsert import Inserter, insert_tuples, ordered_uuid, update_rows
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


def add_failure(
    out: Collected, org_id: object, obs: Observation, assets: AssetIndex
) -> tuple[str, bool]:
    """Add one failure to ``out``; its fingerprint, and whether it is a new record (else it
    was merged into the record of an earlier failure)."""
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
        return fp, True
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
    return fp, False


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


# -- one import: planned while the report is read, written as the plan comes ------------------
#
# Speed (bench/import_bench.py, 100,000-line Nuclei JSONL → 87,853 findings, 2-core machine):
# reading and merging the report took ≈ 2.7 s of CPU and writing it ≈ 3.6 s, one after the
# other (6.4–8.6 s end to end). Now a child process (``os.fork``) reads the report, merges
# failures by fingerprint, compares them with the organisation's findings (read once, before
# the fork) and converts each *new* finding into the row the database takes; it streams those
# rows through a pipe, by batches, to this process, which inserts them at once — inside the
# import's one transaction. Both cores work; see bench/README.md for the figures.
#
# All or nothing: the transaction is open from the first row to the last. A report that
# breaks anywhere (even on its last line) makes the child send the error; this process
# raises it, and the transaction is rolled back: not one finding is left written.
#
# What can only be decided once the whole report is read comes in the child's last message
# (``Planned``): a new finding merged again after its row was sent (its whole row is
# rewritten), the known findings that change, those the scope's report no longer lists, and
# the time the report saw them: new rows are written with the time known before reading (the
# first import of the same file, or this upload) and, when the report states its own scan
# time, set to it with one UPDATE over the keys written (version-7 keys of this import: one
# range of the primary-key index).


# The columns read of the organisation's findings before a fold, in this order.
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
    "fixed_at",
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
_EVENT_COLUMNS = (
    "finding_id",
    "at",
    "kind",
    "from_status",
    "to_status",
    "actor_id",
    "scan_id",
    "report_id",
    "note",
)
ROWS_PER_MESSAGE = 2500  # new findings per message of the child (≈ 1.5 MB pickled)
MESSAGES_AHEAD = 16  # messages read ahead of the writer (bounded memory: ≈ 25 MB)
PROGRESS_EVERY = 1 << 20  # bytes read between two progress messages
FORK = hasattr(os, "fork")  # tests turn it off to run the same plan in this process


def read_organisation(org_id: Any) -> dict[str, tuple[Any, ...]]:
    """The ``_READ`` columns of every finding of the organisation, by fingerprint, as the
    database gives them (no ORM converters: a report of 100,000 known findings spent 2.3 s
    in them, parsing JSON and dates of rows that mostly need no change)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Finding._meta.get_field(n).column) for n in _READ)
    table = quote(Finding._meta.db_table)
    org = org_id.hex if connection.vendor == "sqlite" else org_id
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE organisation_id = %s",  # noqa: S608 - names from the model
            [org],
        )
        return {row[1]: row for row in cursor.fetchall()}


@dataclass
class Context:
    """What planning an import needs, gathered before the report is read (and the fork)."""

    org_id: Any
    report_id: Any
    assets: AssetIndex
    existing: dict[str, tuple[Any, ...]]  # read_organisation()
    provisional: datetime  # when the report saw things, unless it says so itself
    today: date
    enrich: Any  # references -> CVE facts (services.Enricher)
    findings: Inserter = field(init=False)
    events: Inserter = field(init=False)
    hex_keys: bool = field(init=False)

    def __post_init__(self) -> None:
        self.findings = Inserter(Finding, _NEW_COLUMNS)
        self.events = Inserter(FindingEvent, _EVENT_COLUMNS)
        # Rows are converted for the database (JSON text, dates) in this process, which has
        # time to spare while the child reads (measured, 100,000-line Nuclei report: the
        # child spent 4.4 s of CPU and this process 1.8 s when the child converted; 3.6 s and
        # 2.8 s when this process does). Only the new keys are made text in the child, where
        # they are cheap to write as 32 hex characters (as Django keeps UUIDs on SQLite) and
        # to pickle (a UUID object pickles as a class and a state dictionary).
        self.hex_keys = connection.vendor == "sqlite"


@dataclass
class Planned:
    """The child's last message: everything decided once the whole report is read."""

    tag: str
    stamp: datetime  # the time new findings were written with
    observed_at: datetime  # the time the report saw them
    counts: FoldCounts
    statuses: dict[str, int]
    merged: int
    findings: int
    info: ReportInfo
    software: list[Any]
    matched: int
    rewrites: list[tuple[Any, ...]]  # new findings merged after being written
    updates: list[tuple[Any, ...]]  # known findings that change (_UPDATE, then the key)
    closes: list[tuple[Any, ...]]  # (scopes, status, fixed_at, key) of those no longer listed
    events: list[tuple[Any, ...]]  # reopened and fixed events (_EVENT_COLUMNS)
    first_id: Any = None  # the lowest and highest keys of the new findings
    last_id: Any = None


class Planner:
    """Turns the report's items into rows, sent by batches through ``send`` (in the child)."""

    def __init__(self, ctx: Context, info: ReportInfo, tag_for: Callable[[ReportInfo], str]):
        self.ctx = ctx
        self.info = info
        self.tag_for = tag_for
        self.out = Collected()
        # fingerprint -> key of the new finding written, and what a merge may change of it
        self.sent: dict[str, tuple[Any, tuple[Any, ...]]] = {}
        self.dirty: set[str] = set()  # new findings merged again after being written
        self.rows: list[Any] = []
        self.tag = ""
        # The time new rows are written with: the report's scan time as far as read when the
        # first new finding comes (nuclei writes its results in time order: the first line's
        # time is the report's), else the time known before reading. ``finish`` corrects the
        # rows when the whole report says otherwise.
        self.stamp: datetime | None = None
        self.send: Callable[[Any], None] = lambda _message: None

    def add(self, obs: Observation) -> None:
        """One failure: merged into its record, and written at once when it is new."""
        ctx = self.ctx
        fp, created = add_failure(self.out, ctx.org_id, obs, ctx.assets)
        if fp in ctx.existing:
            return  # known: compared once the whole report is read
        if not created:
            if fp in self.sent:
                self.dirty.add(fp)
            return
        if self.stamp is None:
            self.tag = self.tag_for(self.info)
            self.stamp = _observed(self.info, ctx.provisional)
        pk: Any = ordered_uuid().hex if ctx.hex_keys else ordered_uuid()
        rec = self.out.records[fp]
        self.sent[fp] = (pk, _merged_state(rec))
        # The record's fields only: the writer makes the row and its event (see Writer).
        self.rows.append((pk, fp, *_fields(rec)))
        if len(self.rows) >= ROWS_PER_MESSAGE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.send(("new", self.rows, self.stamp, self.tag))
            self.rows = []

    def run(
        self,
        items: Iterable[Observation | IntelComponent],
        send: Callable[[Any], None],
        after_parse: Callable[[Collected, Callable[[Observation], None]], tuple[list[Any], int]],
    ) -> None:
        self.send = send
        out = self.out
        statuses = out.statuses
        add = self.add
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
            add(item)
        software, matched = after_parse(out, add)
        self.flush()
        send(("end", self.finish(software, matched)))

    def finish(self, software: list[Any], matched: int) -> Planned:
        ctx, info, out = self.ctx, self.info, self.out
        tag = self.tag or self.tag_for(info)
        scope = tag.strip()
        observed_at = _observed(info, ctx.provisional)
        today = ctx.today
        counts = FoldCounts(opened=len(self.sent))
        rewrites = []
        for fp in self.dirty:
            pk, state = self.sent[fp]
            rec = out.records[fp]
            if _merged_state(rec) == state:
                continue  # the same result again (a template matching twice): nothing to add
            row = _new_row(ctx.org_id, pk, fp, rec, observed_at, ctx.enrich, tag, today)
            rewrites.append((*(row[i] for i in _MERGED_INDEXES), pk))
        events: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        existing = ctx.existing
        for fp, rec in out.records.items():
            row = existing.get(fp)
            if row is None:
                continue
            pk, _fp, status, sources, scopes, last_seen, severity, kev, reopened, due, fix, _ = row
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
                events.append(_event(pk, observed_at, EventKind.REOPENED, "fixed", "reopened", ctx))
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
                updates.append(
                    (fix, sources, scopes, last_seen, status, reopened, fixed_at, due, pk)
                )
        # The scope's findings this report no longer lists lose the scope; those left with no
        # scope and not seen by rempart's own scans are fixed.
        closes: list[tuple[Any, ...]] = []
        for fp, row in existing.items():
            pk, _fp, status, sources, scopes = row[:5]
            if tag not in scopes or fp in out.records:
                continue
            fixed_at = row[11]
            left = " ".join(s for s in scopes.split() if s != scope)
            if status in ACTIVE_STATUSES and not left and ENGINE_SOURCE not in _json_list(sources):
                events.append(_event(pk, observed_at, EventKind.FIXED, status, "fixed", ctx))
                status, fixed_at = FindingStatus.FIXED, observed_at
                counts.fixed += 1
            closes.append((f" {left} " if left else "", status, fixed_at, pk))
        keys = [pk for pk, _state in self.sent.values()]
        return Planned(
            tag=tag,
            stamp=self.stamp or observed_at,
            observed_at=observed_at,
            counts=counts,
            statuses=out.statuses,
            merged=out.merged,
            findings=len(out.records),
            info=info,
            software=software,
            matched=matched,
            rewrites=rewrites,
            updates=updates,
            closes=closes,
            events=events,
            first_id=min(keys, key=_key_int) if keys else None,
            last_id=max(keys, key=_key_int) if keys else None,
        )


def _observed(info: ReportInfo, fallback: datetime) -> datetime:
    """When the report saw what it lists: its own scan time (as far as read), else
    ``fallback`` (the first import of the same file, or this upload)."""
    seen = info.scanned_at
    if seen is None:
        return fallback
    return seen if seen.tzinfo is not None else seen.replace(tzinfo=UTC)


def _fields(rec: Record) -> tuple[Any, ...]:
    """A record as the tuple of its fields, in ``Record``'s order (what the child sends)."""
    return (
        rec.check,
        rec.location,
        rec.severity,
        rec.evidence,
        rec.references,
        rec.title,
        rec.rule,
        rec.fix,
        rec.sources,
        rec.asset_id,
        rec.target,
    )


def _merged_state(rec: Record) -> tuple[Any, ...]:
    """What merging another failure into a record may change (``add_failure``)."""
    return (rec.severity, rec.evidence, len(rec.references), rec.fix, len(rec.sources))


def _key_int(key: Any) -> int:
    return int(key.int) if isinstance(key, uuid.UUID) else int(str(key), 16)


# The columns of a new finding a merge after its first write may change (``add_failure``:
# severity, evidence, references, fix, sources, and what derives from them). Only these are
# rewritten: an UPDATE naming an indexed column rewrites its index entries.
_MERGED = (
    "severity",
    "severity_rank",
    "known_exploited",
    "evidence",
    "references",
    "sources",
    "fix",
    "cves",
    "cve_ids",
    "ransomware",
    "epss",
    "cvss",
    "due_date",
)


class Writer:
    """This process's side: writes what the planner sends, in the caller's transaction."""

    def __init__(self, ctx: Context, progress: Callable[[int], None] | None = None) -> None:
        self.ctx = ctx
        self.progress = progress
        self.planned: Planned | None = None

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        ctx = self.ctx
        if kind == "new":
            # Rows are made here from the records' fields (enrichment, due date) and converted
            # for the database (JSON text, dates): this process has time to spare while the
            # child reads. Measured on the 100,000-line Nuclei report: child 4.4 s of CPU and
            # this process 1.8 s when the child made and converted the rows; about 3 s each
            # now, so the import takes about as long as the child alone.
            _kind, records, stamp, tag = message
            org_id, enrich, today, report_id = ctx.org_id, ctx.enrich, ctx.today, ctx.report_id
            rows = []
            events = []
            for pk, fp, *fields in records:
                rows.append(_new_row(org_id, pk, fp, Record(*fields), stamp, enrich, tag, today))
                events.append((pk, stamp, "opened", "", "open", None, None, report_id, ""))
            ctx.findings.insert(rows)
            ctx.events.insert(events)
        elif kind == "progress":
            if self.progress is not None:
                self.progress(message[1])
        elif kind == "end":
            self.planned = message[1]

    def finish(self) -> Planned:
        planned = self.planned
        if planned is None:
            raise RuntimeError("the report reader ended without its summary")
        update_rows(Finding, _MERGED, planned.rewrites)
        update_rows(Finding, _UPDATE, planned.updates)
        update_rows(Finding, ("scopes", "status", "fixed_at"), planned.closes)
        if planned.first_id is not None and planned.observed_at != planned.stamp:
            self._restamp(planned)
        insert_tuples(FindingEvent, _EVENT_COLUMNS, planned.events)
        return planned

    def _restamp(self, planned: Planned) -> None:
        """The new findings and their "opened" events take the report's own scan time."""
        ctx = self.ctx
        quote = connection.ops.quote_name

        def prep(model: Any, name: str, value: Any) -> Any:
            return model._meta.get_field(name).get_db_prep_save(value, connection)

        when = prep(Finding, "first_seen", planned.observed_at)
        before = prep(Finding, "first_seen", planned.stamp)
        table = quote(Finding._meta.db_table)
        events = quote(FindingEvent._meta.db_table)
        with connection.cursor() as cursor:
            # The keys of this import's new findings are one range (version-7 keys); the
            # organisation is locked for the fold, so no other row of it is in that range.
            cursor.execute(
                f"UPDATE {table} SET first_seen = %s, last_seen = %s "  # noqa: S608 - names from the model
                "WHERE organisation_id = %s AND id BETWEEN %s AND %s AND first_seen = %s",
                [
                    when,
                    when,
                    prep(Finding, "organisation", ctx.org_id),
                    prep(Finding, "id", planned.first_id),
                    prep(Finding, "id", planned.last_id),
                    before,
                ],
            )
            # Their events are found by the same key range (the finding index), not by the
            # report, whose column has no index (inserting it cost every event).
            cursor.execute(
                f"UPDATE {events} SET at = %s "  # noqa: S608 - names from the model
                "WHERE finding_id BETWEEN %s AND %s AND report_id = %s AND kind = %s AND at = %s",
                [
                    prep(FindingEvent, "at", planned.observed_at),
                    prep(FindingEvent, "finding", planned.first_id),
                    prep(FindingEvent, "finding", planned.last_id),
                    prep(FindingEvent, "report", ctx.report_id),
                    str(EventKind.OPENED),
                    prep(FindingEvent, "at", planned.stamp),
                ],
            )


@contextlib.contextmanager
def quiet_collector() -> Iterator[None]:
    """Python's cyclic garbage collector kept out of an import's way, in this process.

    An import allocates hundreds of thousands of objects that hold no reference cycles (rows,
    parsed values) while the heap holds a long-lived platform (Django, the feeds); every few
    hundred allocations the collector rescanned it. Measured in one process on the 5,000-host
    nmap report: 2.5 s of CPU with the collector as it is, 1.9 s without it. Here what exists
    before the import is frozen (never rescanned, and left untouched by the child's
    copy-on-write pages) and young collections happen 100 times less often; both are undone
    afterwards, so a worker's garbage is collected as before between jobs."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 70_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_in_child(
    work: Callable[[Callable[[Any], None]], None], handle: Callable[[Any], None]
) -> None:
    """Run ``work(send)`` in a forked child; every message it sends is given to ``handle``
    here, in order, as it comes. A ``ReportError`` in the child is raised here (with its
    message), any other failure as a RuntimeError; the child is killed if this side fails
    first.

    The child never touches the database connection it inherits, and leaves by
    ``os._exit`` (no atexit handler, no flush of inherited buffers, no connection closed).
    A thread here drains the pipe while ``handle`` writes (SQLite and psycopg release the
    GIL while they work): with only the pipe's 64 KB buffer, the child stalled during every
    INSERT of a batch (measured: 6.7 s in the child instead of 3.5 s).
    Without ``fork`` (or with ``FORK`` off), ``work`` runs here, with the same messages."""
    if not FORK:
        work(handle)
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        # No cyclic garbage collection in the child: what it makes (parsed elements,
        # observations, records) holds no reference cycles and is freed by reference
        # counting, and the child ends with the import. The collector only rescanned the
        # growing heap (see ``quiet_collector``).
        gc.disable()
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb", buffering=1 << 20) as pipe:

                def send(message: Any) -> None:
                    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
                    pipe.write(len(data).to_bytes(8, "little"))
                    pipe.write(data)

                try:
                    work(send)
                except ReportError as exc:
                    send(("error", str(exc)))
                except BaseException:  # noqa: BLE001 - reported to the parent, which raises
                    send(("crash", traceback.format_exc()))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=MESSAGES_AHEAD)
    stop = threading.Event()

    def drain() -> None:
        with os.fdopen(read_end, "rb", buffering=1 << 20) as pipe:
            while not stop.is_set():
                head = pipe.read(8)
                data = pipe.read(int.from_bytes(head, "little")) if len(head) == 8 else b""
                if not data:
                    break
                while not stop.is_set():
                    try:
                        frames.put(data, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        frames.put(None) if not stop.is_set() else None

    reader = threading.Thread(target=drain, name="import-reader", daemon=True)
    reader.start()
    finished = False
    try:
        while True:
            data = frames.get()
            if data is None:
                raise RuntimeError("the report reader stopped without finishing")
            # Our own forked child wrote it, never the report: no untrusted pickle.
            message = pickle.loads(data)  # noqa: S301
            kind = message[0]
            if kind == "error":
                raise ReportError(message[1])
            if kind == "crash":
                raise RuntimeError(f"the report reader failed:\n{message[1]}")
            handle(message)
            if kind == "end":
                finished = True
                break
    finally:
        stop.set()
        if not finished:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        reader.join()


def _utc(value: Any) -> datetime:
    """A datetime as the database gives it: aware (PostgreSQL), or naive UTC (SQLite, as a
    ``datetime`` through Django's column converters or as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value)


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
    org_id: Any,
    pk: Any,
    fp: str,
    rec: Record,
    observed_at: datetime,
    enrich: Any,
    tag: str,
    today: date,
) -> tuple[Any, ...]:
    facts = enrich(rec.references)
    # is_known_exploited(check, evidence, references), its references' part looked up once
    # per set of references (``Enricher``): the walk over them cost 1.2 s for 88,000 rows.
    kev = (
        facts["known_exploited"]
        or facts["known_exploited_reference"]
        or is_known_exploited(rec.check, rec.evidence, ())
    )
    return (
        pk,
        org_id,
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
    finding_id: Any, at: datetime, kind: str, from_status: str, to_status: str, ctx: Context
) -> tuple[Any, ...]:
    """An event of the fold, in the order of ``_EVENT_COLUMNS``."""
    return (
        finding_id,
        at,
        str(kind),
        str(from_status),
        str(to_status),
        None,
        None,
        ctx.report_id,
        "",
    )


_MERGED_INDEXES = tuple(_NEW_COLUMNS.index(name) for name in _MERGED)
