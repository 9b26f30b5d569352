"""Imports of third-party reports, the software inventory, alerts and feed versions."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import parser_classes
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rempart.importers import known_formats
from rempart.web.api.import_serializers import (
    AlertPage,
    AlertSerializer,
    ComponentPage,
    ComponentSerializer,
    FeedSerializer,
    FormatSerializer,
    ImportPage,
    ImportSerializer,
    ImportUploadSerializer,
)
from rempart.web.api.pagination import PAGE_PARAMETERS, Pages, paginated
from rempart.web.api.permissions import endpoint, require_can_act
from rempart.web.api.serializers import ErrorSerializer
from rempart.web.api.views.common import READ_ERRORS, WRITE_ERRORS
from rempart.web.imports.models import Import
from rempart.web.imports.queries import vulnerable_components_table
from rempart.web.imports.services import ImportRefused, do_upload
from rempart.web.imports.uploads import too_large, upload_was_cut
from rempart.web.intel_bridge import intel
from rempart.web.orgs.access import get_organisation_for_user, get_scoped


@extend_schema(
    methods=["GET"],
    operation_id="organisations_imports_list",
    parameters=PAGE_PARAMETERS,
    responses={200: ImportPage, **READ_ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="organisations_imports_create",
    request={"multipart/form-data": ImportUploadSerializer},
    responses={202: ImportSerializer, 413: ErrorSerializer, **WRITE_ERRORS},
    description="Upload a report; it is imported by a job (poll GET /api/imports/{id}/).",
)
@endpoint(["GET", "POST"])
@parser_classes([MultiPartParser])
def organisation_imports(request: Request, org: UUID) -> Response:
    if request.method == "POST" and too_large(request):
        # Refused before the body is read: a 2 GB upload costs nothing.
        return _too_large()
    organisation = get_organisation_for_user(request.user, org)
    if request.method == "GET":
        return paginated(
            request, Import.objects.filter(organisation=organisation), ImportSerializer
        )
    require_can_act(request.user, organisation)
    data = ImportUploadSerializer(data=request.data)
    valid = data.is_valid()
    if upload_was_cut(request):
        return _too_large()
    if not valid:
        raise ValidationError(data.errors)
    upload = data.validated_data["file"]
    try:
        report = do_upload(
            organisation,
            upload.chunks(),
            upload.name,
            request.user,
            format=data.validated_data.get("format", ""),
            scope=data.validated_data.get("scope", ""),
        )
    except ImportRefused as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    return Response(ImportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


def _too_large() -> Response:
    from django.conf import settings
    from django.utils.translation import gettext as _

    limit = settings.REMPART_IMPORT_MAX_BYTES // (1024 * 1024) or 1
    return Response(
        {"detail": _("The file is larger than the limit of %(limit)s MB.") % {"limit": limit}},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


@extend_schema(operation_id="imports_retrieve", responses={200: ImportSerializer, **READ_ERRORS})
@endpoint(["GET"])
def import_detail(request: Request, report: UUID) -> Response:
    found = get_scoped(Import.objects.all(), request.user, report)
    return Response(ImportSerializer(found).data)


@extend_schema(
    operation_id="organisations_components_list",
    parameters=PAGE_PARAMETERS,
    responses={200: ComponentPage, **READ_ERRORS},
    description="The software inventory (SBOMs, inventories, scanned banners), each component "
    "with the open vulnerabilities that hit it and the version that fixes them.",
)
@endpoint(["GET"])
def organisation_components(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    pages = Pages()
    page = pages.paginate_queryset(
        organisation.components.order_by("name", "version", "id"), request
    )
    context = {"vulnerable": vulnerable_components_table(organisation)}
    data = ComponentSerializer(page, many=True, context=context).data
    return pages.get_paginated_response(data)


@extend_schema(
    operation_id="organisations_alerts_list",
    parameters=PAGE_PARAMETERS,
    responses={200: AlertPage, **READ_ERRORS},
)
@endpoint(["GET"])
def organisation_alerts(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    return paginated(request, organisation.alerts.order_by("-created_at", "-id"), AlertSerializer)


@extend_schema(
    operation_id="import_formats_list",
    responses={200: FormatSerializer(many=True), 401: ErrorSerializer},
)
@endpoint(["GET"])
def import_formats(request: Request) -> Response:
    rows = [{"name": s.name, "tool": s.tool, "label": s.label} for s in known_formats().values()]
    return Response(FormatSerializer(rows, many=True).data)


@extend_schema(
    operation_id="feeds_list", responses={200: FeedSerializer(many=True), 401: ErrorSerializer}
)
@endpoint(["GET"])
def feeds(request: Request) -> Response:
    rows = [{"name": k, "version": v} for k, v in sorted(intel().versions().items())]
    return Response(FeedSerializer(rows, many=True).data)
