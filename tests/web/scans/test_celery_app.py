"""Every Django process sends its tasks through the project's Celery app, not Celery's default."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import django
django.setup()
from rempart.web.scans.tasks import run_scans
print(run_scans.app.main, run_scans.app.conf.broker_url)
"""


def test_a_portal_process_uses_the_brokers_of_the_settings(tmp_path):
    # A fresh interpreter, as gunicorn is: it never imports rempart.web.celery_app itself.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rempart.web.settings",
        "REMPART_DATA_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "filesystem://",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["rempart", "filesystem://"]
