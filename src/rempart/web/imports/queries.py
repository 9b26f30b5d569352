"""Read-side helpers shared by the portal and the API (no writes here)."""

from __future__ import annotations

from typing import Any

from rempart.web.findings.models import ACTIVE_STATUSES, Finding
from rempart.web.orgs.models import Organisation


def vulnerable_components_table(organisation: Organisation) -> dict[str, list[dict[str, Any]]]:
    """Open vulnerability findings by package location (purl or name@version, lower-case)."""
    table: dict[str, list[dict[str, Any]]] = {}
    rows = (
        Finding.objects.filter(
            organisation=organisation, check_id__startswith="vuln.", status__in=ACTIVE_STATUSES
        )
        .order_by("-severity_rank", "check_id")
        .values_list("pk", "check_id", "location", "severity", "known_exploited", "fix")
    )
    for pk, check, location, severity, kev, fix in rows:
        table.setdefault(location.lower(), []).append(
            {
                "finding": pk,
                "id": check.removeprefix("vuln."),
                "severity": severity,
                "known_exploited": kev,
                "fix": fix,
            }
        )
    return table
