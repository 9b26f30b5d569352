"""Scan claims are fenced: one live attempt at a time, a dead worker's scan is taken over."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from rempart.web.scans.models import Scan, ScanStatus
from rempart.web.scans.services import (
    claim_scan,
    do_request_scan,
    do_requeue_stale,
)


def _queued(world) -> Scan:
    return Scan.objects.create(
        organisation=world.org_a, asset=world.asset_a, trigger="api", mode="passive"
    )


def test_a_scan_is_claimed_by_one_attempt_only(world):
    scan = _queued(world)
    first = claim_scan(str(scan.pk), "worker-1")
    assert first is not None
    assert claim_scan(str(scan.pk), "worker-2") is None
    scan.refresh_from_db()
    assert (scan.status, scan.claimed_by, scan.claim, scan.attempts) == (
        ScanStatus.RUNNING,
        "worker-1",
        first,
        1,
    )


@override_settings(REMPART_SCAN_STALE_AFTER=60)
def test_a_scan_whose_heartbeat_went_stale_is_taken_over(world):
    scan = _queued(world)
    first = claim_scan(str(scan.pk), "worker-1")
    Scan.objects.filter(pk=scan.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    second = claim_scan(str(scan.pk), "worker-2")
    assert second is not None and second != first
    scan.refresh_from_db()
    assert scan.attempts == 2


def test_a_finished_scan_is_never_claimed_again(world):
    scan = _queued(world)
    Scan.objects.filter(pk=scan.pk).update(status=ScanStatus.DONE)
    assert claim_scan(str(scan.pk), "worker-1") is None


@override_settings(REMPART_SCAN_STALE_AFTER=60, REMPART_SCAN_MAX_ATTEMPTS=3)
def test_the_reaper_requeues_dead_attempts_and_fails_hopeless_ones(world):
    dead = _queued(world)
    claim_scan(str(dead.pk), "worker-1")
    old = timezone.now() - timedelta(seconds=120)
    Scan.objects.filter(pk=dead.pk).update(heartbeat_at=old)
    hopeless = Scan.objects.create(
        organisation=world.org_b,
        asset=world.asset_b,
        trigger="api",
        mode="passive",
        status=ScanStatus.RUNNING,
        heartbeat_at=old,
        attempts=3,
    )
    assert do_requeue_stale() == 1
    hopeless.refresh_from_db()
    assert hopeless.status == ScanStatus.FAILED
    assert "interrupted" in hopeless.reason
    dead.refresh_from_db()
    assert dead.status == ScanStatus.RUNNING  # requeued; its next claim takes it over
    assert dead.enqueued_at is not None


def test_asking_twice_for_a_scan_of_one_asset_gives_the_same_scan(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = do_request_scan(world.asset_a, world.alice)
        second = do_request_scan(world.asset_a, world.alice)
    assert first.pk == second.pk
    assert Scan.objects.filter(asset=world.asset_a).count() == 1
    assert first.mode == "passive"  # the asset is not verified


@override_settings(REMPART_SCAN_STALE_AFTER=60, REMPART_SCAN_REQUEUE_QUEUED_AFTER=600)
def test_a_queued_scan_is_sent_again_only_when_its_message_looks_lost(world):
    waiting = _queued(world)
    lost = Scan.objects.create(
        organisation=world.org_b, asset=world.asset_b, trigger="api", mode="passive"
    )
    now = timezone.now()
    Scan.objects.filter(pk=waiting.pk).update(enqueued_at=now - timedelta(seconds=120))
    Scan.objects.filter(pk=lost.pk).update(enqueued_at=now - timedelta(seconds=700))
    assert do_requeue_stale() == 1
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.enqueued_at > now - timedelta(seconds=5)
    assert waiting.enqueued_at < now - timedelta(seconds=100)
