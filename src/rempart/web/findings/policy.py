"""Pure rules of the finding lifecycle: fingerprints and due dates (design.md §6)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

# Days to fix, counted from the day a finding is opened or reopened.
DUE_DAYS = {"critical": 15, "high": 30, "medium": 90, "low": 120}
KNOWN_EXPLOITED_DAYS = 15


def fingerprint(organisation_id: object, asset_key: str, check_id: str, location: str) -> str:
    """Stable identity of a problem: same org, asset, check and place → same finding.

    ``asset_key`` is the asset's id when the finding belongs to a declared asset, else the
    host or component name an imported report gave. Location is normalised (case, trailing
    slash and dot) so that two tools writing ``Example.fr:443`` and ``example.fr:443`` agree.
    """
    place = location.strip().lower().rstrip("/.")
    text = "\x1f".join((str(organisation_id), asset_key, check_id, place))
    return hashlib.sha256(text.encode()).hexdigest()


def due_date(severity: str, known_exploited: bool, opened: date) -> date | None:
    if known_exploited:
        return opened + timedelta(days=KNOWN_EXPLOITED_DAYS)
    days = DUE_DAYS.get(severity)
    return opened + timedelta(days=days) if days is not None else None


def is_known_exploited(check_id: str, evidence: str, references: list[str]) -> bool:
    if check_id == "net.service.known_exploited":
        return True
    return "CISA KEV" in evidence or any("known-exploited" in r for r in references)
