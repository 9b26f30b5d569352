"""Place a business's maturity index among its peers (only where at least five exist).

A peer is another business of the same sector and size in the same region: the same NAF
division (the first two digits of the NAF code, "10.71C" → "10"), the same headcount band and
the same region, counting only its latest submitted assessment; the business itself is never
its own peer. The platform selects the peers; this module only computes, so that the figures
are the same in the portal, the API and the reports. Below :data:`MIN_PEERS` nothing is shown:
with three peers a median would all but name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import quantiles
from typing import Final

from rempart.diagnostic.maturity import exact, round_half_up

MIN_PEERS: Final = 5


@dataclass(frozen=True, slots=True)
class Benchmark:
    peers: int
    median: float  # of the peers' indexes, one decimal
    q1: float  # first quartile
    q3: float  # third quartile
    percentile: int  # share of peers strictly below the business, 0–100
    better_than: int  # number of peers strictly below the business


def benchmark(own: float, peers: Sequence[float]) -> Benchmark | None:
    """Where ``own`` stands among ``peers`` (their indexes), None below :data:`MIN_PEERS`."""
    if len(peers) < MIN_PEERS:
        return None
    # Inclusive quartiles: the peers are the whole population, not a sample of it.
    q1, median, q3 = quantiles(sorted(peers), n=4, method="inclusive")
    below = sum(1 for peer in peers if peer < own)
    return Benchmark(
        peers=len(peers),
        median=round_half_up(exact(median), 1),
        q1=round_half_up(exact(q1), 1),
        q3=round_half_up(exact(q3), 1),
        percentile=int(round_half_up(Fraction(100 * below, len(peers)), 0)),
        better_than=below,
    )
