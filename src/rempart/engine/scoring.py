"""A letter grade a business manager can read, from one target's observations.

Each distinct failing check costs points by severity; a critical failure caps the grade at
D and a high one at C, whatever the rest (one open door is enough). Errors do not count as
passes: a result with errors is marked incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass

from rempart.engine.model import Observation, Severity, Status

PENALTY = {
    Severity.CRITICAL: 40,
    Severity.HIGH: 15,
    Severity.MEDIUM: 6,
    Severity.LOW: 2,
    Severity.INFO: 0,
}
THRESHOLDS = (("A", 90), ("B", 75), ("C", 60), ("D", 40))
CAP = {Severity.CRITICAL: "D", Severity.HIGH: "C"}
ORDER = "ABCDE"


@dataclass(frozen=True, slots=True)
class Grade:
    letter: str
    score: int
    incomplete: bool


def grade(observations: list[Observation]) -> Grade:
    worst_by_check: dict[str, Severity] = {}
    for obs in observations:
        if obs.status is Status.FAIL:
            current = worst_by_check.get(obs.check)
            if current is None or obs.severity.rank > current.rank:
                worst_by_check[obs.check] = obs.severity
    score = max(0, 100 - sum(PENALTY[s] for s in worst_by_check.values()))
    letter = next((name for name, floor in THRESHOLDS if score >= floor), "E")
    for severity, cap in CAP.items():
        if severity in worst_by_check.values() and ORDER.index(letter) < ORDER.index(cap):
            letter = cap
    incomplete = any(o.status is Status.ERROR for o in observations)
    return Grade(letter, score, incomplete)


def top_problems(observations: list[Observation], limit: int = 5) -> list[Observation]:
    """The worst failures first, one per check id."""
    seen: set[str] = set()
    fails = sorted(
        (o for o in observations if o.status is Status.FAIL),
        key=lambda o: (-o.severity.rank, o.check, o.location),
    )
    unique = []
    for obs in fails:
        if obs.check not in seen:
            seen.add(obs.check)
            unique.append(obs)
    return unique[:limit]
