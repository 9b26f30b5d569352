"""Sign-up, log-in and log-out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rempart.web.orgs import services
from rempart.web.orgs.forms import LoginForm, SignupForm
from rempart.web.orgs.models import User
from rempart.web.orgs.throttle import LoginRefused, client_ip
from rempart.web.orgs.views.common import (
    apply_errors,
    home_url,
    safe_next,
    throttled_message,
    with_next,
)

SIGNUP_FIELDS = (
    "name",
    "siren",
    "naf",
    "headcount",
    "departement",
    "full_name",
    "email",
    "password",
)


def after_password(user: User, next_url: str) -> str:
    """Where to go once the password is right: the second factor first when there is one,
    enrolment for center staff without one (the middleware would send them there anyway)."""
    if user.has_totp:
        return with_next("orgs:totp_verify", next_url)
    if user.is_center_staff:
        return with_next("orgs:totp_setup", next_url)
    return next_url or home_url()


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST if request.method == "POST" else None)
    next_url = safe_next(request)
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.check_login(data["email"], data["password"], client_ip(request))
        except LoginRefused as exc:
            status = 429 if exc.throttled else 200
            refused = _("Wrong e-mail address or password.")
            form.add_error(None, throttled_message() if exc.throttled else refused)
        else:
            login(request, user)
            return redirect(after_password(user, next_url))
    context = {"form": form, "next": next_url}
    return render(request, "orgs/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("orgs:login")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        values = {name: form.cleaned_data[name] for name in SIGNUP_FIELDS}
        try:
            organisation, user = services.do_signup(**values, ip=client_ip(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            login(request, user)
            welcome = _("Welcome! %(name)s is registered.") % {"name": organisation.name}
            messages.success(request, welcome)
            return redirect("portal:home")
    return render(request, "orgs/signup.html", {"form": form})
