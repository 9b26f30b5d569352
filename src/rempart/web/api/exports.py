"""Findings as JSON, CSV and SARIF 2.1.0 documents: every finding matching the filters.

JSON and CSV are streamed row by row (an organisation's whole history may be long); SARIF is
one document whose rules must precede the results, so it is built in memory. The SARIF
levels and security-severity scores are those of ``rempart.exports`` (engine scans), so a
platform export and a CLI export of the same problem read alike.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.fields import DateTimeField
from rest_framework.renderers import BaseRenderer

from rempart.engine.catalog import CATALOG
from rempart.exports import SARIF_SCHEMA, sarif_run
from rempart.web.api.finding_serializers import FindingExportSerializer, is_overdue
from rempart.web.findings.models import Finding

COLUMNS: tuple[str, ...] = tuple(FindingExportSerializer.Meta.fields)
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "7.5", "medium": "5.0", "low": "3.0"}
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a UTF-8 CSV as UTF-8 only when it starts with a BOM
_DATETIME = DateTimeField()  # the API's own format: local time zone, ISO 8601


def _when(value: datetime | None) -> str | None:
    return _DATETIME.to_representation(value) if value else None


def finding_row(finding: Finding, today: date) -> dict[str, Any]:
    """The fields of ``FindingExportSerializer``, without a serializer per row (exports are
    long; a test checks that both agree)."""
    return {
        "id": str(finding.pk),
        "organisation": str(finding.organisation_id),
        "asset": str(finding.asset_id) if finding.asset_id else None,
        "asset_name": finding.asset.name if finding.asset else None,
        "check_id": finding.check_id,
        "title": finding.title,
        "location": finding.location,
        "severity": finding.severity,
        "known_exploited": finding.known_exploited,
        "passive": finding.passive,
        "status": finding.status,
        "first_seen": _when(finding.first_seen),
        "last_seen": _when(finding.last_seen),
        "fixed_at": _when(finding.fixed_at),
        "due_date": finding.due_date.isoformat() if finding.due_date else None,
        "overdue": is_overdue(finding, today),
        "times_reopened": finding.times_reopened,
        "triage_reason": finding.triage_reason,
        "accepted_until": (finding.accepted_until.isoformat() if finding.accepted_until else None),
        "triaged_at": _when(finding.triaged_at),
        "sources": list(finding.sources),
        "references": list(finding.references),
        "evidence": finding.evidence,
    }


def json_stream(findings: Iterable[Finding], today: date) -> Iterator[str]:
    yield "["
    for index, finding in enumerate(findings):
        prefix = "," if index else ""
        yield prefix + json.dumps(finding_row(finding, today), cls=DjangoJSONEncoder)
    yield "]"


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: formula starts are quoted, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Line:
    """The file-like object csv.writer writes to: it hands each line back."""

    def write(self, text: str) -> str:
        return text


def csv_stream(findings: Iterable[Finding], today: date) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(COLUMNS)
    for finding in findings:
        row = finding_row(finding, today)
        yield writer.writerow([safe_cell(row[column]) for column in COLUMNS])


def sarif_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """SARIF 2.1.0, one run: rules are the check ids present, results the findings."""
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}
    results = []
    for finding in findings:
        if finding.check_id not in rules:
            index[finding.check_id] = len(rules)
            rules[finding.check_id] = _rule(finding)
        results.append(_result(finding, index[finding.check_id]))
    run = sarif_run(list(rules.values()), results)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(finding: Finding) -> dict[str, Any]:
    spec = CATALOG.get(finding.check_id)
    # An imported tool's rule is not in the catalog: its finding gives the title and severity.
    title, severity = (
        (spec.title, str(spec.severity)) if spec else (finding.title, finding.severity)
    )
    rule: dict[str, Any] = {
        "id": finding.check_id,
        "name": finding.check_id.replace(".", "_"),
        "shortDescription": {"text": title},
        "defaultConfiguration": {"level": SARIF_LEVEL.get(severity, "note")},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(severity, "0.0"),
            "tags": ["security", spec.family if spec else "imported"],
        },
    }
    return rule


def _result(finding: Finding, index: int) -> dict[str, Any]:
    text = f"{finding.title}: {finding.evidence}" if finding.evidence else finding.title
    location: dict[str, Any] = {
        "logicalLocations": [{"name": finding.location, "kind": "resource"}]
    }
    if "://" in finding.location:
        location["physicalLocation"] = {"artifactLocation": {"uri": finding.location}}
    return {
        "ruleId": finding.check_id,
        "ruleIndex": index,
        "level": SARIF_LEVEL.get(finding.severity, "note"),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"rempartFinding/v1": finding.fingerprint},
        "properties": {
            "severity": finding.severity,
            "status": finding.status,
            "dueDate": finding.due_date.isoformat() if finding.due_date else None,
            "knownExploited": finding.known_exploited,
            "firstSeen": _when(finding.first_seen),
            "lastSeen": _when(finding.last_seen),
            "asset": finding.asset.name if finding.asset else None,
        },
    }


class CSVRenderer(BaseRenderer):
    """Declares text/csv to content negotiation; renders only error bodies (rows stream)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if data is None:
            return b""
        writer = csv.writer(_Line())
        lines = [writer.writerow(["field", "message"])]
        items = data.items() if isinstance(data, dict) else [("detail", data)]
        for field, messages in items:
            for message in messages if isinstance(messages, list) else [messages]:
                lines.append(writer.writerow([field, safe_cell(message)]))
        return (BOM + "".join(lines)).encode()


class SarifRenderer(BaseRenderer):
    media_type = "application/sarif+json"
    format = "sarif"
    charset = None  # JSON is UTF-8 by definition (RFC 8259)

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if data is None:
            return b""
        return json.dumps(data, cls=DjangoJSONEncoder).encode()


def export_response(kind: str, findings: QuerySet[Finding], name: str) -> HttpResponseBase:
    """The download of ``findings`` as ``kind`` (json, csv or sarif)."""
    today = timezone.localdate()
    rows = findings.iterator(chunk_size=2000)
    if kind == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            csv_stream(rows, today), content_type="text/csv; charset=utf-8"
        )
    elif kind == "sarif":
        response = HttpResponse(
            json.dumps(sarif_document(rows), cls=DjangoJSONEncoder),
            content_type="application/sarif+json",
        )
    else:
        response = StreamingHttpResponse(json_stream(rows, today), content_type="application/json")
    filename = f"rempart-findings-{slugify(name) or 'organisation'}-{today.isoformat()}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
