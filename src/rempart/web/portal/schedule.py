"""Change an asset's automatic scan schedule.

This service belongs with the other asset services (``rempart.web.assets.services``); it
lives here until the lead moves it, because this helper may only edit the portal.
"""

from __future__ import annotations

from django.utils import timezone

from rempart.web.assets.models import Asset, Schedule
from rempart.web.assets.services import next_scan_after
from rempart.web.orgs.models import User


def do_set_schedule(asset: Asset, schedule: str, actor: User | None) -> Asset:
    """Save the schedule; the next automatic scan is one period after now (none when off).

    An earlier planned date is kept, so shortening the period never postpones a due scan.
    """
    asset.schedule = Schedule(schedule)
    following = next_scan_after(asset, timezone.now())
    if following is None or asset.next_scan_at is None:
        asset.next_scan_at = following
    else:
        asset.next_scan_at = min(asset.next_scan_at, following)
    asset.save(update_fields=["schedule", "next_scan_at"])
    return asset
