"""Tenancy: every query for an organisation's data goes through these helpers (style rule 10).

Another tenant's object and a missing one give the same 404, so ids cannot be probed.
Owners and IT providers may act; members read; analysts and admins read every organisation
(analysts act only through campaigns); evaluators see no business data here.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from rempart.web.orgs.models import Membership, Organisation, Role, StaffRole, User

WRITE_ROLES = (Role.OWNER, Role.PROVIDER)
T = TypeVar("T", bound=Model)


def organisations_for(user: User) -> QuerySet[Organisation]:
    if not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    if user.sees_all_organisations:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user).distinct()


def role_in(user: User, organisation: Organisation) -> str | None:
    """The user's role in the organisation, or None. Staff see but hold no membership role."""
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    return membership.role if membership else None


def can_act(user: User, organisation: Organisation) -> bool:
    """May change the organisation's assets, scans and triage decisions."""
    if user.is_superuser or user.staff_role == StaffRole.ADMIN:
        return True
    return role_in(user, organisation) in WRITE_ROLES


def is_owner(user: User, organisation: Organisation) -> bool:
    if user.is_superuser or user.staff_role == StaffRole.ADMIN:
        return True
    return role_in(user, organisation) == Role.OWNER


def get_scoped(queryset: QuerySet[T], user: User, pk: object, org_path: str = "organisation") -> T:
    """The object ``pk`` of ``queryset`` if it belongs to one of the user's organisations.

    Raises Http404 for a missing object, another tenant's object and a malformed id alike.
    """
    allowed = organisations_for(user)
    try:
        return queryset.filter(**{f"{org_path}__in": allowed}).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def get_organisation_for_user(user: User, org_id: object) -> Organisation:
    try:
        return organisations_for(user).get(pk=org_id)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
