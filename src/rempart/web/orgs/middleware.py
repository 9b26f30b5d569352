"""Two-factor authentication gate (design.md §8: staff need it).

After the password step, a user who has TOTP enabled must give a code before anything else;
center staff without TOTP must enrol first. The session flag is set by the TOTP views.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

OTP_SESSION_KEY = "rempart_otp_ok"
_OPEN_PREFIXES = ("/static/", "/i18n/", "/api/")  # the API authenticates by token per request


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.session.get(OTP_SESSION_KEY):
            target = self._redirect_for(user)
            if target and not self._is_open(request.path, target):
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{target}?{query}")
        return self.get_response(request)

    @staticmethod
    def _redirect_for(user: object) -> str | None:
        if getattr(user, "has_totp", False):
            return reverse("orgs:totp_verify")
        if getattr(user, "is_center_staff", False):
            return reverse("orgs:totp_setup")
        return None

    @staticmethod
    def _is_open(path: str, target: str) -> bool:
        if path.startswith(_OPEN_PREFIXES) or path == target:
            return True
        return path in (reverse("orgs:logout"), reverse("orgs:login"))
