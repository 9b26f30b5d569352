"""The sector benchmark: quartiles and rank among at least five peers, nothing below."""

from __future__ import annotations

import pytest

from rempart.diagnostic.benchmark import MIN_PEERS, Benchmark, benchmark


def test_fewer_than_five_peers_give_no_benchmark() -> None:
    assert MIN_PEERS == 5
    assert benchmark(3.0, [1.0, 2.0, 3.0, 4.0]) is None
    assert benchmark(3.0, []) is None


def test_five_peers_place_the_business() -> None:
    result = benchmark(3.1, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert result == Benchmark(peers=5, median=3.0, q1=2.0, q3=4.0, percentile=60, better_than=3)


def test_peers_with_the_same_index_are_not_counted_below() -> None:
    result = benchmark(2.0, [2.0, 2.0, 2.0, 1.0, 3.0, 4.0])
    assert result is not None
    assert (result.better_than, result.percentile) == (1, 17)  # 1 of 6 = 16.7 → 17


def test_the_best_and_the_worst_of_the_sector() -> None:
    peers = [1.2, 2.5, 2.5, 3.3, 4.1, 0.4, 2.9]
    best, worst = benchmark(5.0, peers), benchmark(0.0, peers)
    assert best is not None and worst is not None
    assert (best.percentile, best.better_than) == (100, 7)
    assert (worst.percentile, worst.better_than) == (0, 0)
    assert (best.q1, best.median, best.q3) == (1.9, 2.5, 3.1)  # inclusive quartiles, 1 decimal


@pytest.mark.parametrize("size", [5, 8, 50])
def test_quartiles_are_ordered(size: int) -> None:
    peers = [(i * 37 % 51) / 10 for i in range(size)]
    result = benchmark(2.5, peers)
    assert result is not None and result.peers == size
    assert min(peers) <= result.q1 <= result.median <= result.q3 <= max(peers)
