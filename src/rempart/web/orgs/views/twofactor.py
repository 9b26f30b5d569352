"""Two-factor authentication: enrolment (any user; forced for staff) and the log-in step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rempart.web.orgs import totp
from rempart.web.orgs.forms import CodeForm
from rempart.web.orgs.middleware import OTP_SESSION_KEY
from rempart.web.orgs.throttle import LoginRefused, client_ip
from rempart.web.orgs.views.common import current_user, home_url, safe_next, throttled_message

PENDING_SECRET_KEY = "rempart_totp_pending"


def _second_factor_passed(request: HttpRequest) -> None:
    # A new session key when the session gains privileges (session fixation, OWASP ASVS 3.2.1).
    request.session.cycle_key()
    request.session[OTP_SESSION_KEY] = True


@never_cache  # the page shows a secret
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    # The new secret waits in the (server-side) session until a code proves the app has it,
    # so an enrolled user who starts again keeps the old one until then.
    secret = request.session.setdefault(PENDING_SECRET_KEY, totp.new_secret())
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if totp.do_enable_totp(user, secret, form.cleaned_data["code"], client_ip(request)):
            del request.session[PENDING_SECRET_KEY]
            _second_factor_passed(request)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(safe_next(request, reverse("orgs:profile")))
        form.add_error("code", _("This code is not right. Check your phone's clock and retry."))
    context = {
        "form": form,
        "secret": totp.grouped(secret),
        "uri": totp.provisioning_uri(user.email, secret),
        "next": safe_next(request),
    }
    return render(request, "orgs/totp_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_verify(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    next_url = safe_next(request, home_url())
    if not user.has_totp or request.session.get(OTP_SESSION_KEY):
        return redirect(next_url)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            totp.do_verify_totp(user, form.cleaned_data["code"], client_ip(request))
        except LoginRefused as exc:
            status = 429 if exc.throttled else 200
            wrong = _("This code is not right, or it was already used. Wait for the next one.")
            form.add_error("code", throttled_message() if exc.throttled else wrong)
        else:
            _second_factor_passed(request)
            return redirect(next_url)
    context = {"form": form, "next": safe_next(request)}
    return render(request, "orgs/totp_verify.html", context, status=status)
