"""Response documentation shared by the API views."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from rempart.web.api.serializers import ErrorSerializer

BAD_INPUT = OpenApiResponse(description="Invalid input: a list of messages per field.")
READ_ERRORS = {401: ErrorSerializer, 404: ErrorSerializer}
WRITE_ERRORS = {400: BAD_INPUT, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
