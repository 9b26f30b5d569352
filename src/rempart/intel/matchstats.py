"""What a matching run could not look at, for the caller to show (never silent)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class MatchStats:
    """What a matching run could not look at, for the caller to show (never silent)."""

    components: int = 0
    matched: int = 0
    unidentified: list[str] = field(default_factory=list)  # no purl/ecosystem/cpe/vendor
    unparsable: list[str] = field(default_factory=list)  # version rejected by the scheme
