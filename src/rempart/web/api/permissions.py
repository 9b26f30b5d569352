"""Who may call the API, and who may change what (tenancy itself is in ``orgs.access``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer

from rempart.web.api.authentication import TwoFactorSessionAuthentication
from rempart.web.orgs.access import can_act, is_owner
from rempart.web.orgs.models import Organisation, User

AUTHENTICATION: tuple[type[BaseAuthentication], ...] = (
    TokenAuthentication,
    TwoFactorSessionAuthentication,
)


def endpoint(
    methods: Sequence[str],
    *,
    public: bool = False,
    renderers: Sequence[type[BaseRenderer]] = (JSONRenderer,),
) -> Callable[[Callable[..., Any]], Any]:
    """``api_view`` with the API's authentication, permission and renderers.

    JSON only: the browsable HTML renderer would add forms and a second representation that
    the schema does not describe.
    """

    def wrap(func: Callable[..., Any]) -> Any:
        func.authentication_classes = [] if public else list(AUTHENTICATION)  # type: ignore[attr-defined]
        permission: list[type[BasePermission]] = [] if public else [IsAuthenticated]
        func.permission_classes = permission  # type: ignore[attr-defined]
        func.renderer_classes = list(renderers)  # type: ignore[attr-defined]
        return api_view(list(methods))(func)

    return wrap


def require_can_act(user: User, organisation: Organisation) -> None:
    if not can_act(user, organisation):
        raise PermissionDenied(_("Your role in this organisation does not allow this change."))


def require_audit_reader(user: User, organisation: Organisation) -> None:
    """The audit log is for the organisation's owners and the center's staff."""
    if not (is_owner(user, organisation) or user.sees_all_organisations):
        raise PermissionDenied(_("Only the owners of the organisation can read its audit log."))
