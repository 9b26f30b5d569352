"""API tokens for an e-mail and a password (and a two-factor code when the account has one).

Throttled like the portal log-in: failures are counted in the audit log, per account and per
client address, over ``LOGIN_FAILURE_WINDOW`` seconds; at ``LOGIN_MAX_FAILURES`` the request
is refused before the password is even checked, so guessing cannot go on. A wrong two-factor
code counts as a failure too: otherwise a stolen password would allow guessing the code.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, User
from rempart.web.orgs.throttle import LoginRefused, is_throttled
from rempart.web.orgs.totp import do_verify_totp

CHANNEL = "api"


class TokenRefused(ValueError):
    """Credentials refused; ``field`` names the input at fault ("" for the pair)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TokenThrottled(Exception):
    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


def do_issue_token(email: str, password: str, otp: str, ip: str | None) -> Token:
    """The user's API token, created on first use. Raises TokenThrottled or TokenRefused.

    The same throttle and the same second-factor check as the portal log-in
    (``orgs.throttle``, ``orgs.totp``): one count of failures, one replay guard.
    """
    email = email.strip().lower()
    if is_throttled(email, ip):
        audit(AuditAction.LOGIN_THROTTLED, ip=ip, email=email, channel=CHANNEL)
        raise TokenThrottled(settings.LOGIN_FAILURE_WINDOW)
    user = authenticate(None, username=email, password=password)
    if not isinstance(user, User):
        audit(AuditAction.LOGIN_FAILED, ip=ip, email=email, channel=CHANNEL)
        raise TokenRefused(_("The e-mail address or the password is incorrect."))
    if user.is_center_staff and not user.has_totp:
        raise TokenRefused(
            _("Center staff must enable two-factor authentication in the portal first.")
        )
    if user.has_totp:
        try:
            do_verify_totp(user, otp, ip)
        except LoginRefused as exc:
            if exc.throttled:
                raise TokenThrottled(settings.LOGIN_FAILURE_WINDOW) from None
            raise TokenRefused(
                _("Enter the current code of your authenticator app."), "otp"
            ) from None
    token, created = Token.objects.get_or_create(user=user)
    audit(AuditAction.TOKEN_CREATED, actor=user, ip=ip, channel=CHANNEL, new=created)
    return token
