"""Reports as jobs, and the public register of signed attestations (issue 5, item 5).

The database is the record of the job (design.md §3), as for scans and imports: a report row
is queued, then run by a worker, and ends done (its PDF on disk with its SHA-256) or failed
(a sentence for a person in ``error``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from rempart.web.orgs.models import Organisation, User


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


REPORT_UNFINISHED = (ReportStatus.QUEUED, ReportStatus.RUNNING)


class ReportLanguage(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class Attestation(models.Model):
    """A signed statement of what was checked, when, and the result: a public register entry.

    ``payload`` is exactly what was signed; the document is rebuilt from it, ``key_id`` and
    ``signature`` (``rempart.attestation``), so the register page can verify it again.
    """

    serial = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="attestations"
    )
    payload = models.JSONField()
    signature = models.CharField(max_length=200)
    key_id = models.CharField(max_length=32)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"attestation {self.serial}"

    @property
    def document(self) -> dict[str, object]:
        from rempart.attestation import FORMAT

        return {
            "format": FORMAT,
            "payload": self.payload,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class Report(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reports")
    lang = models.CharField(max_length=2, choices=ReportLanguage.choices, default="fr")
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf_path = models.CharField(max_length=300, blank=True, default="")  # under REPORTS_DIR
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.BigIntegerField(default=0)
    pages = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, default="")  # why it failed, for a person
    attestation = models.OneToOneField(
        Attestation, null=True, blank=True, on_delete=models.SET_NULL, related_name="report"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)
