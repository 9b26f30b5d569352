"""A finished scan's failing observations, grouped by check for a person to read."""

from __future__ import annotations

from dataclasses import dataclass, field

from rempart.web.findings.models import SEVERITY_RANK
from rempart.web.portal.guidance import plain_title


@dataclass
class CheckGroup:
    check_id: str
    title: str
    severity: str
    places: list[tuple[str, str]] = field(default_factory=list)  # (location, evidence)


def failing_groups(observations: list[dict]) -> list[CheckGroup]:
    """One group per failing check, worst severity first; passes and errors are left out
    (errors are summarised in the scan's reason)."""
    groups: dict[str, CheckGroup] = {}
    for obs in observations:
        if obs.get("status") != "fail":
            continue
        check_id = str(obs.get("check", ""))
        group = groups.get(check_id)
        if group is None:
            group = groups[check_id] = CheckGroup(
                check_id, plain_title(check_id), str(obs.get("severity", "info"))
            )
        elif SEVERITY_RANK.get(str(obs.get("severity")), 0) > SEVERITY_RANK.get(group.severity, 0):
            group.severity = str(obs["severity"])
        place = (str(obs.get("location", "")), str(obs.get("evidence", "")))
        if place not in group.places:
            group.places.append(place)
    return sorted(groups.values(), key=lambda g: (-SEVERITY_RANK.get(g.severity, 0), g.check_id))
