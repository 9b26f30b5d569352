"""Building observations: the one helper every family uses.

The catalog gives the default severity; evidence is cut to a readable length so a hostile
server cannot make a report carry megabytes of banner.
"""

from __future__ import annotations

from collections.abc import Iterable

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Severity, Status

MAX_EVIDENCE = 480


def observe(
    check: str,
    status: Status,
    location: str,
    evidence: str = "",
    reason: str = "",
    references: Iterable[str] = (),
    severity: Severity | None = None,
) -> Observation:
    return Observation(
        check,
        status,
        severity or CATALOG[check].severity,
        location,
        evidence[:MAX_EVIDENCE],
        tuple(references),
        reason,
    )


def observe_all(
    check_ids: Iterable[str], status: Status, location: str, reason: str
) -> list[Observation]:
    """The same verdict (skipped or error, with its reason) for several checks."""
    return [observe(c, status, location, reason=reason) for c in check_ids]
