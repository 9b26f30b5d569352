"""Celery tasks: thin shells over services (style rule 12). Acknowledged late, idempotent."""

from __future__ import annotations

import os
import socket

from celery import shared_task

from rempart.web.findings.services import do_expire_acceptances
from rempart.web.scans.execution import run_batch
from rempart.web.scans.services import do_requeue_stale, do_schedule_due_scans


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="rempart.scans.run", acks_late=True, reject_on_worker_lost=True)
def run_scans(scan_ids: list[str]) -> int:
    return run_batch(scan_ids, _worker_name())


@shared_task(name="rempart.scans.requeue_stale")
def requeue_stale() -> int:
    return do_requeue_stale()


@shared_task(name="rempart.scans.schedule_due")
def schedule_due() -> int:
    do_expire_acceptances()
    return do_schedule_due_scans()
