"""Findings: the filtered list, one finding with its history and guidance, triage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from rempart.web.api.filters import FindingFilterSerializer, check_finding_filters, filter_findings
from rempart.web.api.finding_serializers import (
    AcceptRiskSerializer,
    FalsePositiveSerializer,
    FindingDetailSerializer,
    FindingPage,
    FindingSerializer,
    RevertSerializer,
)
from rempart.web.api.pagination import PAGE_PARAMETERS, paginated
from rempart.web.api.permissions import endpoint, require_can_act
from rempart.web.api.views.common import BAD_INPUT, READ_ERRORS, WRITE_ERRORS
from rempart.web.findings.models import HUMAN_STATUSES, Finding, FindingEvent
from rempart.web.findings.services import (
    TriageError,
    do_accept_risk,
    do_mark_false_positive,
    do_revert_triage,
)
from rempart.web.orgs.access import get_organisation_for_user, get_scoped

DETAIL = Finding.objects.select_related("asset", "organisation").prefetch_related(
    Prefetch("events", queryset=FindingEvent.objects.select_related("actor"))
)

Decision = Callable[[Finding, dict[str, Any]], None]


@extend_schema(
    operation_id="organisations_findings_list",
    parameters=[FindingFilterSerializer, *PAGE_PARAMETERS],
    responses={200: FindingPage, 400: BAD_INPUT, **READ_ERRORS},
)
@endpoint(["GET"])
def organisation_findings(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    filters = check_finding_filters(request.query_params)
    findings = Finding.objects.filter(organisation=organisation).select_related("asset")
    chosen = filter_findings(findings.defer("evidence"), filters, timezone.localdate())
    return paginated(request, chosen, FindingSerializer)


@extend_schema(
    operation_id="findings_retrieve", responses={200: FindingDetailSerializer, **READ_ERRORS}
)
@endpoint(["GET"])
def finding_detail(request: Request, finding: UUID) -> Response:
    found = get_scoped(DETAIL, request.user, finding)
    return Response(FindingDetailSerializer(found).data)


def _triaged(request: Request, finding: UUID, form: type[Serializer], decide: Decision) -> Response:
    """Scope and role first (an outsider gets 404 whatever he sends), then the input, then
    the decision through its service; answers the finding as it is now."""
    found = get_scoped(DETAIL, request.user, finding)
    require_can_act(request.user, found.organisation)
    data = form(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        decide(found, data.validated_data)
    except TriageError as exc:
        raise ValidationError({"detail": [str(exc)]}) from None
    return Response(FindingDetailSerializer(get_scoped(DETAIL, request.user, finding)).data)


@extend_schema(
    operation_id="findings_accept_risk",
    request=AcceptRiskSerializer,
    responses={200: FindingDetailSerializer, **WRITE_ERRORS},
)
@endpoint(["POST"])
def finding_accept_risk(request: Request, finding: UUID) -> Response:
    def decide(found: Finding, data: dict[str, Any]) -> None:
        do_accept_risk(found, request.user, data["reason"], data["until"])

    return _triaged(request, finding, AcceptRiskSerializer, decide)


@extend_schema(
    operation_id="findings_false_positive",
    request=FalsePositiveSerializer,
    responses={200: FindingDetailSerializer, **WRITE_ERRORS},
)
@endpoint(["POST"])
def finding_false_positive(request: Request, finding: UUID) -> Response:
    def decide(found: Finding, data: dict[str, Any]) -> None:
        do_mark_false_positive(found, request.user, data["reason"])

    return _triaged(request, finding, FalsePositiveSerializer, decide)


@extend_schema(
    operation_id="findings_revert",
    request=RevertSerializer,
    responses={200: FindingDetailSerializer, **WRITE_ERRORS},
)
@endpoint(["POST"])
def finding_revert(request: Request, finding: UUID) -> Response:
    def decide(found: Finding, data: dict[str, Any]) -> None:
        # Only a person's decision can be taken back: reverting an open or fixed finding
        # would move its due date, or reopen what a scan saw fixed.
        if found.status not in HUMAN_STATUSES:
            raise TriageError(_("Only an accepted risk or a false positive can be reverted."))
        do_revert_triage(found, request.user, data["note"])

    return _triaged(request, finding, RevertSerializer, decide)
