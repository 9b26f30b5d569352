"""Typed results of the engine: what a check saw, as a frozen value.

The field names are the contract of ``checks.md``: ``check``, ``status``, ``severity``,
``location``, ``evidence``, ``references``. ``error`` means "could not tell" and always
carries a reason; it is never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    INFO = "info"
    SKIPPED = "skipped"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 … info=0."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


@dataclass(frozen=True, slots=True)
class Observation:
    """One thing a check saw at one location.

    ``reason`` explains an ``error`` or ``skipped`` status in one sentence for a person;
    ``evidence`` is what was seen on the wire (record text, header, banner, protocol list).
    ``target`` is the scan target the observation belongs to; the runner fills it in.

    The last four fields are for observations that come from a third-party report
    (``rempart.importers``); the engine leaves them empty. ``source`` names the tool
    ("nmap", "nuclei"…), ``rule`` its own id for the problem (template, plugin, NVT), ``title``
    the tool's one-line name (for checks outside the catalog), ``fix`` what the tool says fixes
    it (for a vulnerable package: the version to install).
    """

    check: str
    status: Status
    severity: Severity
    location: str
    evidence: str = ""
    references: tuple[str, ...] = ()
    reason: str = ""
    target: str = ""
    source: str = ""
    rule: str = ""
    title: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status in (Status.ERROR, Status.SKIPPED) and not self.reason:
            raise ValueError(f"{self.check}: an {self.status} observation needs a reason")

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "check": self.check,
            "status": str(self.status),
            "severity": str(self.severity),
            "location": self.location,
            "evidence": self.evidence,
            "references": list(self.references),
        }
        if self.reason:
            data["reason"] = self.reason
        for key in ("source", "rule", "title", "fix"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


@dataclass(slots=True)
class TargetResult:
    """Everything seen for one scan target, in arrival order."""

    target: str
    observations: list[Observation] = field(default_factory=list)
    refused: str = ""  # set when the safety guard refused the target before any traffic

    def failures(self) -> list[Observation]:
        return [o for o in self.observations if o.status is Status.FAIL]

    def errors(self) -> list[Observation]:
        return [o for o in self.observations if o.status is Status.ERROR]
