"""``rempart demo``: start a lab, scan it, print each business's grade and top problems."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rempart.engine.catalog import CATALOG
from rempart.engine.context import ScanConfig
from rempart.engine.model import TargetResult
from rempart.engine.runner import scan
from rempart.engine.scoring import grade, top_problems
from rempart.engine.target import parse_target
from rempart.exports import sarif_document, scan_document
from rempart.lab.server import Lab, LabStartError


def add_parser(commands: Any) -> None:
    p = commands.add_parser("demo", help="start a lab, scan it and show the results")
    p.add_argument("--size", type=int, default=20, help="businesses in the lab (default 20)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="results folder (default rempart-demo-<time>)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or f"rempart-demo-{stamp}")
    try:
        return asyncio.run(demo(args.size, args.seed, out))
    except LabStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def demo(size: int, seed: int, out: Path) -> int:
    console = Console()
    lab = Lab(size, seed, out / "lab")
    console.print(f"Starting a lab of {size} businesses…")
    await lab.start()
    try:
        config = ScanConfig(
            resolver=(lab.dns_address, lab.dns_port), ca_files=(lab.ca_file,), lab=True
        )
        targets = [parse_target(b.domain) for b in lab.businesses]
        console.print(f"Scanning {len(targets)} domains with every check family…")
        began = time.perf_counter()
        started = datetime.now(UTC)
        results = await scan(targets, config)
        elapsed = time.perf_counter() - began
    finally:
        await lab.stop()
    names = {b.domain: b.name for b in lab.businesses}
    print_report(console, results, names)
    (out / "results.json").write_text(
        json.dumps(scan_document(results, started), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (out / "results.sarif").write_text(
        json.dumps(sarif_document(results), indent=2) + "\n", encoding="utf-8"
    )
    console.print(
        f"\nScanned {len(results)} businesses in {elapsed:.1f} s. Results: "
        f"{out / 'results.json'} and {out / 'results.sarif'}; ground truth: {lab.truth_file}"
    )
    return 0


def print_report(console: Console, results: list[TargetResult], names: dict[str, str]) -> None:
    table = Table(title="Demo: the lab's businesses", title_justify="left", show_lines=True)
    table.add_column("business")
    table.add_column("grade", justify="center")
    table.add_column("top problems")
    for r in results:
        g = grade(r.observations)
        problems = "\n".join(
            escape(f"[{o.severity}] {CATALOG[o.check].title} ({o.location})")
            for o in top_problems(r.observations, 3)
        )
        table.add_row(f"{names.get(r.target, r.target)}\n{r.target}", g.letter, problems or "-")
    console.print(table)
