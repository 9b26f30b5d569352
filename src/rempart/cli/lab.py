"""``rempart lab``: start the demonstration lab and keep it running until Ctrl-C/SIGTERM.

``rempart lab txt add NAME VALUE`` / ``rempart lab txt remove NAME [VALUE]`` act as a lab
business owner on a running lab: they publish or delete a TXT record by DNS UPDATE.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Any

from rempart.lab.control import LabControlError, publish_txt, remove_txt
from rempart.lab.server import DNS_ADDRESS, DNS_PORT, Lab, LabStartError


def add_parser(commands: Any) -> None:
    p = commands.add_parser("lab", help="start the lab: fake small businesses on 127.x.y.z")
    p.add_argument("--size", type=int, default=30, help="number of businesses (default 30)")
    p.add_argument("--seed", type=int, default=1, help="seed of the profiles (default 1)")
    p.add_argument("--dir", default="rempart-lab", help="folder for CA, targets, ground truth")
    p.set_defaults(handler=run)
    # Optional, so that `rempart lab --size N --seed S --dir D` still starts the lab.
    actions = p.add_subparsers(dest="lab_action", metavar="ACTION")
    txt = actions.add_parser("txt", help="publish or delete a TXT record in a running lab")
    txt_actions = txt.add_subparsers(dest="txt_action", required=True, metavar="add|remove")
    add = txt_actions.add_parser("add", help="add the TXT record NAME = VALUE")
    add.add_argument("name")
    add.add_argument("value")
    remove = txt_actions.add_parser("remove", help="delete NAME's TXT record VALUE, or all")
    remove.add_argument("name")
    remove.add_argument("value", nargs="?")
    for sub in (add, remove):
        sub.add_argument("--server", default=DNS_ADDRESS, help="lab DNS server address")
        sub.add_argument("--port", type=int, default=DNS_PORT, help="lab DNS server port")
        sub.set_defaults(handler=run_txt)


def run_txt(args: argparse.Namespace) -> int:
    server = (args.server, args.port)
    try:
        if args.txt_action == "add":
            publish_txt(args.name, args.value, server)
        else:
            remove_txt(args.name, args.value, server)
    except LabControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.txt_action}: TXT {args.name}", flush=True)
    return 0


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
