"""Template helpers of the imports, software and alerts pages.

``unread_alerts`` feeds the menu's badge and the dashboard's banner from any page that has an
organisation, without every view having to pass them: one query per page (cached on the
organisation object, so the menu and the banner share it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django import template

from rempart.web.imports.models import Alert
from rempart.web.orgs.models import Organisation

register = template.Library()

BANNER_SIZE = 3
_CACHE = "_rempart_unread_alerts"


@dataclass
class UnreadAlerts:
    count: int = 0
    newest: list[Alert] = field(default_factory=list)


@register.simple_tag
def unread_alerts(org: Organisation | None) -> UnreadAlerts:
    """The number of unread alerts of the organisation and the newest few of them."""
    if org is None or not getattr(org, "pk", None):
        return UnreadAlerts()
    cached: UnreadAlerts | None = getattr(org, _CACHE, None)
    if cached is not None:
        return cached
    unread = Alert.objects.filter(organisation=org, read_at__isnull=True)
    newest = list(unread.order_by("-created_at", "-id")[:BANNER_SIZE])
    count = len(newest) if len(newest) < BANNER_SIZE else unread.count()
    found = UnreadAlerts(count, newest)
    setattr(org, _CACHE, found)
    return found


@register.filter
def as_percent(value: float | None) -> float | None:
    """A probability (0..1) as a percentage, for ``floatformat`` to localise."""
    if value is None:
        return None
    try:
        return float(value) * 100
    except (TypeError, ValueError):
        return None


@register.filter
def percentile_floor(value: float | None) -> float | None:
    """A percentile (0..1) as a percentage rounded down to 0.1, so that 0.99996 reads
    "99.9", never "100" (no vulnerability is more likely than all of them)."""
    percent = as_percent(value)
    return None if percent is None else math.floor(percent * 10) / 10
