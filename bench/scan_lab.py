"""Scan benchmark: rempart against the peers a user would otherwise combine, on one lab.

Starts ``rempart lab`` (a separate process), then runs, each as its own measured child
process: ``rempart scan`` (every family), sslyze (TLS), ``nmap -sT`` (ports) and checkdmarc
(SPF/DMARC/MX). Prints wall time, businesses per second, peak RSS of that child only
(``os.wait4``), and recall and false alarms against the lab's ground truth on the check
ids each tool covers; writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import peers

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers"
RESOLVER = "127.53.0.1"
PORTS = ",".join(str(p) for p in sorted(peers.PORT_IDS))


@dataclass
class Run:
    tool: str
    seconds: float
    peak_mb: float
    businesses: int
    recall: float = 0.0
    false_alarms: int = 0
    covered_ids: int = 0
    rempart_recall_same_ids: float = 0.0
    exit_code: int = 0


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """Run cmd; (wall seconds, peak RSS MB of that process, exit code).

    The peak comes from GNU time, a small process that forks the tool: measuring the
    child of this (large) Python process would count its pages copied at fork.
    """
    with tempfile.NamedTemporaryFile("r") as peak:
        began = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        elapsed = time.perf_counter() - began
        kilobytes = int(peak.read().strip().splitlines()[-1])
    return elapsed, kilobytes / 1024, proc.returncode


def start_lab(size: int, seed: int, directory: Path) -> subprocess.Popen[str]:
    cmd = [
        str(ROOT / ".venv/bin/rempart"),
        "lab",
        "--size",
        str(size),
        "--seed",
        str(seed),
        "--dir",
        str(directory),
    ]
    lab = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert lab.stdout is not None
    first = lab.stdout.readline()
    if not first.startswith("lab ready"):
        lab.kill()
        sys.exit(f"the lab did not start: {first}{lab.stdout.read()}")
    print(first.strip(), flush=True)
    return lab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rempart-bench-"))
    lab = start_lab(args.size, args.seed, work / "lab")
    (work / "lab" / "seed").write_text(str(args.seed))
    try:
        runs = run_all(args, work)
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=30)
    report(runs, args)


def run_all(args: argparse.Namespace, work: Path) -> list[Run]:
    labdir = work / "lab"
    truth = json.loads((labdir / "ground-truth.json").read_text())
    expected = {(b["domain"], c) for b in truth["businesses"] for c in b["fail"]}
    n = len(truth["businesses"])
    out = work / "rempart.json"
    secs, mb, code = measure(
        [
            str(ROOT / ".venv/bin/rempart"),
            "scan",
            "--lab",
            "--resolver",
            RESOLVER,
            "--ca-file",
            str(labdir / "ca.pem"),
            "-f",
            str(labdir / "targets.txt"),
            "--json",
            str(out),
            "-q",
        ]
    )
    ours = peers.rempart_findings(json.loads(out.read_text()))
    all_ids = frozenset(c for b in truth["businesses"] for c in b["fail"] + b["pass"])
    r, fa = peers.recall(expected, ours, all_ids)
    runs = [Run("rempart (all families)", secs, mb, n, r, fa, len(all_ids), r, code)]
    if not args.skip_peers:
        runs += run_peers(truth, labdir, work, expected, ours)
    return runs


def run_peers(truth: dict, labdir: Path, work: Path, expected: set, ours: set) -> list[Run]:
    n = len(truth["businesses"])
    web = [b for b in truth["businesses"] if "tls.missing" in b["pass"]]
    targets = work / "sslyze-targets.txt"
    targets.write_text("".join(f"{b['domain']}:443{{{b['address']}}}\n" for b in web))
    runs = []
    sslyze_json = work / "sslyze.json"
    secs, mb, code = measure(
        [
            str(PEERS / "sslyze/bin/sslyze"),
            "--targets_in",
            str(targets),
            "--quiet",
            "--certinfo_ca_file",
            str(labdir / "ca.pem"),
            "--json_out",
            str(sslyze_json),
        ]
    )
    found = peers.sslyze_findings(json.loads(sslyze_json.read_text()))
    runs.append(_peer("sslyze (TLS)", secs, mb, n, code, expected, found, ours, peers.SSLYZE_IDS))
    # The lab plays SSL 2/3, weak suites, Heartbleed… with a front that answers hellos but
    # never completes a handshake (no OpenSSL 3 can); sslyze needs complete handshakes, so
    # also judge it on the businesses served by a real OpenSSL stack only.
    real = real_stack_domains(len(truth["businesses"]), seed_of(labdir))
    subset = runs[-1]
    sub_r, sub_fa = peers.recall(
        {f for f in expected if f[0] in real}, {f for f in found if f[0] in real}, peers.SSLYZE_IDS
    )
    ours_r, _ = peers.recall(
        {f for f in expected if f[0] in real}, {f for f in ours if f[0] in real}, peers.SSLYZE_IDS
    )
    runs.append(
        Run(
            f"  same, {len(real)} real-stack sites",
            subset.seconds,
            subset.peak_mb,
            n,
            sub_r,
            sub_fa,
            len(peers.SSLYZE_IDS),
            ours_r,
            subset.exit_code,
        )
    )
    addresses = {b["address"]: b["domain"] for b in truth["businesses"]}
    nmap_xml = work / "nmap.xml"
    secs, mb, code = measure(
        ["nmap", "-sT", "-Pn", "-n", "-p", PORTS, "-oX", str(nmap_xml), *addresses]
    )
    found = peers.nmap_findings(nmap_xml.read_text(), addresses)
    runs.append(_peer("nmap -sT (ports)", secs, mb, n, code, expected, found, ours, peers.NMAP_IDS))
    cd_json = work / "checkdmarc.json"
    secs, mb, code = measure(
        [
            str(PEERS / "checkdmarc/bin/checkdmarc"),
            str(labdir / "targets.txt"),
            "-n",
            RESOLVER,
            "-o",
            str(cd_json),
        ]
    )
    found = peers.checkdmarc_findings(json.loads(cd_json.read_text()))
    runs.append(
        _peer(
            "checkdmarc (SPF, DMARC)",
            secs,
            mb,
            n,
            code,
            expected,
            found,
            ours,
            peers.CHECKDMARC_IDS,
        )
    )
    return runs


def seed_of(labdir: Path) -> int:
    return int((labdir / "seed").read_text())


def real_stack_domains(size: int, seed: int) -> set[str]:
    from rempart.lab.profiles import generate
    from rempart.lab.tlsserver import needs_front

    return {b.domain for b in generate(size, seed) if not needs_front(b.tls)}


def _peer(tool, secs, mb, n, code, expected, found, ours, ids) -> Run:
    r, fa = peers.recall(expected, found, ids)
    ours_r, _ = peers.recall(expected, ours, ids)
    return Run(tool, secs, mb, n, r, fa, len(ids), ours_r, code)


def report(runs: list[Run], args: argparse.Namespace) -> None:
    print(f"\nlab: {args.size} businesses, seed {args.seed}")
    print(
        f"{'tool':26} {'wall s':>8} {'biz/s':>8} {'peak MB':>8} {'recall':>7} "
        f"{'false+':>6} {'rempart recall, same ids':>25}"
    )
    for r in runs:
        print(
            f"{r.tool:26} {r.seconds:8.2f} {r.businesses / r.seconds:8.1f} {r.peak_mb:8.1f} "
            f"{r.recall:7.3f} {r.false_alarms:6d} {r.rempart_recall_same_ids:25.3f}"
            + (f"  (exit {r.exit_code})" if r.exit_code else "")
        )
    summary: dict[str, object] = {
        "size": args.size,
        "seed": args.seed,
        "runs": [asdict(r) for r in runs],
    }
    if len(runs) > 1:
        peers_time = sum(r.seconds for r in runs[1:] if not r.tool.startswith(" "))
        ratio = peers_time / runs[0].seconds
        print(
            f"\npeers' summed time {peers_time:.2f} s / rempart {runs[0].seconds:.2f} s "
            f"= {ratio:.1f}x (rempart also runs the web, mail-transport, DNS and banner "
            "checks no peer here does)"
        )
        summary["speedup_vs_peers_sum"] = ratio
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
