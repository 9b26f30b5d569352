"""Session authentication for the API that honours the two-factor step.

Its own module, importing only DRF's authentication classes: the REST_FRAMEWORK setting
imports it while DRF itself is being imported, so it must not pull in rest_framework.views.
"""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from rempart.web.orgs.middleware import OTP_SESSION_KEY
from rempart.web.orgs.models import User


class TwoFactorSessionAuthentication(SessionAuthentication):
    """A portal session counts only once its two-factor step is passed.

    The two-factor middleware leaves /api/ alone (tokens are checked per request), so without
    this a staff member who typed only a password could read every business through the API.
    """

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        needs_otp = user.has_totp or user.is_center_staff
        if needs_otp and not request._request.session.get(OTP_SESSION_KEY):
            return None
        return result
