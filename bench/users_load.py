"""Users who read what they asked for: each of N users asks a page, reads it for a random
think time, asks the next one (a closed loop with think time, as load tools model users).

wrk (bench/platform_pages.py) measures the other extreme: N connections that never pause,
which measures throughput rather than what a person waits. This runs in its own process so
that the client's work does not share the benchmark's interpreter.

  python bench/users_load.py --base URL --targets FILE --users 50 --think 2 --duration 30
FILE: one ``cookie<TAB>path`` per line; prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time

import httpx


async def user(
    client: httpx.AsyncClient, cookie: str, path: str, think: float, stop: float, out: list
) -> None:
    rng = random.Random(hash((cookie, path)))
    await asyncio.sleep(rng.uniform(0, think))  # users do not all arrive at once
    while time.monotonic() < stop:
        began = time.perf_counter()
        response = await client.get(path, headers={"Cookie": cookie})
        out.append((time.perf_counter() - began, response.status_code))
        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def main(args: argparse.Namespace, targets: list[list[str]]) -> dict:
    chosen = [targets[i % len(targets)] for i in range(args.users)]
    samples: list[tuple[float, int]] = []
    limits = httpx.Limits(max_connections=args.users, max_keepalive_connections=args.users)
    async with httpx.AsyncClient(base_url=args.base, limits=limits, timeout=30) as client:
        warm = time.monotonic() + args.warmup
        await asyncio.gather(*(user(client, c, p, args.think, warm, []) for c, p in chosen))
        stop = time.monotonic() + args.duration
        began = time.monotonic()
        await asyncio.gather(*(user(client, c, p, args.think, stop, samples) for c, p in chosen))
        elapsed = time.monotonic() - began
    times = sorted(t * 1000 for t, _ in samples)
    q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
    return {
        "users": args.users,
        "think_s": args.think,
        "requests": len(times),
        "rps": len(times) / elapsed,
        "p50_ms": q[49],
        "p95_ms": q[94],
        "p99_ms": q[98],
        "max_ms": times[-1] if times else 0.0,
        "non_200": sum(1 for _, status in samples if status != 200),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--targets", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, seconds")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    arguments = parser.parse_args()
    with open(arguments.targets) as lines:
        pairs = [line.rstrip("\n").split("\t") for line in lines if line.strip()]
    print(json.dumps(asyncio.run(main(arguments, pairs))))
