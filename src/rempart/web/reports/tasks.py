"""Celery task of the reports: a shell over ``services.run_report``. Acknowledged late."""

from __future__ import annotations

from celery import shared_task

from rempart.web.reports.services import run_report


@shared_task(name="rempart.reports.generate", acks_late=True, reject_on_worker_lost=True)
def generate_report_task(report_id: str) -> str:
    """Idempotent: a report already done (or being run) is left alone."""
    return run_report(report_id)
