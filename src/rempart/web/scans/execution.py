"""Run a batch of claimed scans through the engine and record each as soon as it completes.

The engine runs in its own thread with its own event loop (it is plain asyncio and knows
nothing of Django); this thread keeps the database work: heartbeats, progress, and the
results of each target the moment its last family finishes. A worker killed mid-batch
therefore loses only the scans still in flight, and those are taken over by another
attempt once their heartbeat goes stale (services.do_requeue_stale).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from rempart.engine.catalog import FAMILIES, ids_of_family
from rempart.engine.model import Observation, Status
from rempart.engine.runner import scan_stream
from rempart.engine.scoring import grade
from rempart.engine.target import Target, TargetError, parse_target
from rempart.web.assets.models import AssetKind
from rempart.web.assets.services import prove_many, record_proof
from rempart.web.engine_bridge import engine_config
from rempart.web.findings.services import do_fold_observations
from rempart.web.scans.models import Scan, ScanMode, ScanStatus
from rempart.web.scans.services import claim_scan

HEARTBEAT_SECONDS = 2.0


@dataclass
class Job:
    scan: Scan
    claim: uuid.UUID
    active: bool
    target: Target | None = None
    note: str = ""  # said on the scan when it ends (e.g. downgraded to passive)
    done_units: int = 0
    total_units: int = 0


@dataclass
class _Group:
    """Jobs that share one engine target and mode (two businesses may declare one name)."""

    jobs: list[Job]
    remaining: int
    observations: list[Observation] = field(default_factory=list)


def run_batch(scan_ids: list[str], worker: str) -> int:
    """Claim what can be claimed of ``scan_ids`` and run it. Returns scans completed here."""
    jobs = _claim(scan_ids, worker)
    if not jobs:
        return 0
    _recheck_control(jobs)
    runnable = [j for j in jobs if j.target is not None]
    for job in jobs:
        if job.target is None:
            _finish(job, [], failed=job.note)
    return len(jobs) - len(runnable) + _run(runnable)


def _claim(scan_ids: list[str], worker: str) -> list[Job]:
    jobs: list[Job] = []
    for scan_id in scan_ids:
        token = claim_scan(scan_id, worker)
        if token is None:
            continue  # done already, or another live attempt holds it (idempotent re-delivery)
        scan = Scan.objects.select_related("asset", "organisation").get(pk=scan_id)
        job = Job(scan, token, active=scan.mode == ScanMode.ACTIVE)
        try:
            job.target = _target_of(scan)
        except TargetError as exc:
            job.note = f"The asset name cannot be scanned: {exc}"
        jobs.append(job)
    return jobs


def _target_of(scan: Scan) -> Target:
    asset = scan.asset
    target = parse_target(asset.name)
    if asset.kind == AssetKind.DOMAIN and target.is_ip:
        raise TargetError("a domain asset holds an address")
    return target


def _recheck_control(jobs: list[Job]) -> None:
    """Proof of control is checked again right before every active scan (design.md §4)."""
    active = [j for j in jobs if j.active and j.target is not None]
    proofs = prove_many([j.scan.asset for j in active])
    for job, proof in zip(active, proofs, strict=True):
        if not record_proof(job.scan.asset, proof, None, reason="before scan"):
            job.active = False
            job.note = (
                "Proof of control was not found before the scan, so only passive DNS and "
                "mail checks ran: " + "; ".join(proof.reasons)
            )
            Scan.objects.filter(pk=job.scan.pk).update(mode=ScanMode.PASSIVE)
            job.scan.mode = ScanMode.PASSIVE


def _families(active: bool) -> int:
    config = engine_config(active=active)
    return sum(1 for f in FAMILIES if any(c in config.checks for c in ids_of_family(f)))


def _engine_thread(groups: dict[tuple[bool, str], _Group], events: queue.Queue) -> None:
    async def one_mode(active: bool) -> None:
        keys = [key for key in groups if key[0] is active]
        if not keys:
            return
        targets = [groups[key].jobs[0].target for key in keys]
        config = engine_config(active=active)
        async for unit in scan_stream([t for t in targets if t is not None], config):
            events.put(("unit", (active, str(unit.target)), unit.observations))

    async def main() -> None:
        await asyncio.gather(one_mode(True), one_mode(False))

    try:
        asyncio.run(main())
    except BaseException as exc:  # noqa: BLE001 - reported to the recording thread, never lost
        events.put(("crash", None, f"{type(exc).__name__}: {exc}"))
    finally:
        events.put(("end", None, None))


def _run(jobs: list[Job]) -> int:
    if not jobs:
        return 0
    groups: dict[tuple[bool, str], _Group] = {}
    for job in jobs:
        key = (job.active, str(job.target))
        job.total_units = _families(job.active)
        group = groups.setdefault(key, _Group([], job.total_units))
        group.jobs.append(job)
    _start_progress(jobs)
    events: queue.Queue = queue.Queue()
    thread = threading.Thread(
        target=_engine_thread, args=(groups, events), name="rempart-engine", daemon=True
    )
    thread.start()
    completed = 0
    last_beat = time.monotonic()
    crash = ""
    while True:
        try:
            kind, key, payload = events.get(timeout=HEARTBEAT_SECONDS)
        except queue.Empty:
            kind, key, payload = "idle", None, None
        if kind == "unit":
            group = groups[key]
            group.observations.extend(payload)
            group.remaining -= 1
            for job in group.jobs:
                job.done_units += 1
            if group.remaining == 0:
                for job in group.jobs:
                    completed += _finish(job, group.observations)
                del groups[key]
        elif kind == "crash":
            crash = payload
        elif kind == "end":
            break
        if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
            _heartbeat([j for g in groups.values() for j in g.jobs])
            last_beat = time.monotonic()
    thread.join()
    for group in groups.values():  # the engine ended without finishing these: say why
        for job in group.jobs:
            _finish(job, group.observations, failed=f"The scan engine stopped: {crash}")
    return completed


def _start_progress(jobs: list[Job]) -> None:
    for job in jobs:
        Scan.objects.filter(pk=job.scan.pk, claim=job.claim).update(
            progress_done=0, progress_total=job.total_units
        )


def _heartbeat(jobs: list[Job]) -> None:
    now = timezone.now()
    for job in jobs:
        Scan.objects.filter(pk=job.scan.pk, claim=job.claim).update(
            heartbeat_at=now, progress_done=job.done_units
        )


def _error_summary(observations: list[Observation]) -> str:
    reasons: dict[str, None] = {}
    for obs in observations:
        if obs.status is Status.ERROR:
            reasons.setdefault(obs.reason, None)
    lines = list(reasons)
    more = f"\n(and {len(lines) - 5} other reasons)" if len(lines) > 5 else ""
    return "\n".join(lines[:5]) + more


def _finish(job: Job, observations: list[Observation], failed: str = "") -> int:
    """Record one scan's outcome and fold its findings, once (fenced by the claim token)."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=job.scan.pk)
        if scan.claim != job.claim or scan.status != ScanStatus.RUNNING:
            return 0  # another attempt took over after our heartbeat went stale
        data = [{**o.to_dict(), "target": o.target} for o in observations]
        errors = _error_summary(observations)
        scan.finished_at = timezone.now()
        scan.progress_done = job.total_units
        scan.observations = data
        if failed:
            scan.status = ScanStatus.FAILED
            scan.reason = failed
        else:
            scan.status = ScanStatus.PARTIAL if errors else ScanStatus.DONE
            scan.reason = "\n".join(x for x in (job.note, errors) if x)
            result = grade(observations)
            scan.grade, scan.score = result.letter, result.score
            scan.counts = _counts(observations)
        scan.save()
        if not failed:
            do_fold_observations(scan, data, passive=not job.active)
    return 1


def _counts(observations: list[Observation]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    for obs in observations:
        if obs.status is Status.FAIL and (obs.check, obs.location) not in seen:
            seen.add((obs.check, obs.location))
            counts[str(obs.severity)] += 1
    counts["errors"] = sum(1 for o in observations if o.status is Status.ERROR)
    return dict(counts)
