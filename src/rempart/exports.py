"""Scan results as documents: the JSON of ``rempart scan --json`` and SARIF 2.1.0.

Plain functions over engine types, shared by the CLI and (later) the platform's exports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rempart import __version__
from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Severity, Status, TargetResult
from rempart.engine.scoring import grade

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning and others read this property as a CVSS-like 0-10 score.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "7.5",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def scan_document(results: list[TargetResult], started: datetime) -> dict[str, Any]:
    """One JSON document: per target, its grade and observations."""
    return {
        "tool": {"name": "rempart", "version": __version__},
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "targets": [
            {
                "target": r.target,
                "grade": _grade_dict(r),
                "observations": [o.to_dict() for o in r.observations],
            }
            for r in results
        ],
    }


def _grade_dict(result: TargetResult) -> dict[str, object]:
    g = grade(result.observations)
    return {"letter": g.letter, "score": g.score, "incomplete": g.incomplete}


def sarif_document(results: list[TargetResult]) -> dict[str, Any]:
    """SARIF 2.1.0: one result per failing observation, rules from the check catalog.

    Errors become tool execution notifications, so "could not tell" is visible and never
    mistaken for a clean result.
    """
    used = sorted({o.check for r in results for o in r.observations})
    rule_index = {check: i for i, check in enumerate(used)}
    sarif_results = [
        _sarif_result(o, rule_index[o.check])
        for r in results
        for o in r.observations
        if o.status is Status.FAIL
    ]
    notifications = [
        {
            "level": "warning",
            "message": {"text": f"{o.check} at {o.location}: {o.reason}"},
            "descriptor": {"id": o.check},
        }
        for r in results
        for o in r.observations
        if o.status is Status.ERROR
    ]
    run = sarif_run([_sarif_rule(check) for check in used], sarif_results)
    run["invocations"] = [
        {"executionSuccessful": True, "toolExecutionNotifications": notifications}
    ]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def sarif_run(rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    """One SARIF run of the rempart tool (shared by engine scans and platform findings)."""
    return {
        "tool": {
            "driver": {
                "name": "rempart",
                "version": __version__,
                "informationUri": "https://github.com/rempart/rempart",
                "rules": rules,
            }
        },
        "results": results,
    }


def _sarif_rule(check: str) -> dict[str, Any]:
    spec = CATALOG[check]
    return {
        "id": check,
        "name": check.replace(".", "_"),
        "shortDescription": {"text": spec.title},
        "defaultConfiguration": {"level": _SARIF_LEVEL[spec.severity]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[spec.severity],
            "tags": ["security", spec.family],
        },
    }


def _sarif_result(o: Observation, index: int) -> dict[str, Any]:
    text = f"{CATALOG[o.check].title}: {o.evidence}" if o.evidence else CATALOG[o.check].title
    result: dict[str, Any] = {
        "ruleId": o.check,
        "ruleIndex": index,
        "level": _SARIF_LEVEL[o.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": _uri(o.location)}},
                "logicalLocations": [{"name": o.location, "kind": "resource"}],
            }
        ],
        "properties": {"severity": str(o.severity), "target": o.target},
    }
    if o.references:
        result["properties"]["references"] = list(o.references)
    return result


def _uri(location: str) -> str:
    if "://" in location:
        return location
    return f"rempart://{location}"
