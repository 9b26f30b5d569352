"""CVSS vectors to base scores and severities, with the ``cvss`` library (v2, v3.0/3.1, v4.0).

The version is read from the vector itself: ``CVSS:4.0/…`` and ``CVSS:3.x/…`` carry a prefix,
a bare ``AV:N/AC:L/Au:N/…`` is CVSS v2 (the OSV ``CVSS_V2`` form and NVD's ``cvssMetricV2``).
An invalid vector gives None, never an exception: vectors come from third-party feeds.
"""

from __future__ import annotations

from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

# The qualitative ratings of the specifications, in rempart's words. CVSS v3/v4 "None"
# (score 0.0) is information, not a problem; v2 has no "Critical" (FIRST CVSS v2 guide).
_WORDS = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "none": "info"}


def version_of(vector: str) -> str:
    """``"4.0"``, ``"3.1"``, ``"3.0"`` or ``"2.0"`` from the vector's prefix (v2 has none)."""
    head = vector.strip().split("/", 1)[0]
    if head.upper().startswith("CVSS:"):
        return head[5:]
    return "2.0"


@lru_cache(maxsize=8192)
def score(vector: str) -> tuple[float, str] | None:
    """``(base_score, severity)`` of a CVSS vector, or None when it is not a valid vector.

    ``severity`` is one of critical/high/medium/low/info (the specification's rating of the
    base score; "None" becomes "info").
    """
    text = vector.strip()
    if not text:
        return None
    version = version_of(text)
    try:
        if version == "4.0":
            v4 = CVSS4(text)
            return float(v4.base_score), _WORDS.get(str(v4.severity).lower(), "info")
        if version in ("3.0", "3.1"):
            v3 = CVSS3(text)
            return float(v3.base_score), _WORDS.get(str(v3.severities()[0]).lower(), "info")
        if version == "2.0" and not text.upper().startswith("CVSS:"):
            v2 = CVSS2(text)
            return float(v2.base_score), _WORDS.get(str(v2.severities()[0]).lower(), "info")
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def rank(vector: str) -> int:
    """Preference between vectors of one CVE: the newest CVSS version first (4.0 > 3.1 > 3.0 >
    2.0), since a newer version describes the same flaw with a better model."""
    return {"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}.get(version_of(vector), 0)
