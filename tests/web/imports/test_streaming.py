"""The report is read by a child process while this one writes: still all or nothing, merges
of later duplicates and the report's own scan time are right, with or without the fork.

The Nuclei lines are written here by hand after nuclei's JSON-lines output (the fields of
``nuclei -jsonl``: template-id, info, type, host, matched-at, ip, timestamp)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from rempart.web.findings.models import Finding, FindingEvent
from rempart.web.imports import fold
from rempart.web.imports.models import ImportStatus
from tests.web.imports.conftest import import_bytes, state

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _line(n: int, *, at: datetime, severity: str = "medium", template: str = "exposed-panel"):
    return json.dumps(
        {
            "template-id": template,
            "info": {"name": f"{template} panel", "severity": severity},
            "type": "http",
            "host": f"https://h{n}.example.fr",
            "matched-at": f"https://h{n}.example.fr/admin",
            "ip": f"192.0.2.{n % 250}",
            "timestamp": at.isoformat(),
            "extracted-results": [f"v{severity}"],
        }
    ).encode()


def _report(count: int, *, start: datetime = T0) -> bytes:
    return b"\n".join(_line(n, at=start + timedelta(seconds=n)) for n in range(count)) + b"\n"


@pytest.fixture(params=[True, False], ids=["fork", "in-process"])
def fork(request, monkeypatch):
    monkeypatch.setattr(fold, "FORK", request.param)
    return request.param


def test_a_report_cut_near_its_end_writes_nothing_although_rows_were_already_sent(world, fork):
    # More new findings than one message holds: batches were inserted before the bad line.
    lines = _report(2 * fold.ROWS_PER_MESSAGE + 100)
    before = state(world.org_a)
    broken = import_bytes(world.org_a, lines[:-40], "cut.jsonl")
    assert broken.status == ImportStatus.FAILED
    assert broken.error.startswith(f"cut.jsonl: line {2 * fold.ROWS_PER_MESSAGE + 100}: ")
    assert "Traceback" not in broken.error
    assert state(world.org_a) == before
    assert not Finding.objects.filter(organisation=world.org_a).exists()
    assert not FindingEvent.objects.filter(report_id=broken.pk).exists()


def test_a_failure_in_the_reader_is_an_internal_error_and_writes_nothing(world, fork, monkeypatch):
    real_add = fold.Planner.add
    calls = [0]

    def add(self, obs):
        calls[0] += 1
        if calls[0] > fold.ROWS_PER_MESSAGE + 10:
            raise MemoryError("simulated")
        real_add(self, obs)

    monkeypatch.setattr(fold.Planner, "add", add)
    report = import_bytes(world.org_a, _report(fold.ROWS_PER_MESSAGE + 50), "big.jsonl")
    assert report.status == ImportStatus.FAILED
    assert report.error.startswith("big.jsonl")  # the generic sentence, in French or English
    assert "simulated" not in report.error and "Traceback" not in report.error
    assert not Finding.objects.filter(organisation=world.org_a).exists()


def test_a_later_duplicate_merges_into_the_finding_already_written(world, fork):
    # The same template at the same place twice: the second, worse result comes after a
    # whole message of other findings, so the first one's row was written before it.
    first = _line(0, at=T0 + timedelta(hours=1), severity="low")
    later = _line(0, at=T0 + timedelta(hours=2), severity="high")
    others = [_line(n, at=T0 + timedelta(hours=1)) for n in range(1, fold.ROWS_PER_MESSAGE + 20)]
    # The earliest result is the last line: the report's scan time is only known at its end.
    earliest = _line(9999, at=T0, template="other-panel")
    data = b"\n".join([first, *others, later, earliest]) + b"\n"
    report = import_bytes(world.org_a, data, "dup.jsonl")
    assert report.status == ImportStatus.DONE, report.error
    assert report.counts["merged"] == 1
    assert report.counts["opened"] == report.counts["findings"] == fold.ROWS_PER_MESSAGE + 21
    merged = Finding.objects.get(organisation=world.org_a, location="https://h0.example.fr/admin")
    assert merged.severity == "high"
    assert merged.severity_rank == 3
    assert "vlow" in merged.evidence and "vhigh" in merged.evidence
    assert merged.due_date == timezone.localdate() + timedelta(days=30)  # high: 30 days
    findings = Finding.objects.filter(organisation=world.org_a)
    assert set(findings.values_list("first_seen", flat=True)) == {T0}
    assert set(findings.values_list("last_seen", flat=True)) == {T0}
    events = FindingEvent.objects.filter(report_id=report.pk)
    assert events.count() == report.counts["opened"]
    assert set(events.values_list("at", flat=True)) == {T0}
    # the same file again changes nothing
    again = import_bytes(world.org_a, data, "dup-again.jsonl")
    assert again.status == ImportStatus.DONE
    assert again.counts["opened"] == again.counts["fixed"] == again.counts["reopened"] == 0
    assert FindingEvent.objects.filter(report_id=again.pk).count() == 0


def test_the_fork_and_in_process_paths_store_the_same(world, monkeypatch):
    data = _report(300) + _line(3, at=T0, severity="critical") + b"\n"
    results = []
    for org, forked in ((world.org_a, True), (world.org_b, False)):
        monkeypatch.setattr(fold, "FORK", forked)
        report = import_bytes(org, data, "same.jsonl")
        assert report.status == ImportStatus.DONE, report.error
        rows = Finding.objects.filter(organisation=org).values_list(
            "check_id", "location", "severity", "evidence", "first_seen", "due_date", "scopes"
        )
        results.append((sorted(rows), dict(report.counts)))
    assert results[0] == results[1]


def test_an_import_leaves_the_garbage_collector_as_it_found_it(world):
    # quiet_collector freezes what exists and spaces out collections during an import only.
    import gc

    from rempart.web.imports.fold import quiet_collector

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    with quiet_collector():
        assert gc.get_threshold()[0] >= 70_000
        assert gc.get_freeze_count() > 0
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
    with pytest.raises(RuntimeError), quiet_collector():
        raise RuntimeError("an import that fails")
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
