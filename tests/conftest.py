"""Shared fixtures: the lab as a real process, as a user would start it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

LAB_SIZE = int(os.environ.get("REMPART_TEST_LAB_SIZE", "100"))
LAB_SEED = int(os.environ.get("REMPART_TEST_LAB_SEED", "7"))


def pytest_collection_modifyitems(config, items):
    """Tests that start a lab of their own run first, before the session lab holds the
    addresses (only one lab can run on a machine)."""
    items.sort(key=lambda item: item.get_closest_marker("own_lab") is None)


@dataclass
class RunningLab:
    directory: Path
    ca_file: Path
    truth: dict
    resolver: tuple[str, int] = ("127.53.0.1", 53)


def _can_bind_low_ports() -> str:
    if os.geteuid() == 0:
        return ""
    try:
        start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    except OSError:
        start = 1024
    if start <= 25:
        return ""
    return (
        "the lab binds ports 25-445 on 127.x.y.z: run the tests as root or set "
        "net.ipv4.ip_unprivileged_port_start=0"
    )


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> RunningLab:
    reason = _can_bind_low_ports()
    if reason:
        pytest.skip(f"LAB TESTS SKIPPED: {reason}")
    directory = tmp_path_factory.mktemp("lab")
    cmd = [
        sys.executable,
        "-m",
        "rempart.cli.main",
        "lab",
        "--size",
        str(LAB_SIZE),
        "--seed",
        str(LAB_SEED),
        "--dir",
        str(directory),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    output = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        if line.startswith("lab ready"):
            break
    else:
        proc.kill()
    if not output or not output[-1].startswith("lab ready"):
        proc.kill()
        pytest.fail("the lab did not start:\n" + "".join(output))
    truth = json.loads((directory / "ground-truth.json").read_text())
    yield RunningLab(directory, directory / "ca.pem", truth)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the lab did not stop within 15 s of SIGTERM")
