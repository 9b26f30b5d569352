"""Every sample report of every format: imported as a job, then imported again unchanged.

The samples are real tool output (tests/data/reports: DefectDojo's test suite, BSD-3;
tests/data/reports-lab: nmap, testssl.sh and sslyze run against the lab) or written by hand
after the format's published schema (tests/data/reports-handmade, each with its README).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rempart.engine.model import Status
from rempart.importers import ReportError, read_path
from rempart.web.findings.models import Finding
from rempart.web.imports.models import ImportStatus
from tests.web.imports.conftest import import_file, state

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLES = sorted(
    p
    for folder in ("reports", "reports-lab", "reports-handmade")
    for p in (DATA / folder).rglob("*")
    if p.is_file() and p.suffix != ".md" and not p.name.startswith("ground-truth")
)
# Samples of formats rempart does not read (yet), or reports that are invalid on purpose.
NOT_READ = {
    "reports/generic/generic_empty.json",  # a finding without a title: refused, see its test
    "reports/nuclei/empty.jsonl",  # empty: valid only when the format is named (below)
    "reports/osv_scanner/multi_cwe_fabricated.json",
    "reports/osv_scanner/no_findings.json",
    "reports/osv_scanner/some_findings.json",
    "reports/tenable/nessus_many_vuln2-all.csv",
    "reports/tenable/tenable_many_vuln.csv",
    "reports/wazuh/v4-7_many_findings.json",
    "reports/wazuh/v4-7_no_findings.json",
    "reports/wazuh/v4-7_one_finding.json",
    "reports/wazuh/v4-8_many_findings.json",
}
READ = [p for p in SAMPLES if str(p.relative_to(DATA)) not in NOT_READ]


def test_the_list_of_samples_not_read_is_exact():
    refused = set()
    for path in SAMPLES:
        try:
            read_path(path)
        except ReportError:
            refused.add(str(path.relative_to(DATA)))
    assert refused == NOT_READ
    assert len(READ) >= 60


@pytest.mark.parametrize("path", READ, ids=lambda p: str(p.relative_to(DATA)))
def test_a_report_imported_twice_changes_nothing_the_second_time(world, path):
    info, items = read_path(path)
    failures = {(o.check, o.location) for o in items if getattr(o, "status", None) is Status.FAIL}
    first = import_file(world.org_a, path, world.alice)
    assert first.status == ImportStatus.DONE, first.error
    assert first.format == info.format
    stored = Finding.objects.filter(organisation=world.org_a).count()
    assert stored == first.counts["opened"]
    # Each distinct failure of the report is a finding (several identical ones merge), plus
    # the vulnerabilities rempart's matching finds in the components the report lists.
    kept = set(Finding.objects.filter(organisation=world.org_a).values_list("check_id", "location"))
    assert {(c, loc[:500]) for c, loc in failures} <= kept
    assert stored == first.counts["findings"]
    before = state(world.org_a)
    again = import_file(world.org_a, path, world.alice)
    assert again.status == ImportStatus.DONE, again.error
    assert (again.counts["opened"], again.counts["reopened"], again.counts["fixed"]) == (0, 0, 0)
    assert state(world.org_a) == before


def test_an_empty_nuclei_report_is_a_valid_report_when_its_format_is_named(world):
    report = import_file(world.org_a, DATA / "reports/nuclei/empty.jsonl", format="nuclei-jsonl")
    assert report.status == ImportStatus.DONE, report.error
    assert report.counts["findings"] == 0
