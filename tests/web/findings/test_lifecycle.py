"""The life of a finding: one per fingerprint, open → fixed → reopened, human decisions kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rempart.web.findings.models import EventKind, Finding, FindingEvent, FindingStatus
from rempart.web.findings.policy import due_date, fingerprint
from rempart.web.findings.services import (
    TriageError,
    completed_checks,
    do_accept_risk,
    do_expire_acceptances,
    do_fold_observations,
    do_mark_false_positive,
    do_revert_triage,
)
from rempart.web.orgs.models import AuditAction, AuditEvent
from rempart.web.scans.models import Scan, ScanStatus

SPF = {"check": "mail.spf.missing", "status": "fail", "severity": "high", "location": "a.lab"}
SPF_OK = {**SPF, "status": "pass"}
SPF_ERR = {**SPF, "status": "error", "reason": "DNS timed out"}
SMB = {"check": "net.smb.v1", "status": "fail", "severity": "critical", "location": "1.2.3.4:445"}


def _scan(world, when=None) -> Scan:
    return Scan.objects.create(
        organisation=world.org_a,
        asset=world.asset_a,
        trigger="api",
        mode="active",
        status=ScanStatus.DONE,
        finished_at=when or timezone.now(),
    )


def _only(world) -> Finding:
    (finding,) = Finding.objects.filter(organisation=world.org_a)
    return finding


def test_the_same_problem_seen_twice_is_one_finding(world):
    do_fold_observations(_scan(world), [SPF, dict(SPF, evidence="again")], passive=False)
    do_fold_observations(_scan(world), [SPF], passive=False)
    finding = _only(world)
    assert finding.status == FindingStatus.OPEN
    assert finding.sources == ["rempart"]
    assert finding.events.filter(kind=EventKind.OPENED).count() == 1


def test_writing_one_scans_results_twice_changes_nothing(world):
    scan = _scan(world)
    do_fold_observations(scan, [SPF, SMB], passive=False)
    before = list(FindingEvent.objects.values_list("finding_id", "kind"))
    summary = do_fold_observations(scan, [SPF, SMB], passive=False)
    assert summary.opened == 0
    assert Finding.objects.count() == 2
    assert list(FindingEvent.objects.values_list("finding_id", "kind")) == before


def test_a_finding_no_longer_seen_is_fixed_then_reopened(world):
    start = timezone.now() - timedelta(days=40)
    do_fold_observations(_scan(world, start), [SPF], passive=False)
    do_fold_observations(_scan(world, start + timedelta(days=7)), [SPF_OK], passive=False)
    assert _only(world).status == FindingStatus.FIXED
    later = start + timedelta(days=14)
    do_fold_observations(_scan(world, later), [SPF], passive=False)
    finding = _only(world)
    assert finding.status == FindingStatus.REOPENED
    assert finding.times_reopened == 1
    # The clock restarts: a reopened high finding is due 30 days after it came back.
    assert finding.due_date == later.date() + timedelta(days=30)
    kinds = list(finding.events.values_list("kind", flat=True))
    assert kinds == [EventKind.OPENED, EventKind.FIXED, EventKind.REOPENED]


def test_a_check_that_ended_in_error_proves_nothing(world):
    do_fold_observations(_scan(world), [SPF], passive=False)
    do_fold_observations(_scan(world), [SPF_ERR], passive=False)
    assert _only(world).status == FindingStatus.OPEN
    assert completed_checks([SPF_OK, SPF_ERR]) == set()


def test_a_check_that_did_not_run_proves_nothing(world):
    do_fold_observations(_scan(world), [SPF, SMB], passive=False)
    # A passive scan runs DNS and mail checks only: the SMB finding must stay open.
    do_fold_observations(_scan(world), [SPF_OK], passive=True)
    statuses = dict(Finding.objects.values_list("check_id", "status"))
    assert statuses == {"mail.spf.missing": "fixed", "net.smb.v1": "open"}


def test_due_dates_follow_severity_and_known_exploitation():
    day = timezone.localdate()
    assert due_date("critical", False, day) == day + timedelta(days=15)
    assert due_date("high", False, day) == day + timedelta(days=30)
    assert due_date("medium", False, day) == day + timedelta(days=90)
    assert due_date("low", False, day) == day + timedelta(days=120)
    assert due_date("info", False, day) is None
    assert due_date("low", True, day) == day + timedelta(days=15)


def test_known_exploited_service_is_due_in_15_days(world):
    kev = {
        "check": "net.service.known_exploited",
        "status": "fail",
        "severity": "critical",
        "location": "1.2.3.4:21",
        "evidence": "vsftpd 2.3.4: CVE-2011-2523 (CISA KEV, added 2021-11-03)",
    }
    scan = _scan(world)
    do_fold_observations(scan, [kev], passive=False)
    finding = _only(world)
    assert finding.known_exploited
    assert finding.due_date == scan.finished_at.date() + timedelta(days=15)


def test_fingerprint_ignores_case_and_trailing_dots_but_not_the_asset():
    assert fingerprint("o", "a", "c", "Example.FR.") == fingerprint("o", "a", "c", "example.fr")
    assert fingerprint("o", "a", "c", "x") != fingerprint("o", "b", "c", "x")
    assert fingerprint("o", "a", "c", "x") != fingerprint("p", "a", "c", "x")


def test_accepted_risk_is_never_overturned_by_a_scan(world):
    do_fold_observations(_scan(world), [SPF], passive=False)
    until = timezone.localdate() + timedelta(days=90)
    do_accept_risk(_only(world), world.alice, "Our provider sends mail for us.", until)
    do_fold_observations(_scan(world), [SPF_OK], passive=False)
    do_fold_observations(_scan(world), [SPF], passive=False)
    finding = _only(world)
    assert finding.status == FindingStatus.ACCEPTED
    assert finding.triaged_by == world.alice
    assert AuditEvent.objects.filter(action=AuditAction.RISK_ACCEPTED).count() == 1


def test_false_positive_is_never_overturned_by_a_scan(world):
    do_fold_observations(_scan(world), [SMB], passive=False)
    do_mark_false_positive(_only(world), world.alice, "This address is the provider's honeypot.")
    do_fold_observations(_scan(world), [SMB], passive=False)
    assert _only(world).status == FindingStatus.FALSE_POSITIVE


def test_accepting_a_risk_needs_a_reason_and_a_bounded_future_expiry(world):
    do_fold_observations(_scan(world), [SPF], passive=False)
    finding = _only(world)
    today = timezone.localdate()
    with pytest.raises(TriageError):
        do_accept_risk(finding, world.alice, "", today + timedelta(days=10))
    with pytest.raises(TriageError):
        do_accept_risk(finding, world.alice, "A good enough reason.", today)
    with pytest.raises(TriageError):
        do_accept_risk(finding, world.alice, "A good enough reason.", today + timedelta(days=400))
    assert _only(world).status == FindingStatus.OPEN


def test_an_expired_acceptance_opens_the_finding_again(world):
    do_fold_observations(_scan(world), [SPF], passive=False)
    today = timezone.localdate()
    do_accept_risk(
        _only(world), world.alice, "Temporary: migration in progress.", today + timedelta(days=5)
    )
    assert do_expire_acceptances(today + timedelta(days=6)) == 1
    finding = _only(world)
    assert finding.status == FindingStatus.OPEN
    assert finding.events.last().kind == EventKind.ACCEPTANCE_EXPIRED


def test_reverting_a_decision_opens_with_a_new_due_date_and_keeps_history(world):
    do_fold_observations(_scan(world), [SPF], passive=False)
    do_mark_false_positive(_only(world), world.alice, "We think the scanner is wrong here.")
    do_revert_triage(_only(world), world.alice, "It was real after all.")
    finding = _only(world)
    assert finding.status == FindingStatus.OPEN
    assert list(finding.events.values_list("kind", flat=True)) == [
        EventKind.OPENED,
        EventKind.FALSE_POSITIVE,
        EventKind.TRIAGE_REVERTED,
    ]


def test_another_organisation_with_the_same_problem_has_its_own_finding(world):
    do_fold_observations(_scan(world), [SPF], passive=False)
    other = Scan.objects.create(
        organisation=world.org_b,
        asset=world.asset_b,
        trigger="api",
        mode="active",
        status=ScanStatus.DONE,
        finished_at=timezone.now(),
    )
    do_fold_observations(other, [SPF], passive=False)
    assert Finding.objects.filter(organisation=world.org_b).count() == 1
    assert Finding.objects.filter(organisation=world.org_a).count() == 1
