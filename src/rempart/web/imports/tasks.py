"""Celery tasks for imports and feeds: thin shells over services. Acknowledged late."""

from __future__ import annotations

from celery import shared_task

from rempart.web.diagnostic.planning import sync_plan_of_import
from rempart.web.imports.feeds import do_update_feeds
from rempart.web.imports.services import do_requeue_stale_imports, run_import


@shared_task(name="rempart.imports.run", acks_late=True, reject_on_worker_lost=True)
def run_import_task(import_id: str) -> str:
    result = run_import(import_id)
    sync_plan_of_import(import_id)
    return result


@shared_task(name="rempart.imports.requeue_stale")
def requeue_stale_imports() -> int:
    return do_requeue_stale_imports()


@shared_task(name="rempart.feeds.update", acks_late=True)
def update_feeds() -> int:
    """The scheduled refresh of the official feeds; alerts on new known-exploited hits."""
    return len(do_update_feeds(actor=None).alerts)
