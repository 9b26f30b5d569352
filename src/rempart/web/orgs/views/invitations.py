"""The page behind an invitation link: accept it, or create an account to accept it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rempart.web.orgs import services
from rempart.web.orgs.forms import InvitedSignupForm
from rempart.web.orgs.models import Invitation, User
from rempart.web.orgs.throttle import client_ip
from rempart.web.orgs.views.common import apply_errors, current_user

INVALID_STATUS = {"unknown": 404, "expired": 410, "used": 410}


def _invalid(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "orgs/invitation_invalid.html",
        {"reason": reason},
        status=INVALID_STATUS.get(reason, 404),
    )


def _welcome(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    name = invitation.organisation.name
    messages.success(request, _("You now have access to %(name)s.") % {"name": name})
    return redirect("portal:home")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = services.access_invitation(token)
    except services.InvitationError as exc:
        return _invalid(request, exc.reason)
    if request.user.is_authenticated:
        return _as_logged_in(request, found, current_user(request))
    return _as_visitor(request, found)


def _as_logged_in(request: HttpRequest, invitation: Invitation, user: User) -> HttpResponse:
    wrong_user = user.email.casefold() != invitation.email.casefold()
    if request.method == "POST" and not wrong_user:
        try:
            services.do_accept_invitation(invitation, user, client_ip(request))
        except services.InvitationError as exc:
            return _invalid(request, exc.reason)
        return _welcome(request, invitation)
    context = {"invitation": invitation, "state": "wrong_user" if wrong_user else "accept"}
    return render(request, "orgs/invitation.html", context, status=403 if wrong_user else 200)


def _as_visitor(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    if services.invited_person_has_account(invitation):
        context = {"invitation": invitation, "state": "login", "next": request.path}
        return render(request, "orgs/invitation.html", context)
    data = request.POST if request.method == "POST" else None
    form = InvitedSignupForm(data, email=invitation.email)
    if form.is_bound and form.is_valid():
        name, password = form.cleaned_data["full_name"], form.cleaned_data["password"]
        try:
            user = services.do_signup_invited(invitation, name, password, client_ip(request))
        except services.InvitationError as exc:
            return _invalid(request, exc.reason)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            login(request, user)
            return _welcome(request, invitation)
    context = {"invitation": invitation, "state": "signup", "form": form}
    return render(request, "orgs/invitation.html", context)
