"""Members, roles and the audit log of an organisation (services, style rule 9)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from rempart.web.orgs.access import get_organisation_for_user, is_owner
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, AuditEvent, Membership, Organisation, Role, User
from rempart.web.orgs.services.accounts import check_role, collect_error


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "user__email")
    )


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def access_organisation_as_owner(user: User, org_id: object) -> Organisation:
    """The organisation if the user may manage its people: 404 for outsiders (as for a
    missing one), 403 for its members and IT providers, who know it exists."""
    organisation = get_organisation_for_user(user, org_id)
    if not is_owner(user, organisation):
        raise PermissionDenied
    return organisation


def access_member(organisation: Organisation, member_id: int) -> Membership:
    """A membership of this organisation (already scoped to the user), else 404."""
    try:
        return Membership.objects.select_related("user", "organisation").get(
            pk=member_id, organisation=organisation
        )
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


def _is_last_owner(membership: Membership) -> bool:
    """Inside a transaction: lock the owners' rows so that two owners demoting each other at
    once cannot both succeed and leave the organisation without an owner."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    return membership.role == Role.OWNER and owners == [membership.pk]


def do_change_role(
    membership: Membership, role: str, actor: User | None, ip: str | None = None
) -> Membership:
    errors: dict[str, list[ValidationError]] = {}
    role = collect_error(errors, "role", lambda: check_role(role))
    if errors:
        raise ValidationError(errors)
    old = membership.role
    if role == old:
        return membership
    with transaction.atomic():
        if role != Role.OWNER and _is_last_owner(membership):
            raise ValidationError(
                _("The last owner cannot be demoted: make someone else owner first."),
                code="last_owner",
            )
        membership.role = role
        membership.save(update_fields=["role"])
    audit(
        AuditAction.ROLE_CHANGED,
        actor=actor,
        organisation=membership.organisation,
        obj=membership,
        ip=ip,
        email=membership.user.email,
        old=old,
        new=role,
    )
    return membership


def do_remove_member(membership: Membership, actor: User | None, ip: str | None = None) -> None:
    with transaction.atomic():
        if _is_last_owner(membership):
            raise ValidationError(
                _("The last owner cannot be removed: make someone else owner first."),
                code="last_owner",
            )
        audit(
            AuditAction.MEMBER_REMOVED,
            actor=actor,
            organisation=membership.organisation,
            obj=membership,
            ip=ip,
            email=membership.user.email,
            role=membership.role,
        )
        membership.delete()


def access_audit_log(user: User, org_id: object) -> Organisation:
    """The organisation whose log the user may read: its owners and the center's analysts and
    admins. Members and IT providers get the same 404 as outsiders."""
    organisation = get_organisation_for_user(user, org_id)
    if not (user.sees_all_organisations or is_owner(user, organisation)):
        raise Http404
    return organisation


def audit_events_of(organisation: Organisation) -> QuerySet[AuditEvent]:
    # actor_label is stored on the event, so listing needs no join on users.
    return AuditEvent.objects.filter(organisation=organisation).order_by("-at", "-id")
