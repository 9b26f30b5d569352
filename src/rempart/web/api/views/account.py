"""Tokens and the caller's own account."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rempart.web.api.permissions import endpoint
from rempart.web.api.serializers import (
    ErrorSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from rempart.web.api.tokens import TokenRefused, TokenThrottled, do_issue_token
from rempart.web.orgs.models import Membership, User
from rempart.web.orgs.throttle import client_ip


@extend_schema(
    operation_id="token_create",
    request=TokenRequestSerializer,
    responses={
        200: TokenSerializer,
        400: OpenApiResponse(description="Refused credentials, a message per field."),
        429: OpenApiResponse(ErrorSerializer, description="Too many failures: wait."),
    },
    auth=[],
)
@endpoint(["POST"], public=True)
def token(request: Request) -> Response:
    data = TokenRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        issued = do_issue_token(
            data.validated_data["email"],
            data.validated_data["password"],
            data.validated_data.get("otp", ""),
            client_ip(request),
        )
    except TokenThrottled as exc:
        raise Throttled(exc.wait, _("Too many failed attempts. Try again later.")) from None
    except TokenRefused as exc:
        raise ValidationError({exc.field or "detail": [str(exc)]}) from None
    return Response(TokenSerializer({"token": issued.key}).data)


@extend_schema(operation_id="me_retrieve", responses={200: MeSerializer, 401: ErrorSerializer})
@endpoint(["GET"])
def me(request: Request) -> Response:
    memberships = Membership.objects.select_related("organisation").order_by("organisation__name")
    user = User.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).get(
        pk=request.user.pk
    )
    return Response(MeSerializer(user).data)
