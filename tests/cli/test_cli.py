"""The CLI as a user meets it: clear one-line errors, no traceback, documented exit codes."""

import json
import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from rempart.cli.main import main


def run_cli(*args, stdin="", timeout=60):
    proc = subprocess.run(
        [sys.executable, "-m", "rempart.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_an_unknown_check_is_a_usage_error_without_traceback():
    code, _, err = run_cli("scan", "example.fr", "--checks", "tls,nope")
    assert code == 2
    assert "unknown check or family: 'nope'" in err
    assert "Traceback" not in err


def test_junk_lines_are_reported_and_a_list_of_only_junk_is_refused():
    code, _, err = run_cli("scan", "-f", "-", stdin="not a target!\n\n# nothing\nftp://x.fr\n")
    assert code == 2
    assert "line 1" in err and "line 4" in err and "no valid target" in err


def test_a_private_ip_target_is_refused_before_any_traffic():
    code, _, err = run_cli("scan", "10.0.0.1", "192.168.1.1")
    assert code == 2
    assert "private address" in err
    assert "Traceback" not in err


def test_loopback_is_refused_without_lab_mode():
    code, _, err = run_cli("scan", "127.0.0.1")
    assert code == 2 and "lab mode allows 127.0.0.0/8 only" in err


def test_a_bad_resolver_is_a_usage_error():
    code, _, err = run_cli("scan", "example.fr", "--resolver", "dns.example:53")
    assert code == 2 and "--resolver expects IP[:PORT]" in err


def test_a_missing_ca_file_is_a_usage_error(tmp_path):
    code, _, err = run_cli("scan", "example.fr", "--ca-file", str(tmp_path / "none.pem"))
    assert code == 2 and "no such file" in err


def test_help_lists_the_commands():
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0


def _lab_ports_free() -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.53.0.1", 53))
        except OSError:
            return False
    return True


@pytest.mark.lab
@pytest.mark.own_lab
def test_demo_builds_a_center_scans_through_the_jobs_and_serves_the_portal(tmp_path):
    # Runs before the session lab starts (the own_lab marker, tests/conftest.py); if a lab
    # already holds the addresses, the demo cannot start its own.
    if os.geteuid() != 0:
        pytest.skip("LAB TEST SKIPPED: the demo's lab binds ports below 1024 (run as root)")
    if not _lab_ports_free():
        pytest.skip("LAB TEST SKIPPED: another lab holds 127.53.0.1:53")
    out = tmp_path / "demo"
    port = _free_port()
    code, stdout, err = run_cli(
        "demo", "--size", "8", "--out", str(out), "--port", str(port), "--no-serve", timeout=300
    )
    assert code == 0, stdout + err
    assert "Traceback" not in err
    assert "Boulangerie" in stdout
    assert f"http://127.0.0.1:{port}/" in stdout and "dirigeant@" in stdout
    assert "8 businesses; 8 proved control" in " ".join(stdout.split())
    db = sqlite3.connect(out / "center" / "rempart.sqlite3")
    statuses = dict(db.execute("select status, count(*) from scans_scan group by status"))
    assert sum(statuses.values()) == 8
    assert set(statuses) <= {"done", "partial"}, statuses
    grades = [g for (g,) in db.execute("select grade from scans_scan")]
    assert all(g in "ABCDE" and g for g in grades)
    (findings,) = db.execute("select count(*) from findings_finding").fetchone()
    assert findings > 8
    assert (out / "lab" / "ground-truth.json").is_file()
    # The first business's software inventory went through an import job.
    (status, components) = db.execute("select status, counts from imports_import").fetchone()
    assert status == "done" and '"vulnerable_components": 0' not in components
    assert "known vulnerabilities to fix" in " ".join(stdout.split())
    vulns = db.execute("select count(*) from findings_finding where check_id like 'vuln.%'")
    assert vulns.fetchone()[0] > 5
    _assert_demo_diagnostics_and_report(db, out, stdout)


def _assert_demo_diagnostics_and_report(db, out, stdout):
    # The diagnostic: one business left a draft, one never started, the others submitted
    # theirs and have a maturity index.
    assessments = db.execute('select status, "index" from diagnostic_assessment').fetchall()
    statuses = [status for status, _ in assessments]
    assert statuses.count("draft") == 1 and statuses.count("submitted") == 6, statuses
    assert all(0 <= index <= 5 for status, index in assessments if status == "submitted")
    (started,) = db.execute(
        "select count(distinct organisation_id) from diagnostic_assessment"
    ).fetchone()
    assert started == 7  # the eighth did not start
    sources = dict(db.execute("select source, count(*) from diagnostic_actionitem group by source"))
    assert sources.get("answer", 0) > 0 and sources.get("finding", 0) > 0, sources
    # The first business's French report, made by the served worker, signed.
    reports = db.execute(
        "select r.status, r.lang, r.pdf_path, r.pages, r.attestation_id, o.name from "
        "reports_report r join orgs_organisation o on o.id = r.organisation_id"
    ).fetchall()
    assert len(reports) == 1, reports
    status, lang, pdf_path, pages, serial, name = reports[0]
    assert (status, lang) == ("done", "fr") and pages >= 2 and serial
    assert f"Report of {name}" in stdout
    pdf = out / "center" / "reports" / pdf_path
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert f"PDF: {pdf}" in stdout and f"rempart verify {pdf}" in stdout
    env = {
        **os.environ,
        "REMPART_DATA_DIR": str(out / "center"),
        "DJANGO_SETTINGS_MODULE": "rempart.web.settings",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "rempart.cli.main", "verify", str(pdf)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("valid:") and name in proc.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.lab
def test_scan_of_lab_businesses_writes_json_and_sarif_and_honours_fail_on(lab, tmp_path):
    domains = [b["domain"] for b in lab.truth["businesses"][:3]]
    out, sarif = tmp_path / "r.json", tmp_path / "r.sarif"
    code, stdout, err = run_cli(
        "scan",
        "--lab",
        "--resolver",
        "127.53.0.1",
        "--ca-file",
        str(lab.ca_file),
        "--checks",
        "mail,dns",
        "--json",
        str(out),
        "--sarif",
        str(sarif),
        "--fail-on",
        "info",
        *domains,
        domains[0],
    )
    assert "Traceback" not in err
    doc = json.loads(out.read_text())
    assert [t["target"] for t in doc["targets"]] == domains  # the duplicate scanned once
    for target in doc["targets"]:
        for obs in target["observations"]:
            assert set(obs) >= {"check", "status", "severity", "location", "evidence", "references"}
            assert obs["check"].startswith(("mail.", "dns."))
    any_fail = any(o["status"] == "fail" for t in doc["targets"] for o in t["observations"])
    assert code == (1 if any_fail else 0)
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0"
    fails = sum(o["status"] == "fail" for t in doc["targets"] for o in t["observations"])
    assert len(log["runs"][0]["results"]) == fails
    assert "exposure summary" in stdout
