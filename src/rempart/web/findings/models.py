"""Findings that live over time, and their full history (design.md §6)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from rempart.web.assets.models import Asset
from rempart.web.orgs.models import Organisation, User


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REOPENED = "reopened", _("Reopened")
    FIXED = "fixed", _("Fixed")
    ACCEPTED = "accepted", _("Accepted risk")
    FALSE_POSITIVE = "false_positive", _("False positive")


ACTIVE_STATUSES = (FindingStatus.OPEN, FindingStatus.REOPENED)
HUMAN_STATUSES = (FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE)


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    INFO = "info", _("Info")


SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


# Indexes cost every insert: a first import of 87,853 findings spent 1.25 s of SQLite's CPU
# inserting them with nine indexes, 0.92 s with five (bench/README.md). Only those queries use
# are kept: every read of findings is by organisation (the unique (organisation, fingerprint)
# and the two composite indexes lead with it), so lone indexes on the organisation, the check
# id and the severity rank are not; a user or an import is almost never deleted, and the
# SET NULL of its rows then scans the table once instead of every insert paying an index.
class Finding(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="findings", db_index=False
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    fingerprint = models.CharField(max_length=64)
    check_id = models.CharField(max_length=120)
    location = models.CharField(max_length=500)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(default=0)
    known_exploited = models.BooleanField(default=False)
    passive = models.BooleanField(default=False)  # seen by passive (DNS-only) checks
    status = models.CharField(
        max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    evidence = models.TextField(blank=True, default="")
    references = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)  # tools that saw it: "rempart", "nmap"…
    rule = models.CharField(max_length=200, blank=True, default="")  # the tool's own id
    fix = models.TextField(blank=True, default="")  # what fixes it (version to install…)
    # Every CVE on the finding with what the feeds say of it (rempart.intel.model.CveInfo);
    # cve_ids repeats the ids as " CVE-a CVE-b " so a feed update finds them on any database.
    cves = models.JSONField(default=list, blank=True)
    cve_ids = models.TextField(blank=True, default="")
    ransomware = models.BooleanField(default=False)  # a CVE is known used by ransomware (KEV)
    epss = models.FloatField(null=True, blank=True)  # highest EPSS of its CVEs
    cvss = models.FloatField(null=True, blank=True)  # highest CVSS base score of its CVEs
    # The import scopes (tool:scope) whose latest report lists the finding, as " a b ": a
    # newer report of a scope that no longer lists it takes its scope out; with no scope left
    # (and not seen by rempart's own scans) the finding is fixed. Text, so that one LIKE finds
    # a scope's findings on SQLite and PostgreSQL alike.
    scopes = models.TextField(blank=True, default="")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    fixed_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    times_reopened = models.PositiveIntegerField(default=0)
    triage_reason = models.TextField(blank=True, default="")
    accepted_until = models.DateField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-severity_rank", "due_date", "check_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fingerprint"], name="one_finding_per_fingerprint"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "-severity_rank"]),
            models.Index(fields=["organisation", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.check_id} @ {self.location}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class EventKind(models.TextChoices):
    OPENED = "opened", _("Detected")
    SEEN = "seen", _("Seen again")
    FIXED = "fixed", _("Fixed")
    REOPENED = "reopened", _("Reopened")
    ACCEPTED = "accepted", _("Accepted risk")
    FALSE_POSITIVE = "false_positive", _("Marked as false positive")
    TRIAGE_REVERTED = "triage_reverted", _("Decision reverted")
    ACCEPTANCE_EXPIRED = "acceptance_expired", _("Acceptance expired")


class FindingEvent(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16, blank=True, default="")
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    scan = models.ForeignKey(
        "scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report = models.ForeignKey(
        "imports.Import",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # Writing one scan's results twice records its event once (idempotent tasks).
            models.UniqueConstraint(
                fields=["finding", "scan", "kind"],
                condition=models.Q(scan__isnull=False),
                name="one_event_per_scan_and_kind",
            ),
        ]
