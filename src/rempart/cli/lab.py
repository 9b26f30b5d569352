"""``rempart lab``: start the demonstration lab and keep it running until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Any

from rempart.lab.server import Lab, LabStartError


def add_parser(commands: Any) -> None:
    p = commands.add_parser("lab", help="start the lab: fake small businesses on 127.x.y.z")
    p.add_argument("--size", type=int, default=30, help="number of businesses (default 30)")
    p.add_argument("--seed", type=int, default=1, help="seed of the profiles (default 1)")
    p.add_argument("--dir", default="rempart-lab", help="folder for CA, targets, ground truth")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.size <= 5000:
        print("error: --size must be between 1 and 5000", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(args.size, args.seed, Path(args.dir)))
    except LabStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def serve(size: int, seed: int, directory: Path) -> int:
    lab = Lab(size, seed, directory)
    began = time.perf_counter()
    await lab.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    elapsed = time.perf_counter() - began
    print(
        f"lab ready: {size} businesses in {elapsed:.1f} s; DNS {lab.dns_address}:{lab.dns_port}\n"
        f"  CA file:      {lab.ca_file}\n"
        f"  targets:      {lab.targets_file}\n"
        f"  ground truth: {lab.truth_file}\n"
        f"  try: rempart scan --lab --resolver {lab.dns_address} --ca-file {lab.ca_file} "
        f"-f {lab.targets_file}",
        flush=True,
    )
    await stop.wait()
    await lab.stop()
    print("lab stopped", flush=True)
    return 0
