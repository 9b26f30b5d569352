"""Request, generate and sign reports (services shared by the portal, the API and the task).

A report is a job: ``do_request_report`` records it queued and enqueues it; the worker's
``run_report`` claims it (one conditional UPDATE, so a re-delivered message does nothing),
gathers the facts in the report's language, renders the HTML, signs an attestation of the
assessment that names the HTML's SHA-256, and writes the PDF with the attestation attached.
A failure ends the job with a sentence for a person, never a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rempart.attestation import ATTACHMENT_NAME, canonical_json, sign
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Organisation, User
from rempart.web.reports.content import ReportData, gather
from rempart.web.reports.models import Attestation, Report, ReportStatus
from rempart.web.reports.signing import center_key

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # a running report this old was left by a dead worker
LANGS = ("fr", "en")


class ReportRefused(ValueError):
    """A request that cannot be accepted; the message is for the user (translated)."""


def report_dir(organisation_id: object) -> Path:
    return Path(settings.REPORTS_DIR) / str(organisation_id)


def pdf_file(report: Report) -> Path | None:
    if not report.pdf_path:
        return None
    path = Path(settings.REPORTS_DIR) / report.pdf_path
    return path if path.is_file() else None


def html_file(report: Report) -> Path | None:
    pdf = pdf_file(report)
    html = pdf.with_suffix(".html") if pdf else None
    return html if html is not None and html.is_file() else None


def verify_url(serial: object) -> str:
    path = reverse("attestations:detail", kwargs={"serial": serial})
    return settings.SITE_URL.rstrip("/") + path


# -- request --------------------------------------------------------------------------------


def do_request_report(
    organisation: Organisation, actor: User | None, lang: str = "fr", *, queue: bool = True
) -> Report:
    if lang not in LANGS:
        raise ReportRefused(_("Unknown report language “%(lang)s”.") % {"lang": lang})
    with transaction.atomic():
        report = Report.objects.create(
            organisation=organisation,
            lang=lang,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if queue:
            transaction.on_commit(lambda: enqueue(str(report.pk)))
    return report


def enqueue(report_id: str) -> None:
    from rempart.web.reports.tasks import generate_report_task

    generate_report_task.delay(report_id)


# -- the job --------------------------------------------------------------------------------


def claim_report(report_id: str) -> bool:
    """Take the report for this attempt: queued, or running but abandoned by a dead worker."""
    now = timezone.now()
    takeable = Q(status=ReportStatus.QUEUED) | Q(
        status=ReportStatus.RUNNING, started_at__lt=now - STALE_AFTER
    )
    return bool(
        Report.objects.filter(takeable, pk=report_id).update(
            status=ReportStatus.RUNNING, started_at=now
        )
    )


def run_report(report_id: str) -> str:
    """Generate the report ``report_id``; a done or running report is left alone."""
    if not claim_report(report_id):
        return "skipped"
    report = Report.objects.select_related("organisation", "created_by").get(pk=report_id)
    try:
        generate(report)
    except Exception:  # the job's boundary: whatever broke, the report says so in words
        log.exception("report %s failed", report_id)
        with translation.override("fr"):
            message = _(
                "The report could not be generated because of an internal error. The "
                "center's team has been told; please ask for a new report later."
            )
        Report.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED, finished_at=timezone.now(), error=message
        )
        return "failed"
    return "done"


def previous_report(report: Report) -> Report | None:
    return (
        Report.objects.filter(
            organisation=report.organisation,
            status=ReportStatus.DONE,
            created_at__lt=report.created_at,
        )
        .select_related("attestation")
        .order_by("-created_at")
        .first()
    )


def render_html(data: ReportData) -> str:
    with translation.override(data.lang):
        return render_to_string("reports/document.html", {"r": data})


def gather_for(report: Report, serial: str) -> ReportData:
    with translation.override(report.lang):
        return gather(
            report.organisation,
            report.lang,
            serial=serial,
            verify_url=verify_url(serial),
            previous=previous_report(report),
        )


def generate(report: Report) -> None:
    from weasyprint import HTML, Attachment

    serial = uuid.uuid4()
    data = gather_for(report, str(serial))
    html = render_html(data)
    html_bytes = html.encode("utf-8")
    payload = attestation_payload(data, hashlib.sha256(html_bytes).hexdigest())
    document = sign(payload, center_key())
    attachment = Attachment(
        file_obj=io.BytesIO(json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")),
        name=ATTACHMENT_NAME,
        description="rempart attestation",
    )
    rendered = HTML(string=html).render()
    pdf = rendered.write_pdf(attachments=[attachment])
    directory = report_dir(report.organisation_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report.pk}.pdf"
    path.with_suffix(".html").write_bytes(html_bytes)
    path.write_bytes(pdf)
    with transaction.atomic():
        attestation = Attestation.objects.create(
            serial=serial,
            organisation=report.organisation,
            payload=payload,
            signature=document["signature"],
            key_id=document["key_id"],
            issued_at=timezone.now(),
            issued_by=report.created_by,
        )
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.DONE,
            finished_at=timezone.now(),
            pdf_path=str(path.relative_to(Path(settings.REPORTS_DIR))),
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            pages=len(rendered.pages),
            attestation=attestation,
            error="",
        )
        audit(
            AuditAction.REPORT_GENERATED,
            actor=report.created_by,
            organisation=report.organisation,
            obj=report,
            lang=report.lang,
        )
        audit(
            AuditAction.ATTESTATION_ISSUED,
            actor=report.created_by,
            organisation=report.organisation,
            obj=attestation,
            key_id=attestation.key_id,
        )


# -- the attestation ------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def attestation_payload(data: ReportData, content_sha256: str) -> dict[str, Any]:
    """The signed facts: who, when, what was checked, the result, and the report's hash."""
    organisation = data.organisation
    diagnostic = data.diagnostic
    maturity = diagnostic.maturity
    payload: dict[str, Any] = {
        "serial": data.serial,
        "issued_at": data.generated_at.isoformat(),
        "organisation": {"name": organisation.name, "siren": organisation.siren},
        "period": {"from": _iso(data.period_start), "to": data.generated_at.isoformat()},
        "checked": {
            "assets": [
                {
                    "name": section.name,
                    "verified": section.verified,
                    "last_scan": _iso(section.last_scan_at),
                    "checks": list(section.families),
                }
                for section in data.assets
            ],
            "imports": [
                {"tool": i.tool, "scope": i.scope, "date": _iso(i.when)} for i in data.imports
            ],
            "diagnostic": (
                None
                if maturity is None
                else {
                    "version": diagnostic.version,
                    "submitted_at": _iso(diagnostic.submitted_at),
                    "complete": maturity.complete,
                    "answered": maturity.answered,
                    "applicable": maturity.applicable,
                }
            ),
        },
        "grade": {"letter": data.grade.letter, "score": data.grade.score},
        "maturity": (
            None if maturity is None else {"index": maturity.index, "level": maturity.level}
        ),
        "open_findings": {value: count for value, _label, count in data.by_severity},
        "red_flags": len(diagnostic.red_flags),
        "report": {"lang": data.lang, "content_sha256": content_sha256},
    }
    canonical_json(payload)  # fails here, not at signing, if a value is not plain JSON
    return payload
