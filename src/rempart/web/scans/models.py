"""Scans as jobs. The database, not the broker, is the record of every job (design.md §3)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from rempart.web.assets.models import Asset
from rempart.web.orgs.models import Organisation, User


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    PARTIAL = "partial", _("Partial")
    FAILED = "failed", _("Failed")


FINISHED = (ScanStatus.DONE, ScanStatus.PARTIAL, ScanStatus.FAILED)
UNFINISHED = (ScanStatus.QUEUED, ScanStatus.RUNNING)


class ScanMode(models.TextChoices):
    ACTIVE = "active", _("Full (verified asset)")
    PASSIVE = "passive", _("Passive (DNS and mail records only, unverified asset)")


class Trigger(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    SCHEDULE = "schedule", _("Schedule")
    CAMPAIGN = "campaign", _("Campaign")
    DEMO = "demo", _("Demo")


class Campaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Scan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="scans")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="scans")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans"
    )
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    mode = models.CharField(max_length=16, choices=ScanMode.choices)
    status = models.CharField(
        max_length=16, choices=ScanStatus.choices, default=ScanStatus.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, default="")
    claim = models.UUIDField(null=True, blank=True)  # fencing token of the current attempt
    attempts = models.PositiveSmallIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True, default="")  # why partial/failed, for a person
    grade = models.CharField(max_length=1, blank=True, default="")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # failures by severity
    observations = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        constraints = [
            # At most one unfinished scan per asset: a double click or a second schedule
            # tick cannot start the same work twice.
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_unfinished_scan_per_asset",
            )
        ]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.asset_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
