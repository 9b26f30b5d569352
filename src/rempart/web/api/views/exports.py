"""Downloads of an organisation's findings: JSON, CSV, SARIF; not paginated."""

from __future__ import annotations

from uuid import UUID

from django.http.response import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from rempart.web.api.exports import CSVRenderer, SarifRenderer, export_response
from rempart.web.api.filters import FindingFilterSerializer, check_finding_filters, filter_findings
from rempart.web.api.finding_serializers import FindingExportSerializer
from rempart.web.api.permissions import endpoint
from rempart.web.api.views.common import BAD_INPUT, READ_ERRORS
from rempart.web.findings.models import Finding
from rempart.web.orgs.access import get_organisation_for_user


@extend_schema(
    operation_id="organisations_findings_export",
    parameters=[FindingFilterSerializer],
    responses={
        (200, "application/json"): FindingExportSerializer(many=True),
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR, description="UTF-8 with a BOM; cells safe from formulas."
        ),
        (200, "application/sarif+json"): OpenApiResponse(
            OpenApiTypes.OBJECT, description="SARIF 2.1.0, one run."
        ),
        400: BAD_INPUT,
        **READ_ERRORS,
    },
    description="Every finding that matches the filters (the same as the list), as a file: "
    "export.json, export.csv or export.sarif.",
)
@endpoint(["GET"], renderers=(JSONRenderer, CSVRenderer, SarifRenderer))
def findings_export(request: Request, org: UUID, format: str | None = None) -> HttpResponseBase:
    organisation = get_organisation_for_user(request.user, org)
    filters = check_finding_filters(request.query_params)
    findings = Finding.objects.filter(organisation=organisation).select_related("asset")
    chosen = filter_findings(findings, filters, timezone.localdate())
    return export_response(request.accepted_renderer.format, chosen, organisation.name)
