"""Log-in throttling counted from the audit log (design.md §8).

Failures are the audit log's LOGIN_FAILED and TOTP_FAILED events, so the count is shared by
every process and survives restarts, with no cache to configure. The portal log-in, the TOTP
step and the API token endpoint all use ``is_throttled`` before checking a secret.

Two limits: ``LOGIN_MAX_FAILURES`` per account (a guessed password), and a larger one per
client address (``LOGIN_MAX_FAILURES_PER_IP``, default four times the account limit) so that
one person mistyping a password behind a small office's shared address does not lock out
colleagues, while a single address trying many accounts is still stopped.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from rempart.web.orgs.models import AuditAction, AuditEvent

FAILURE_ACTIONS = (AuditAction.LOGIN_FAILED, AuditAction.TOTP_FAILED)


class LoginRefused(Exception):
    """A secret was refused; ``throttled`` says whether too many failures were the reason."""

    def __init__(self, *, throttled: bool) -> None:
        super().__init__("throttled" if throttled else "refused")
        self.throttled = throttled


def max_failures_per_account() -> int:
    return int(settings.LOGIN_MAX_FAILURES)


def max_failures_per_ip() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES_PER_IP", 4 * max_failures_per_account()))


def failure_counts(email: str, ip: str | None) -> tuple[int, int]:
    """Failures within the window for this e-mail address and for this client address."""
    since = timezone.now() - timedelta(seconds=int(settings.LOGIN_FAILURE_WINDOW))
    by_email = Q(actor_label__iexact=email.strip()) if email.strip() else Q(pk__in=[])
    by_ip = Q(ip=ip) if ip else Q(pk__in=[])
    counts = AuditEvent.objects.filter(action__in=FAILURE_ACTIONS, at__gte=since).aggregate(
        email=Count("pk", filter=by_email), ip=Count("pk", filter=by_ip)
    )
    return counts["email"], counts["ip"]


def is_throttled(email: str, ip: str | None) -> bool:
    by_email, by_ip = failure_counts(email, ip)
    return by_email >= max_failures_per_account() or by_ip >= max_failures_per_ip()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the last X-Forwarded-For hop added by a proxy
    listed in ``REMPART_TRUSTED_PROXIES`` (never trust the header from anyone else: a client
    could write any address there and escape the per-address limit)."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = getattr(settings, "REMPART_TRUSTED_PROXIES", [])
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in trusted and forwarded:
        hop = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return remote
    return remote
