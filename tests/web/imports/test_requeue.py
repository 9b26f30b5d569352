"""Imports of dead workers and lost messages are sent again, fenced, and end once."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.utils import timezone

from rempart.web.imports.models import Import, ImportStatus
from rempart.web.imports.services import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    do_requeue_stale_imports,
    do_upload,
    run_import,
)
from tests.web.imports.test_reimport import RDP_AND_SMB, T0, nmap_xml


def _upload(world):
    return do_upload(world.org_a, [nmap_xml(RDP_AND_SMB, start=T0)], "a.xml", None, queue=False)


def test_a_dead_workers_import_is_taken_over_and_ends_once(world):
    report = _upload(world)
    long_ago = timezone.now() - timedelta(seconds=STALE_AFTER + 5)
    Import.objects.filter(pk=report.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=long_ago, attempts=1
    )
    assert do_requeue_stale_imports() == 1
    assert run_import(str(report.pk)) == ImportStatus.DONE  # the new attempt takes it over
    assert run_import(str(report.pk)) == ""  # a late duplicate finds it done
    report.refresh_from_db()
    assert report.attempts == 2 and report.counts["opened"] == 2


def test_an_import_interrupted_on_every_attempt_fails_with_a_sentence(world):
    report = _upload(world)
    long_ago = timezone.now() - timedelta(seconds=STALE_AFTER + 5)
    Import.objects.filter(pk=report.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=long_ago, attempts=MAX_ATTEMPTS
    )
    do_requeue_stale_imports()
    report.refresh_from_db()
    assert report.status == ImportStatus.FAILED
    assert "interrompue à chaque tentative" in report.error  # stored in the default language


def test_a_lost_message_is_sent_again_once_a_period(world, settings):
    report = _upload(world)
    old = timezone.now() - timedelta(seconds=settings.REMPART_SCAN_REQUEUE_QUEUED_AFTER + 5)
    Import.objects.filter(pk=report.pk).update(enqueued_at=old)
    assert do_requeue_stale_imports() == 1
    assert do_requeue_stale_imports() == 0  # just sent: not at every tick of the beat
    fresh = _upload(world)  # queued a moment ago, never sent (the CLI runs it itself)
    assert do_requeue_stale_imports() == 0
    assert Import.objects.get(pk=fresh.pk).status == ImportStatus.QUEUED


def test_a_running_import_whose_beacon_beats_is_neither_requeued_nor_taken_over(world):
    # During its one transaction, a long import cannot update its row (SQLite's write lock,
    # PostgreSQL's row lock): its beacon file says it is alive.
    report = _upload(world)
    long_ago = timezone.now() - timedelta(seconds=STALE_AFTER + 5)
    Import.objects.filter(pk=report.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=long_ago, attempts=1
    )
    report.refresh_from_db()
    report.beacon.write_text("42", encoding="ascii")
    try:
        assert report.live_progress == 42
        assert do_requeue_stale_imports() == 0
        assert run_import(str(report.pk)) == ""  # a duplicate message does not take it over
        # A beacon nobody rewrote for STALE_AFTER is a dead worker's.
        old = time.time() - STALE_AFTER - 5
        os.utime(report.beacon, (old, old))
        assert do_requeue_stale_imports() == 1
        assert run_import(str(report.pk)) == ImportStatus.DONE
    finally:
        report.beacon.unlink(missing_ok=True)


def test_an_import_shows_its_progress_while_it_runs_and_leaves_no_beacon(world):
    # A report of a few megabytes: the reader reports progress every megabyte.
    ports = {p: "http" for p in range(1, 40000)}
    report = do_upload(world.org_a, [nmap_xml(ports, start=T0)], "big.xml", None, queue=False)
    seen: list[int] = []

    def progress(_read: int, _size: int) -> None:
        time.sleep(0.6)  # the beacon's thread writes what changed every half second
        seen.append(Import.objects.get(pk=report.pk).live_progress)

    assert run_import(str(report.pk), progress) == ImportStatus.DONE
    assert seen and max(seen) > 0 and seen == sorted(seen)
    report.refresh_from_db()
    assert report.live_progress == 100 and not report.beacon.exists()
