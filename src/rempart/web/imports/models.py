"""Imported reports as jobs, the software components they list, and alerts (issue 4).

The uploaded file is kept as it came, with its SHA-256, so an import can be audited and run
again; the database is the record of the job (design.md §3), as for scans.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rempart.web.orgs.models import Organisation, User


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


IMPORT_UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class Import(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # last message sent for it
    claim = models.UUIDField(null=True, blank=True)  # fencing token of the current attempt
    attempts = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    file_name = models.CharField(max_length=255)
    stored_as = models.CharField(max_length=300)  # path under REMPART_DATA_DIR/imports
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    requested_format = models.CharField(max_length=40, blank=True, default="")
    format = models.CharField(max_length=40, blank=True, default="")
    tool = models.CharField(max_length=80, blank=True, default="")
    tool_version = models.CharField(max_length=80, blank=True, default="")
    # What the report covers, chosen by the uploader ("office network", "web shop"); a newer
    # report of the same tool and scope closes what it no longer lists.
    scope = models.CharField(max_length=200, blank=True, default="")
    scanned_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the file read
    stage = models.CharField(max_length=16, blank=True, default="")  # reading / writing
    error = models.TextField(blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"import {self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def beacon(self) -> Path:
        """The file a running import writes its progress to (``services.Beacon``)."""
        return Path(settings.IMPORTS_DIR) / f"{self.stored_as}.progress"

    @property
    def live_progress(self) -> int:
        """Percent of the file read: the running import's beacon, else the stored value."""
        if self.status == ImportStatus.RUNNING:
            try:
                return max(0, min(100, int(self.beacon.read_text(encoding="ascii") or 0)))
            except (OSError, ValueError):
                pass
        return self.progress

    @property
    def scope_key(self) -> str:
        return f"{self.tool}:{self.scope}"


class Component(models.Model):
    """A piece of software a business runs, from an SBOM, an inventory or a scan banner."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="components"
    )
    scope = models.CharField(max_length=300)  # the import scope (or scan) that listed it
    report = models.ForeignKey(
        Import, null=True, blank=True, on_delete=models.CASCADE, related_name="components"
    )
    name = models.CharField(max_length=300)
    version = models.CharField(max_length=120, blank=True, default="")
    vendor = models.CharField(max_length=200, blank=True, default="")
    purl = models.CharField(max_length=500, blank=True, default="")
    cpe = models.CharField(max_length=300, blank=True, default="")
    ecosystem = models.CharField(max_length=60, blank=True, default="")
    target = models.CharField(max_length=300, blank=True, default="")
    source = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["name", "version"]
        indexes = [models.Index(fields=["organisation", "scope"])]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class AlertKind(models.TextChoices):
    KEV_HIT = "kev_hit", _("Newly known-exploited vulnerability")


class Alert(models.Model):
    """Something that needs the business's attention now, shown in the portal and e-mailed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    cve = models.CharField(max_length=40, blank=True, default="")
    subject = models.CharField(max_length=500)  # the component or service it hits
    detail = models.JSONField(default=dict, blank=True)  # KEV name, dates, ransomware, finding
    finding = models.ForeignKey(
        "findings.Finding", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A feed update run twice alerts once.
            models.UniqueConstraint(
                fields=["organisation", "kind", "cve", "subject"], name="one_alert_per_hit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.cve} on {self.subject}"
