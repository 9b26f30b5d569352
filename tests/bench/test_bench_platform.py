"""The platform benchmarks cannot rot: a tiny center is seeded, served by ``rempart serve``,
its owners and analyst log in through the real forms, and wrk drives every page."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_a_tiny_center_is_seeded_served_and_every_page_answers_200_under_load(tmp_path):
    out = tmp_path / "platform.json"
    cmd = [sys.executable, "bench/platform_pages.py", "--orgs", "5", "--findings", "10"]
    cmd += ["--scans", "2", "--users", "5", "--levels", "5", "--duration", "2", "--warmup", "0"]
    cmd += ["--think", "0.2"]
    done = subprocess.run(
        [*cmd, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())["pages_sqlite"]
    rows = result["rows"]
    assert rows["Organisation"] == 5 and rows["Membership"] == 5
    assert rows["User"] == 6  # five owners and the analyst
    assert rows["Finding"] == 5 * 10 and rows["Scan"] == 5 * 2 and rows["Asset"] == 5 * 3
    loads = {load["page"]: load for load in result["loads"]}
    assert set(loads) == {"dashboard", "findings", "center"}
    assert loads["dashboard"]["connections"] == 5 and loads["center"]["connections"] == 1
    for load in loads.values():
        assert load["requests"] >= 20
        assert load["statuses"] == {"200": load["requests"]}, load
        assert not any(load["errors"].values()), load
        assert 0 < load["p50_ms"] <= load["p95_ms"] <= load["max_ms"]
    for page in ("dashboard", "findings", "center"):
        assert result["in_process"][page]["queries"] > 0
    thinking = {u["page"]: u for u in result["users_with_think_time"]}
    assert set(thinking) == {"dashboard", "findings"}
    for users in thinking.values():
        assert users["users"] == 5 and users["requests"] >= 10 and users["non_200"] == 0
        assert 0 < users["p50_ms"] <= users["p95_ms"] <= users["max_ms"]


@pytest.mark.lab
def test_a_campaign_through_the_workers_finds_what_the_engine_alone_finds(lab, tmp_path):
    out = tmp_path / "platform.json"
    cmd = [sys.executable, "bench/platform_scan.py", "--lab-dir", str(lab.directory)]
    cmd += ["--batch", "50", "--timeout", "180", "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=280)

    assert done.returncode == 0, done.stdout + done.stderr
    (entry,) = json.loads(out.read_text()).values()
    size = len(lab.truth["businesses"])
    run, engine = entry["platform"], entry["engine_before"]
    assert entry["size"] == size
    assert run["verified"] == size  # every business proved control with its TXT record
    assert run["scans"] == size and sum(run["statuses"].values()) == size
    assert set(run["statuses"]) <= {"done", "partial"}
    assert (run["recall"], run["false_alarms"]) == (engine["recall"], engine["false_alarms"])
    assert run["seconds"] > 0 and entry["ratio"] == run["seconds"] / min(
        engine["seconds"], entry["engine_after"]["seconds"]
    )
