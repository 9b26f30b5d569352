"""TOTP two-factor authentication (RFC 6238, 30-second steps, 6 digits) with pyotp.

A code is accepted within one step either side of now (clock drift, RFC 6238 §5.2) and only
once: ``User.totp_last_step`` records the last accepted step and a code of that step or an
earlier one is refused (replay, RFC 6238 §5.2 "the verifier MUST NOT accept the second attempt").
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp
from django.utils import timezone

from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, User
from rempart.web.orgs.throttle import LoginRefused, is_throttled

ISSUER = "rempart"
VALID_WINDOW = 1
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def new_secret() -> str:
    """160 random bits in base32 (RFC 4226 §4 recommends at least 128, preferably 160)."""
    return pyotp.random_base32(length=32)


def grouped(secret: str) -> str:
    """``ABCD EFGH …``: easier to type into an authenticator app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(email: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time step whose code is ``code`` (now or one step either side), else None."""
    digits = _SPACES.sub("", code or "")
    if not secret or len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = at or timezone.now()
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def do_verify_totp(user: User, code: str, ip: str | None) -> None:
    """Accept the second factor of an enrolled user, or raise LoginRefused.

    Throttled like the password step: TOTP_FAILED events count as log-in failures.
    """
    if is_throttled(user.email, ip):
        audit(AuditAction.LOGIN_THROTTLED, actor=user, ip=ip, step="totp")
        raise LoginRefused(throttled=True)
    step = matching_step(user.totp_secret, code)
    # A conditional UPDATE, not read-then-write: two requests racing with the same code
    # cannot both see the old step and both succeed.
    if step is not None:
        won = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
        if won:
            user.totp_last_step = step
            return
    audit(AuditAction.TOTP_FAILED, actor=user, ip=ip, replay=step is not None)
    raise LoginRefused(throttled=False)


def do_enable_totp(user: User, secret: str, code: str, ip: str | None) -> bool:
    """Enrol (or re-enrol) the user with ``secret`` once they prove their app has it.

    A wrong code here is not counted as a log-in failure: the user is already authenticated and
    is typing a code of a secret they were just shown, not guessing someone else's.
    """
    step = matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = step  # the confirmation code cannot be replayed at the next log-in
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    audit(AuditAction.TOTP_ENABLED, actor=user, ip=ip)
    return True
