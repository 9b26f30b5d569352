"""An organisation's people: members list, invitations, roles, and its audit log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rempart.web.orgs import services
from rempart.web.orgs.access import get_organisation_for_user, is_owner
from rempart.web.orgs.forms import InviteForm, RoleForm
from rempart.web.orgs.models import Organisation, Role, User
from rempart.web.orgs.throttle import client_ip
from rempart.web.orgs.views.common import apply_errors, current_user

AUDIT_PAGE_SIZE = 50


def _members_context(
    user: User, organisation: Organisation, invite_form: InviteForm
) -> dict[str, Any]:
    owner = is_owner(user, organisation)
    return {
        "organisation": organisation,
        "memberships": services.members_of(organisation),
        "owner": owner,
        "invitations": services.pending_invitations(organisation) if owner else [],
        "invite_form": invite_form,
        "roles": Role.choices,
        "days": services.invitation_days(),
    }


@login_required
@require_GET
def members(request: HttpRequest, org: UUID) -> HttpResponse:
    user = current_user(request)
    organisation = get_organisation_for_user(user, org)
    context = _members_context(user, organisation, InviteForm())
    return render(request, "orgs/members.html", context)


@login_required
@require_POST
def invite(request: HttpRequest, org: UUID) -> HttpResponse:
    user = current_user(request)
    organisation = services.access_organisation_as_owner(user, org)
    form = InviteForm(request.POST)
    if form.is_valid():
        email, role = form.cleaned_data["email"], form.cleaned_data["role"]
        try:
            services.do_invite(organisation, email, role, user, client_ip(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": email})
            return redirect("orgs:members", org=organisation.pk)
    context = _members_context(user, organisation, form)
    return render(request, "orgs/members.html", context, status=400)


@login_required
@require_POST
def member_role(request: HttpRequest, org: UUID, member: int) -> HttpResponse:
    user = current_user(request)
    organisation = services.access_organisation_as_owner(user, org)
    membership = services.access_member(organisation, member)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors["role"]))
        services.do_change_role(membership, form.cleaned_data["role"], user, client_ip(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        done = _("%(email)s is now %(role)s.")
        messages.success(
            request, done % {"email": membership.user.email, "role": membership.get_role_display()}
        )
    return redirect("orgs:members", org=organisation.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, org: UUID, member: int) -> HttpResponse:
    user = current_user(request)
    organisation = services.access_organisation_as_owner(user, org)
    membership = services.access_member(organisation, member)
    try:
        services.do_remove_member(membership, user, client_ip(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        done = _("%(email)s no longer has access to %(name)s.")
        messages.success(
            request, done % {"email": membership.user.email, "name": organisation.name}
        )
    return redirect("orgs:members", org=organisation.pk)


@login_required
@require_GET
def audit_log(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = services.access_audit_log(current_user(request), org)
    paginator = Paginator(services.audit_events_of(organisation), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"organisation": organisation, "page": page}
    return render(request, "orgs/audit.html", context)
