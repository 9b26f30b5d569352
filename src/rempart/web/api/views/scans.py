"""Scans of an organisation, and one scan with its observations."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from rempart.web.api.pagination import PAGE_PARAMETERS, paginated
from rempart.web.api.permissions import endpoint
from rempart.web.api.serializers import ScanDetailSerializer, ScanPage, ScanSerializer
from rempart.web.api.views.common import READ_ERRORS
from rempart.web.orgs.access import get_organisation_for_user, get_scoped
from rempart.web.scans.models import Scan


@extend_schema(
    operation_id="organisations_scans_list",
    parameters=PAGE_PARAMETERS,
    responses={200: ScanPage, **READ_ERRORS},
)
@endpoint(["GET"])
def organisation_scans(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    # Observations are the bulk of a scan row and the list does not show them.
    scans = (
        Scan.objects.filter(organisation=organisation)
        .select_related("asset")
        .defer("observations")
        .order_by("-created_at", "-id")
    )
    return paginated(request, scans, ScanSerializer)


@extend_schema(operation_id="scans_retrieve", responses={200: ScanDetailSerializer, **READ_ERRORS})
@endpoint(["GET"])
def scan_detail(request: Request, scan: UUID) -> Response:
    found = get_scoped(Scan.objects.select_related("asset"), request.user, scan)
    return Response(ScanDetailSerializer(found).data)
