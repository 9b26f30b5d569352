"""Pages of lists: LimitOffset, bounded, documented for function views."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer


class Pages(LimitOffsetPagination):
    # A bound keeps one request from loading a whole regional history at once.
    max_limit = 500


PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit", OpenApiTypes.INT, description="Items per page (100 by default, 500 at most)."
    ),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Index of the first item."),
]


def paginated(
    request: Request, queryset: QuerySet[Any], serializer_class: type[Serializer]
) -> Response:
    pages = Pages()
    page = pages.paginate_queryset(queryset, request)
    data = serializer_class(page, many=True, context={"request": request}).data
    return pages.get_paginated_response(data)
