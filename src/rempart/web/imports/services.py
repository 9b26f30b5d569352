"""Upload, run and requeue imports (services shared by the portal, the API, the CLI and tasks).

An upload is streamed to disk with its SHA-256 and cut off at REMPART_IMPORT_MAX_BYTES; the
import then runs as a job: the report is parsed (streaming, in a child process) while its
findings are written, all in one transaction. A bad report fails the job with a message
naming the file and where it broke, and the transaction is rolled back: the findings are
untouched.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, known_formats, read_report
from rempart.intel.model import Component as IntelComponent
from rempart.intel.model import Match
from rempart.web.assets.models import Asset
from rempart.web.fastinsert import insert_rows
from rempart.web.findings.policy import is_known_exploited
from rempart.web.imports.fold import (
    PROGRESS_EVERY,
    AssetIndex,
    Collected,
    Context,
    Planner,
    Writer,
    quiet_collector,
    read_organisation,
    run_in_child,
)
from rempart.web.imports.models import IMPORT_UNFINISHED, Component, Import, ImportStatus
from rempart.web.intel_bridge import intel
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Organisation, User

log = logging.getLogger(__name__)

STALE_AFTER = 120  # seconds without a heartbeat: the worker running the import died
MAX_ATTEMPTS = 3
ENGINE_SCOPE = "rempart"
DEFAULT_SCOPE = "default"


class ImportRefused(ValueError):
    """An upload that cannot be accepted; the message is for the user (translated)."""


# -- upload ---------------------------------------------------------------------------------


def _store_path(org_id: object, import_id: object) -> Path:
    return Path(settings.IMPORTS_DIR) / str(org_id) / f"{import_id}.report"


def do_upload(
    organisation: Organisation,
    chunks: Iterable[bytes],
    file_name: str,
    actor: User | None,
    *,
    format: str = "",
    scope: str = "",
    queue: bool = True,
) -> Import:
    """Keep the uploaded file (streamed, hashed, size-limited) and queue its import."""
    format = (format or "").strip()
    if format and format not in known_formats():
        raise ImportRefused(_("Unknown format “%(format)s”.") % {"format": format})
    name = Path(file_name or "report").name[:255] or "report"
    import_id = uuid.uuid4()
    path = _store_path(organisation.pk, import_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    limit = settings.REMPART_IMPORT_MAX_BYTES
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise ImportRefused(
                        _("%(name)s is larger than the limit of %(limit)s MB.")
                        % {"name": name, "limit": limit // (1024 * 1024) or 1}
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # An empty file is not refused here: for Nuclei it is a valid "nothing found" report,
    # for the other formats the job fails with "the file is empty".
    with transaction.atomic():
        report = Import.objects.create(
            id=import_id,
            organisation=organisation,
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
            file_name=name,
            stored_as=str(path.relative_to(Path(settings.IMPORTS_DIR))),
            size=size,
            sha256=digest.hexdigest(),
            requested_format=format,
            scope=(scope or "").strip()[:200] or DEFAULT_SCOPE,
        )
        audit(
            AuditAction.REPORT_IMPORTED,
            actor=actor,
            organisation=organisation,
            obj=report,
            file=name,
            sha256=report.sha256,
            size=size,
        )
        if queue:
            transaction.on_commit(lambda: enqueue([str(report.pk)]))
    return report


def enqueue(import_ids: list[str]) -> None:
    from rempart.web.imports.tasks import run_import_task

    Import.objects.filter(pk__in=import_ids).update(enqueued_at=timezone.now())
    for pk in import_ids:
        run_import_task.delay(pk)


# -- running --------------------------------------------------------------------------------


class Beacon:
    """A running import's progress and heartbeat, outside the database: a small file next to
    the stored report (``Import.beacon``), rewritten every ``BEAT`` seconds by a thread and
    read by the portal and the API (``Import.live_progress``) and by the reaper of dead
    imports. The database cannot carry them during an import: its one transaction holds
    SQLite's write lock (and the import row's lock on PostgreSQL) from start to commit. The
    imports folder is shared by the web and the workers already (uploads are stored there)."""

    BEAT = 5.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.percent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="import-beacon", daemon=True)

    def __enter__(self) -> Beacon:
        self._write()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.path.unlink(missing_ok=True)

    def _beat(self) -> None:
        written = self.percent
        while not self._stop.wait(0.5):
            if self.percent != written or time.monotonic() - self._at >= self.BEAT:
                written = self.percent
                self._write()

    def _write(self) -> None:
        self._at = time.monotonic()
        spare = self.path.with_name(self.path.name + ".new")
        try:
            spare.write_text(str(self.percent), encoding="ascii")
            os.replace(spare, self.path)  # readers never see a half-written number
        except OSError:
            log.warning("cannot write the import's progress to %s", self.path, exc_info=True)


def _beacon_alive(report: Import, now: datetime) -> bool:
    """Whether the worker running ``report`` wrote its beacon within ``STALE_AFTER``."""
    try:
        beat = report.beacon.stat().st_mtime
    except OSError:
        return False
    return beat > now.timestamp() - STALE_AFTER


def claim_import(import_id: str) -> uuid.UUID | None:
    """Take the import for this attempt (fenced like scans); None when another holds it."""
    now = timezone.now()
    running = Import.objects.filter(pk=import_id, status=ImportStatus.RUNNING).first()
    if running is not None and _beacon_alive(running, now):
        return None  # its worker is alive: the row's heartbeat is old only because of the lock
    stale = now - timedelta(seconds=STALE_AFTER)
    token = uuid.uuid4()
    taken = (
        Import.objects.filter(pk=import_id)
        .filter(
            Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, heartbeat_at__lt=stale)
        )
        .update(
            status=ImportStatus.RUNNING,
            claim=token,
            heartbeat_at=now,
            started_at=now,
            attempts=F("attempts") + 1,
            progress=0,
            stage="reading",
        )
    )
    return token if taken else None


def run_import(import_id: str, progress: Callable[[int, int], None] | None = None) -> str:
    """Run one import to its end; returns its final status (or "" when not ours to run).

    ``progress(bytes_read, size)`` is called as the file is read (the CLI's progress bar).
    """
    token = claim_import(import_id)
    if token is None:
        return ""
    report = Import.objects.select_related("organisation").get(pk=import_id)
    try:
        return _run(report, token, progress)
    except ReportError as exc:
        return _fail(report, token, str(exc))
    except Exception:
        log.exception("import %s failed", import_id)
        return _fail(
            report,
            token,
            _(
                "%(name)s could not be imported because of an internal error; the center's team "
                "has the details. Nothing was changed."
            )
            % {"name": report.file_name},
        )


def _fail(report: Import, token: uuid.UUID, message: str) -> str:
    Import.objects.filter(pk=report.pk, claim=token).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        error=message[:4000],
        stage="",
    )
    return ImportStatus.FAILED


def _assets(organisation_id: object) -> AssetIndex:
    return AssetIndex(
        Asset.objects.filter(organisation_id=organisation_id).values_list("pk", "name")
    )


def _run(
    report: Import, token: uuid.UUID, progress: Callable[[int, int], None] | None = None
) -> str:
    info = ReportInfo(name=report.file_name)
    path = Path(settings.IMPORTS_DIR) / report.stored_as
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ReportError(
            _("the stored file cannot be read (%(why)s)") % {"why": exc.strerror or exc},
            file=report.file_name,
        ) from None
    org_id = report.organisation_id
    facts = Enricher()  # loads the feeds here, before the fork: the child shares them
    assets = _assets(org_id)
    provisional = _observed_at(report, info)  # the report's own scan time is not known yet
    size = report.size

    beacon = Beacon(report.beacon)

    def on_progress(read: int) -> None:
        beacon.percent = min(99, read * 100 // size) if size else 0
        if progress is not None:
            progress(read, size)

    # Read, merge and write in one transaction (all or nothing): the report is read by a
    # child process while this one writes what it sends (fold.run_in_child). Inside the
    # transaction the import's row cannot tell anyone how far it got (SQLite holds its write
    # lock, PostgreSQL its row lock): the beacon file does, and says the worker is alive.
    with stream, beacon, quiet_collector(), _large_cache(), transaction.atomic():
        # One fold per organisation at a time (scans take the same lock): reads of existing
        # findings and the inserts that follow cannot interleave with another fold's.
        Organisation.objects.select_for_update().filter(pk=org_id).first()
        current = Import.objects.select_for_update().get(pk=report.pk)
        if current.claim != token:
            return current.status  # another attempt took over: it writes, not us
        ctx = Context(
            org_id=org_id,
            report_id=report.pk,
            assets=assets,
            existing=read_organisation(org_id),
            provisional=provisional,
            today=timezone.localdate(),
            enrich=facts,
        )
        planner = Planner(
            ctx, info, lambda seen: f" {scope_key(seen.tool or seen.format, report.scope)} "
        )

        def work(send: Callable[[Any], None]) -> None:
            reported = [0]

            def tell(read: int) -> None:
                if read - reported[0] >= PROGRESS_EVERY:
                    reported[0] = read
                    send(("progress", read))

            items = read_report(
                stream,
                info,
                format=report.requested_format or None,
                limit=settings.REMPART_IMPORT_MAX_BYTES,
                on_progress=tell,
            )

            def after_parse(
                collected: Collected, add: Callable[[Observation], None]
            ) -> tuple[list[Any], int]:
                software = _software(collected)
                # What the report says and what rempart's matching of its components adds are
                # one set: the same CVE on the same package from both is one finding with both
                # sources.
                return software, _intel_records(software, add, assets)

            planner.run(items, send, after_parse)

        writer = Writer(ctx, on_progress)
        run_in_child(work, writer.handle)
        planned = writer.finish()
        seen = planned.info
        components = _replace_components(report, planned.tag.strip(), planned.software)
        current.status = ImportStatus.DONE
        current.finished_at = timezone.now()
        current.progress = 100
        current.stage = ""
        current.format = seen.format
        current.tool = (seen.tool or seen.format)[:80]
        current.tool_version = seen.tool_version[:80]
        current.scanned_at = seen.scanned_at
        current.counts = {
            **planned.counts.as_dict(),
            "observations": sum(planned.statuses.values()),
            "statuses": planned.statuses,
            "findings": planned.findings,
            "merged": planned.merged,
            "components": components,
            "vulnerable_components": planned.matched,
            "not_imported": seen.notes,
            "targets": len(seen.targets),
        }
        current.save()
    return ImportStatus.DONE


@contextmanager
def _large_cache() -> Iterator[None]:
    """SQLite's page cache at 64 MB for the write (2 MB by default): inserting 100,000 rows
    into the findings' indexes took 3.5 s with the default and 2.8 s with 64–128 MB here."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def scope_key(tool: str, scope: str) -> str:
    """The key findings carry for a tool and scope: lower-case (SQLite's LIKE, which finds a
    scope's findings, ignores case) and without blanks (keys are space-separated)."""
    key = f"{'_'.join(tool.split())}:{'_'.join(scope.split()) or DEFAULT_SCOPE}"
    return key.lower()


def _observed_at(report: Import, info: ReportInfo) -> datetime:
    """When the report saw what it lists: its own scan time, else the first import of the
    same file (so importing it again changes nothing), else this upload."""
    if info.scanned_at is not None:
        seen = info.scanned_at
        return seen if timezone.is_aware(seen) else seen.replace(tzinfo=UTC)
    first = (
        Import.objects.filter(organisation_id=report.organisation_id, sha256=report.sha256)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return first or report.created_at


# -- intel: CVE facts and vulnerable components --------------------------------------------------


class Enricher:
    """CVE facts for findings, from the loaded feeds, each CVE looked up once per import."""

    def __init__(self) -> None:
        self._intel = intel()
        self._cache: dict[str, dict[str, Any]] = {}
        self._by_references: dict[tuple[str, ...], dict[str, Any]] = {}

    _NONE: dict[str, Any] = {  # noqa: RUF012 - read-only: copied by every caller
        "cves": [],
        "cve_ids": "",
        "known_exploited": False,
        "ransomware": False,
        "epss": None,
        "cvss": None,
    }

    def __call__(self, references: list[str]) -> dict[str, Any]:
        # The findings of one template carry the same references: looked up once (88,000
        # findings: 0.6 s → 0.1 s). The facts are shared, read-only.
        key = tuple(references)
        found = self._by_references.get(key)
        if found is None:
            found = self._by_references[key] = self._facts(references)
        return found

    def _facts(self, references: list[str]) -> dict[str, Any]:
        facts = self._cves(references)
        # What policy.is_known_exploited finds in the references alone.
        return {**facts, "known_exploited_reference": is_known_exploited("", "", references)}

    def _cves(self, references: list[str]) -> dict[str, Any]:
        if not any(r[:4].upper() == "CVE-" for r in references):
            return self._NONE  # most findings carry no CVE: nothing to look up
        ids = [r.upper() for r in references if r.upper().startswith("CVE-")]
        cves = [self._fact(i) for i in dict.fromkeys(ids)]
        epss = [c["epss"] for c in cves if c["epss"] is not None]
        cvss = [c["cvss"] for c in cves if c["cvss"] is not None]
        return {
            "cves": cves,
            "cve_ids": f" {' '.join(c['id'] for c in cves)} " if cves else "",
            "known_exploited": any(c["kev"] for c in cves),
            "ransomware": any(c["ransomware"] for c in cves),
            "epss": max(epss) if epss else None,
            "cvss": max(cvss) if cvss else None,
        }

    def _fact(self, cve: str) -> dict[str, Any]:
        found = self._cache.get(cve)
        if found is None:
            found = self._cache[cve] = self._intel.cve(cve).to_dict()
        return found


def banner_component(evidence: str, target: str = "", feeds: Any = None) -> IntelComponent | None:
    """The software named by a service banner observation ("OpenSSH 7.4 (…)")."""
    head = evidence.split(" (", 1)[0].strip()
    product, _sep, version = head.rpartition(" ")
    if not product or not version or not any(ch.isdigit() for ch in version):
        return None
    cpe = ""
    for word in evidence.replace(",", " ").replace(")", " ").split():
        if word.startswith(("cpe:/", "cpe:2.3:")):
            cpe = word
            break
    return (feeds or intel()).component_from_banner(product, version, cpe) or None


def _software(collected: Collected) -> list[tuple[IntelComponent, str]]:
    """Every component the report names, with how it was listed: SBOM or inventory items,
    and the software of the banners it saw (each distinct banner read once)."""
    found: list[tuple[IntelComponent, str]] = [(c, c.source) for c in collected.components]
    feeds = intel()
    memo: dict[str, IntelComponent | None] = {}
    for evidence, target, _location in collected.banners:
        if evidence not in memo:
            memo[evidence] = banner_component(evidence, feeds=feeds)
        component = memo[evidence]
        if component is not None:
            found.append((_with_target(component, target), "banner"))
    return found


def record_scan_banners(scan: Any, observations: list[dict[str, Any]]) -> int:
    """The software a scan's banners disclosed becomes the asset's scanned inventory, so a
    feed update that makes its version known-exploited alerts the business."""
    scope = f"{ENGINE_SCOPE}:{scan.asset_id}"
    found: list[IntelComponent] = []
    for obs in observations:
        if obs.get("check") != "net.service.version" or obs.get("status") != "fail":
            continue
        component = banner_component(obs.get("evidence", ""))
        if component is not None:
            found.append(component)
    Component.objects.filter(organisation_id=scan.organisation_id, scope=scope).delete()
    return insert_rows(
        Component, (_component_row(scan.organisation_id, scope, None, c, "banner") for c in found)
    )


def _intel_records(
    software: list[tuple[IntelComponent, str]],
    add: Callable[[Observation], None],
    assets: AssetIndex,
) -> int:
    """Give ``add`` a failure for every component (SBOM, inventory, banner) an advisory
    covers; return how many components are vulnerable.

    Each distinct software (name, version, identifiers) is matched once: a network report
    shows the same server version on hundreds of hosts (5,000-host nmap: 23,000 banners,
    a few dozen distinct). Runs in the child that reads the report: no query here."""
    if not software:
        return 0
    places: dict[IntelComponent, list[IntelComponent]] = {}
    for component, _how in software:
        places.setdefault(replace(component, target=""), []).append(component)
    hit = 0
    for match in intel().match(list(places)):
        where = places.get(match.component, [])
        hit += len(where)
        for component in where:
            add(_match_observation(replace(match, component=component)))
    return hit


def _with_target(component: IntelComponent, target: str) -> IntelComponent:
    return replace(component, target=component.target or target)


def _package_place(component: IntelComponent) -> str:
    if component.purl:
        return component.purl.split("?", 1)[0].split("#", 1)[0]
    return f"{component.name}@{component.version}"


def _match_observation(match: Match) -> Observation:
    comp = match.component
    cves = match.cves
    ident = (cves[0] if cves else match.advisory).upper()
    severity = match.severity if match.severity in Severity.__members__.values() else ""
    fixed = ", ".join(match.fixed)
    evidence = f"{comp.name} {comp.version}: {match.summary or match.advisory}"
    if not severity:
        severity = "medium"
        evidence += " (the advisory gives no severity: medium assumed)"
    return Observation(
        check=f"vuln.{ident}",
        status=Status.FAIL,
        severity=Severity(severity),
        location=_package_place(comp),
        evidence=evidence[:2000],
        references=tuple(dict.fromkeys((*cves, match.advisory, *match.aliases))),
        target=comp.target,
        source=match.source or "intel",
        rule=match.advisory,
        # Neutral in both languages; the advisory's own words are in the evidence.
        title=f"{comp.name} {comp.version} — {ident}"[:300],
        fix=fixed,
    )


def _replace_components(
    report: Import, scope: str, software: list[tuple[IntelComponent, str]]
) -> int:
    """The scope's inventory becomes the one this report lists (banners from scans aside)."""
    Component.objects.filter(organisation_id=report.organisation_id, scope=scope).delete()
    return insert_rows(
        Component,
        (_component_row(report.organisation_id, scope, report, c, how) for c, how in software),
    )


def _component_row(
    org_id: object, scope: str, report: Import | None, c: IntelComponent, source: str
) -> dict[str, Any]:
    return {
        "organisation_id": org_id,
        "scope": scope,
        "report_id": report.pk if report is not None else None,
        "name": c.name[:300],
        "version": c.version[:120],
        "vendor": c.vendor[:200],
        "purl": c.purl[:500],
        "cpe": c.cpe[:300],
        "ecosystem": c.ecosystem[:60],
        "target": c.target[:300],
        "source": (source or c.source)[:40],
    }


# -- requeue ------------------------------------------------------------------------------------


def do_requeue_stale_imports() -> int:
    """Imports of dead workers run again; hopeless ones fail with a sentence."""
    now = timezone.now()
    stale = now - timedelta(seconds=STALE_AFTER)
    dead = Import.objects.filter(status=ImportStatus.RUNNING, heartbeat_at__lt=stale)
    alive = [report.pk for report in dead.only("pk", "stored_as") if _beacon_alive(report, now)]
    dead = dead.exclude(pk__in=alive)
    dead.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ImportStatus.FAILED,
        finished_at=now,
        error=_("The import was interrupted on every attempt (worker lost). Nothing was changed."),
    )
    ids = [str(pk) for pk in dead.values_list("pk", flat=True)]
    # A queued import whose last message is this old was presumed lost by the broker (as for
    # scans); sending it again is harmless (claims are fenced), and it is sent once a period,
    # not at every tick of the beat.
    lost = now - timedelta(seconds=settings.REMPART_SCAN_REQUEUE_QUEUED_AFTER)
    silent = Q(enqueued_at__lt=lost) | Q(enqueued_at__isnull=True, created_at__lt=lost)
    ids += [
        str(pk)
        for pk in Import.objects.filter(status=ImportStatus.QUEUED)
        .filter(silent)
        .values_list("pk", flat=True)
    ]
    if ids:
        enqueue(ids)
    return len(ids)


def do_requeue_all_unfinished_imports() -> int:
    ids = [
        str(pk)
        for pk in Import.objects.filter(status__in=IMPORT_UNFINISHED).values_list("pk", flat=True)
    ]
    if ids:
        enqueue(ids)
    return len(ids)
