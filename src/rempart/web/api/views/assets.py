"""Assets: list, declare, remove, prove control, request a scan."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rempart.web.api.pagination import PAGE_PARAMETERS, paginated
from rempart.web.api.permissions import endpoint, require_can_act
from rempart.web.api.serializers import (
    AssetCreateSerializer,
    AssetPage,
    AssetSerializer,
    ScanSerializer,
)
from rempart.web.api.views.common import READ_ERRORS, WRITE_ERRORS
from rempart.web.assets.models import Asset
from rempart.web.assets.services import do_add_asset, do_remove_asset, do_verify_asset
from rempart.web.orgs.access import get_organisation_for_user, get_scoped
from rempart.web.scans.models import Trigger
from rempart.web.scans.services import do_request_scan

ASSETS = Asset.objects.select_related("organisation")


@extend_schema(
    methods=["GET"],
    operation_id="organisations_assets_list",
    parameters=PAGE_PARAMETERS,
    responses={200: AssetPage, **READ_ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="organisations_assets_create",
    request=AssetCreateSerializer,
    responses={201: AssetSerializer, **WRITE_ERRORS},
)
@endpoint(["GET", "POST"])
def organisation_assets(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    if request.method == "GET":
        return paginated(request, organisation.assets.order_by("name", "id"), AssetSerializer)
    require_can_act(request.user, organisation)
    data = AssetCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    kind, name = data.validated_data["kind"], data.validated_data["name"]
    try:
        asset = do_add_asset(organisation, kind, name, request.user)
    except DjangoValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"],
    operation_id="assets_retrieve",
    responses={200: AssetSerializer, **READ_ERRORS},
)
@extend_schema(
    methods=["DELETE"],
    operation_id="assets_destroy",
    responses={204: None, **WRITE_ERRORS},
)
@endpoint(["GET", "DELETE"])
def asset_detail(request: Request, asset: UUID) -> Response:
    found = get_scoped(ASSETS, request.user, asset)
    if request.method == "GET":
        return Response(AssetSerializer(found).data)
    require_can_act(request.user, found.organisation)
    do_remove_asset(found, request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    operation_id="assets_verify",
    request=None,
    responses={200: AssetSerializer, **WRITE_ERRORS},
    description="Look for the proof of control now (DNS TXT record, then the well-known file); "
    "the asset says whether it is verified, or why not in last_check_error.",
)
@endpoint(["POST"])
def asset_verify(request: Request, asset: UUID) -> Response:
    found = get_scoped(ASSETS, request.user, asset)
    require_can_act(request.user, found.organisation)
    do_verify_asset(found, request.user)
    return Response(AssetSerializer(found).data)


@extend_schema(
    operation_id="assets_scan",
    request=None,
    responses={202: ScanSerializer, **WRITE_ERRORS},
    description="Queue a scan (full if the asset is verified, passive otherwise). An asset "
    "has one unfinished scan at most: asking again returns the one already queued.",
)
@endpoint(["POST"])
def asset_scan(request: Request, asset: UUID) -> Response:
    found = get_scoped(ASSETS, request.user, asset)
    require_can_act(request.user, found.organisation)
    scan = do_request_scan(found, request.user, Trigger.API)
    return Response(ScanSerializer(scan).data, status=status.HTTP_202_ACCEPTED)
