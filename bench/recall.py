"""The lab's ground truth, what each tool is asked to scan, and how a tool's findings score.

Pure functions over plain JSON documents, unit-tested in tests/bench/. A finding is a
``(domain, check id)`` pair; a tool is judged only on the check ids it covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Finding = tuple[str, str]  # (domain, check id)


@dataclass(frozen=True)
class Truth:
    """What the lab says must fail and must pass; a pair in neither is not judged."""

    fails: frozenset[Finding]
    passes: frozenset[Finding]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(c for _, c in self.fails | self.passes)

    def restricted(self, domains: set[str]) -> Truth:
        return Truth(
            frozenset(f for f in self.fails if f[0] in domains),
            frozenset(f for f in self.passes if f[0] in domains),
        )


@dataclass(frozen=True)
class Score:
    judged: int  # failures the tool was expected to find on its ids
    found: int  # of which it found
    false_alarms: int  # reported failures where the lab says "pass"

    @property
    def recall(self) -> float:
        return self.found / self.judged if self.judged else 1.0


def load_truth(doc: dict[str, Any]) -> Truth:
    """``ground-truth.json`` (``{"businesses": [{"domain", "fail", "pass"}, ...]}``)."""
    businesses = doc["businesses"]
    return Truth(
        frozenset((b["domain"], c) for b in businesses for c in b["fail"]),
        frozenset((b["domain"], c) for b in businesses for c in b["pass"]),
    )


def score(truth: Truth, found: set[Finding], ids: frozenset[str]) -> Score:
    """Recall of ``found`` on the failures of ``ids``; false alarms on its passes."""
    wanted = {f for f in truth.fails if f[1] in ids}
    got = {f for f in found if f[1] in ids}
    alarms = {f for f in got if f in truth.passes}
    return Score(len(wanted), len(wanted & got), len(alarms))


def rempart_findings(doc: dict[str, Any]) -> set[Finding]:
    """``rempart scan --json``: every failed observation, whatever its location."""
    return {
        (t["target"], o["check"])
        for t in doc["targets"]
        for o in t["observations"]
        if o["status"] == "fail"
    }


def sslyze_targets(doc: dict[str, Any]) -> list[str]:
    """sslyze's ``hostname:port{ip}`` lines for the businesses that serve HTTPS.

    sslyze resolves names with the system resolver, which does not know the lab's zones:
    the address comes from the ground truth. "tls.missing" judged as passing means the
    site answers on 443.
    """
    return [
        f"{b['domain']}:443{{{b['address']}}}"
        for b in doc["businesses"]
        if "tls.missing" in b["pass"] and b.get("address")
    ]


def nmap_addresses(doc: dict[str, Any]) -> dict[str, str]:
    """address -> domain for the businesses whose exposed ports the lab judges."""
    return {
        b["address"]: b["domain"]
        for b in doc["businesses"]
        if b.get("address") and "net.exposed.smb" in b["fail"] + b["pass"]
    }
