"""Filters of the findings list and exports: validated query parameters, then one query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework import serializers

from rempart.web.findings.models import ACTIVE_STATUSES, Finding, FindingStatus, Severity


class FindingFilterSerializer(serializers.Serializer):
    """Query parameters; a bad value is a 400 with a message for the parameter, never a 500."""

    status = serializers.ChoiceField(choices=FindingStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    asset = serializers.UUIDField(required=False)
    check_id = serializers.CharField(
        required=False, max_length=120, help_text="Prefix of the check id, e.g. 'mail.'."
    )
    known_exploited = serializers.BooleanField(required=False, allow_null=True, default=None)
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Open or reopened, and past its due date.",
    )


def check_finding_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    serializer = FindingFilterSerializer(data=params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def filter_findings(
    findings: QuerySet[Finding], filters: Mapping[str, Any], today: date
) -> QuerySet[Finding]:
    if filters.get("status"):
        findings = findings.filter(status=filters["status"])
    if filters.get("severity"):
        findings = findings.filter(severity=filters["severity"])
    if filters.get("asset"):
        findings = findings.filter(asset_id=filters["asset"])
    if filters.get("check_id"):
        findings = findings.filter(check_id__startswith=filters["check_id"])
    if filters.get("known_exploited") is not None:
        findings = findings.filter(known_exploited=filters["known_exploited"])
    if filters.get("overdue") is not None:
        late = Q(status__in=ACTIVE_STATUSES, due_date__lt=today)
        findings = findings.filter(late) if filters["overdue"] else findings.exclude(late)
    # The id breaks ties so that pages never repeat or skip a finding.
    return findings.order_by("-severity_rank", "due_date", "check_id", "id")
