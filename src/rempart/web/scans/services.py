"""Request, claim, requeue and schedule scans (services shared by portal, API and tasks)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from rempart.web.assets.models import Asset, Schedule
from rempart.web.assets.services import next_scan_after
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, User
from rempart.web.scans.models import UNFINISHED, Campaign, Scan, ScanMode, ScanStatus, Trigger


def _enqueue(scan_ids: list[str]) -> None:
    from rempart.web.scans.tasks import run_scans

    now = timezone.now()
    Scan.objects.filter(pk__in=scan_ids).update(enqueued_at=now)
    batch = max(1, settings.REMPART_SCAN_BATCH)
    for start in range(0, len(scan_ids), batch):
        run_scans.delay([str(i) for i in scan_ids[start : start + batch]])


def _new_scan(
    asset: Asset, actor: User | None, trigger: str, campaign: Campaign | None
) -> tuple[Scan, bool]:
    """A new queued scan of the asset (True), or the unfinished one it already has (False)."""
    mode = ScanMode.ACTIVE if asset.is_verified else ScanMode.PASSIVE
    try:
        with transaction.atomic():
            scan = Scan.objects.create(
                organisation_id=asset.organisation_id,
                asset=asset,
                requested_by=actor if actor and actor.is_authenticated else None,
                trigger=trigger,
                mode=mode,
                campaign=campaign,
            )
    except IntegrityError:
        return Scan.objects.get(asset=asset, status__in=UNFINISHED), False
    return scan, True


def do_request_scan(asset: Asset, actor: User | None, trigger: str = Trigger.PORTAL) -> Scan:
    scan, created = _new_scan(asset, actor, trigger, None)
    if created:
        audit(
            AuditAction.SCAN_REQUESTED,
            actor=actor,
            organisation=asset.organisation,
            obj=scan,
            asset=asset.name,
            mode=scan.mode,
        )
        transaction.on_commit(lambda: _enqueue([str(scan.pk)]))
    return scan


def do_request_campaign(
    assets: Iterable[Asset], actor: User | None, name: str, trigger: str = Trigger.CAMPAIGN
) -> Campaign:
    campaign = Campaign.objects.create(
        name=name, created_by=actor if actor and actor.is_authenticated else None
    )
    made = [_new_scan(asset, actor, trigger, campaign) for asset in assets]
    pending = [str(scan.pk) for scan, created in made if created]
    audit(
        AuditAction.SCAN_REQUESTED,
        actor=actor,
        obj=campaign,
        campaign=name,
        assets=len(made),
        queued=len(pending),
    )
    transaction.on_commit(lambda: _enqueue(pending))
    return campaign


def claim_scan(scan_id: str, worker: str) -> uuid.UUID | None:
    """Take the scan for this attempt, atomically; None when another attempt holds it.

    A running scan whose heartbeat is older than REMPART_SCAN_STALE_AFTER belonged to a
    worker that died: it may be taken over. The returned token fences the old attempt out.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REMPART_SCAN_STALE_AFTER)
    token = uuid.uuid4()
    taken = (
        Scan.objects.filter(pk=scan_id)
        .filter(Q(status=ScanStatus.QUEUED) | Q(status=ScanStatus.RUNNING, heartbeat_at__lt=stale))
        .update(
            status=ScanStatus.RUNNING,
            claimed_by=worker[:200],
            claim=token,
            heartbeat_at=now,
            started_at=now,
            attempts=F("attempts") + 1,
        )
    )
    return token if taken else None


def do_requeue_stale() -> int:
    """Requeue scans of dead workers and queued scans whose message was lost; fail hopeless ones.

    Safe to run anywhere, any number of times: claims are fenced, so a scan requeued twice
    still completes once.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REMPART_SCAN_STALE_AFTER)
    dead = Scan.objects.filter(status=ScanStatus.RUNNING, heartbeat_at__lt=stale)
    hopeless = dead.filter(attempts__gte=settings.REMPART_SCAN_MAX_ATTEMPTS)
    hopeless.update(
        status=ScanStatus.FAILED,
        finished_at=now,
        reason="The scan was interrupted on every attempt (worker lost); it was not completed.",
    )
    ids = list(dead.values_list("pk", flat=True))
    # A queued scan waits its turn behind a whole campaign: only one whose message is older
    # than the (longer) queued threshold is presumed lost, e.g. by a broker restarted without
    # persistence. Sending it again is harmless (claims are fenced), just wasted work.
    lost = now - timedelta(seconds=settings.REMPART_SCAN_REQUEUE_QUEUED_AFTER)
    ids += list(
        Scan.objects.filter(status=ScanStatus.QUEUED)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost))
        .values_list("pk", flat=True)
    )
    if ids:
        _enqueue([str(i) for i in ids])
    return len(ids)


def do_requeue_all_unfinished() -> int:
    """At start-up of the embedded worker: every queued or running scan is enqueued again."""
    ids = [str(i) for i in Scan.objects.filter(status__in=UNFINISHED).values_list("pk", flat=True)]
    if ids:
        _enqueue(ids)
    return len(ids)


def do_schedule_due_scans() -> int:
    """Scans for assets whose next scheduled scan is due (weekly by default)."""
    now = timezone.now()
    due = Asset.objects.exclude(schedule=Schedule.OFF).filter(next_scan_at__lte=now)
    ids: list[str] = []
    for asset in due.select_related("organisation"):
        scan, created = _new_scan(asset, None, Trigger.SCHEDULE, None)
        if created:
            ids.append(str(scan.pk))
        asset.next_scan_at = next_scan_after(asset, now)
        asset.save(update_fields=["next_scan_at"])
    if ids:
        _enqueue(ids)
    return len(ids)
