"""Helpers of the import tests: upload a file as a user would, run its job here."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.web.findings.models import Finding, FindingEvent
from rempart.web.imports.models import Import
from rempart.web.imports.services import do_upload, run_import

REPORTS = Path(__file__).resolve().parents[2] / "data" / "reports"


def import_bytes(org, data: bytes, name: str, actor=None, **options) -> Import:
    """Upload ``data`` and run its import job in this process; the Import, refreshed."""
    report = do_upload(org, [data], name, actor, queue=False, **options)
    run_import(str(report.pk))
    report.refresh_from_db()
    return report


def import_file(org, path: Path, actor=None, **options) -> Import:
    return import_bytes(org, path.read_bytes(), path.name, actor, **options)


def state(org) -> dict:
    """Everything an import may change for the organisation, comparable between two moments."""
    findings = sorted(
        Finding.objects.filter(organisation=org).values_list(
            "fingerprint",
            "status",
            "last_seen",
            "sources",
            "scopes",
            "times_reopened",
            "severity",
            "due_date",
        )
    )
    return {
        "findings": findings,
        "events": FindingEvent.objects.filter(finding__organisation=org).count(),
    }


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
