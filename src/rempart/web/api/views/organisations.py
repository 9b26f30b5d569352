"""Organisations the caller may see, and their audit log."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from rempart.web.api.pagination import PAGE_PARAMETERS, paginated
from rempart.web.api.permissions import endpoint, require_audit_reader
from rempart.web.api.serializers import (
    AuditEventPage,
    AuditEventSerializer,
    ErrorSerializer,
    OrganisationPage,
    OrganisationSerializer,
)
from rempart.web.api.views.common import READ_ERRORS
from rempart.web.orgs.access import get_organisation_for_user, organisations_for
from rempart.web.orgs.models import AuditEvent

ERRORS = {**READ_ERRORS, 403: ErrorSerializer}


@extend_schema(
    operation_id="organisations_list",
    parameters=PAGE_PARAMETERS,
    responses={200: OrganisationPage, 401: ErrorSerializer},
)
@endpoint(["GET"])
def organisation_list(request: Request) -> Response:
    organisations = organisations_for(request.user).order_by("name", "id")
    return paginated(request, organisations, OrganisationSerializer)


@extend_schema(
    operation_id="organisations_retrieve", responses={200: OrganisationSerializer, **ERRORS}
)
@endpoint(["GET"])
def organisation_detail(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    return Response(OrganisationSerializer(organisation).data)


@extend_schema(
    operation_id="organisations_audit_list",
    parameters=PAGE_PARAMETERS,
    responses={200: AuditEventPage, **ERRORS},
)
@endpoint(["GET"])
def organisation_audit(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    require_audit_reader(request.user, organisation)
    events = AuditEvent.objects.filter(organisation=organisation).order_by("-at", "-id")
    return paginated(request, events, AuditEventSerializer)
