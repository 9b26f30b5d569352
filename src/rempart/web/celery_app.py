"""The Celery application. Same code embedded (filesystem broker) and scaled out (Redis)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rempart.web.settings")

app = Celery("rempart")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["rempart.web.scans", "rempart.web.imports", "rempart.web.diagnostic", "rempart.web.reports"]
)


@worker_ready.connect
def _requeue_on_start(**_kwargs: object) -> None:
    """The database is the record of jobs: what was queued or running is enqueued again.

    Only with REMPART_REQUEUE_ON_START=1 (set by ``rempart serve``): with several workers,
    the beat's periodic reaper does this job without every worker start flooding the queue.
    """
    if os.environ.get("REMPART_REQUEUE_ON_START") == "1":
        from rempart.web.imports.services import do_requeue_all_unfinished_imports
        from rempart.web.scans.services import do_requeue_all_unfinished

        do_requeue_all_unfinished()
        do_requeue_all_unfinished_imports()
