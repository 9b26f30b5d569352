"""``rempart import`` and ``rempart feeds``, as an operator types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.cli.main import main
from rempart.web.findings.models import Finding
from rempart.web.imports.models import Import, ImportStatus

DATA = Path(__file__).resolve().parents[2] / "data"
NMAP = DATA / "reports-lab" / "nmap" / "lab-brief-ports.xml"


def test_check_reads_a_report_without_a_database(capsys):
    assert main(["import", "--check", str(NMAP)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lab-brief-ports.xml: nmap-xml (nmap 7.93), ")
    assert "12 targets" in out


def test_check_says_where_a_broken_report_broke(tmp_path, capsys):
    cut = tmp_path / "cut.xml"
    cut.write_bytes(NMAP.read_bytes()[:5000])
    assert main(["import", "--check", str(cut)]) == 1
    err = capsys.readouterr().err
    assert "cut.xml: line" in err and "Traceback" not in err


@pytest.mark.django_db
def test_import_runs_the_job_here_and_summarises(world, settings, tmp_path, capsys):
    settings.IMPORTS_DIR = tmp_path / "imports"
    code = main(["import", str(NMAP), "--org", world.org_a.siren, "--scope", "lab network"])
    assert code == 0
    report = Import.objects.get()
    assert (report.status, report.scope, report.tool) == (ImportStatus.DONE, "lab network", "nmap")
    assert report.counts["opened"] == Finding.objects.filter(organisation=world.org_a).count() > 0
    assert main(["import", str(NMAP), "--org", "no such business"]) == 2


@pytest.mark.django_db
def test_feeds_status_lists_the_snapshot(capsys):
    assert main(["feeds", "status"]) == 0
    out = capsys.readouterr().out
    assert "kev: " in out and "osv:PyPI: " in out
