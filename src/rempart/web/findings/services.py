"""Fold a scan's observations into findings; triage decisions by people (design.md §6).

Invariants:
- one finding per fingerprint and organisation (a unique constraint, so even two workers
  writing the same results at once cannot duplicate one);
- automation moves open/reopened → fixed → reopened, and never touches a human decision
  (accepted risk, false positive); an accepted risk returns to open only at the expiry the
  person chose;
- a check that ended in error proves nothing: its open findings stay open;
- history is appended, never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.engine.catalog import CATALOG
from rempart.web.findings.models import (
    ACTIVE_STATUSES,
    HUMAN_STATUSES,
    SEVERITY_RANK,
    EventKind,
    Finding,
    FindingEvent,
    FindingStatus,
)
from rempart.web.findings.policy import due_date, fingerprint, is_known_exploited
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Organisation

SOURCE = "rempart"


@dataclass(frozen=True, slots=True)
class FoldSummary:
    opened: int
    reopened: int
    fixed: int
    seen: int


def _title(check_id: str) -> str:
    spec = CATALOG.get(check_id)
    return spec.title if spec else check_id


def _merge(observations: Iterable[dict], org_id: object, asset_key: str) -> dict[str, dict]:
    """Failures grouped by fingerprint; the worst severity and all evidence kept."""
    merged: dict[str, dict] = {}
    for obs in observations:
        if obs.get("status") != "fail":
            continue
        fp = fingerprint(org_id, asset_key, obs["check"], obs.get("location", ""))
        current = merged.get(fp)
        if current is None:
            merged[fp] = dict(obs)
            continue
        if SEVERITY_RANK.get(obs["severity"], 0) > SEVERITY_RANK.get(current["severity"], 0):
            current["severity"] = obs["severity"]
        if obs.get("evidence") and obs["evidence"] not in current.get("evidence", ""):
            current["evidence"] = (current.get("evidence", "") + "\n" + obs["evidence"]).strip()
    return merged


def completed_checks(observations: Iterable[dict]) -> set[str]:
    """Checks that gave a verdict everywhere they ran (no error, not skipped)."""
    verdict: set[str] = set()
    unsure: set[str] = set()
    for obs in observations:
        if obs.get("status") in ("pass", "fail"):
            verdict.add(obs["check"])
        elif obs.get("status") == "error":
            unsure.add(obs["check"])
    return verdict - unsure


def _new_finding(scan, fp: str, obs: dict, now: datetime, passive: bool, enrich) -> Finding:
    references = list(obs.get("references", []))
    facts = enrich(references)
    kev = facts["known_exploited"] or is_known_exploited(
        obs["check"], obs.get("evidence", ""), references
    )
    return Finding(
        organisation_id=scan.organisation_id,
        asset_id=scan.asset_id,
        fingerprint=fp,
        check_id=obs["check"],
        location=obs.get("location", "")[:500],
        title=_title(obs["check"]),
        severity=obs["severity"],
        severity_rank=SEVERITY_RANK.get(obs["severity"], 0),
        known_exploited=kev,
        passive=passive,
        evidence=obs.get("evidence", ""),
        references=references,
        sources=[SOURCE],
        cves=list(facts["cves"]),
        cve_ids=facts["cve_ids"],
        ransomware=facts["ransomware"],
        epss=facts["epss"],
        cvss=facts["cvss"],
        first_seen=now,
        last_seen=now,
        due_date=due_date(obs["severity"], kev, now.date()),
    )


@transaction.atomic
def do_fold_observations(scan, observations: list[dict], *, passive: bool) -> FoldSummary:
    """Apply one finished scan of one asset to the organisation's findings."""
    from rempart.web.imports.services import Enricher, record_scan_banners

    now = scan.finished_at or timezone.now()
    # One fold per organisation at a time (imports take the same lock).
    Organisation.objects.select_for_update().filter(pk=scan.organisation_id).first()
    merged = _merge(observations, scan.organisation_id, str(scan.asset_id))
    enrich = Enricher()
    existing = {
        f.fingerprint: f
        for f in Finding.objects.select_for_update().filter(
            organisation_id=scan.organisation_id, fingerprint__in=list(merged)
        )
    }
    fresh = [
        _new_finding(scan, fp, obs, now, passive, enrich)
        for fp, obs in merged.items()
        if fp not in existing
    ]
    Finding.objects.bulk_create(fresh, ignore_conflicts=True)
    created = set(Finding.objects.filter(pk__in=[f.pk for f in fresh]).values_list("pk", flat=True))
    events = [
        FindingEvent(finding_id=pk, at=now, kind=EventKind.OPENED, to_status="open", scan=scan)
        for pk in created
    ]
    reopened = 0
    for fp, finding in existing.items():
        obs = merged[fp]
        finding.last_seen = max(finding.last_seen, now)
        finding.evidence = obs.get("evidence", "") or finding.evidence
        if SOURCE not in finding.sources:
            finding.sources = [*finding.sources, SOURCE]
        if finding.status == FindingStatus.FIXED:
            reopened += 1
            finding.status = FindingStatus.REOPENED
            finding.times_reopened += 1
            finding.fixed_at = None
            finding.due_date = due_date(finding.severity, finding.known_exploited, now.date())
            events.append(_event(finding, now, EventKind.REOPENED, "fixed", "reopened", scan))
    # One UPDATE per batch, not one per finding: a rescan touches every finding it sees again.
    Finding.objects.bulk_update(
        existing.values(),
        ["last_seen", "evidence", "sources", "status", "times_reopened", "fixed_at", "due_date"],
    )
    fixed = _fix_missing(scan, observations, set(merged), now, events)
    FindingEvent.objects.bulk_create(events, ignore_conflicts=True)
    record_scan_banners(scan, observations)
    _sync_plan_after_commit(scan.organisation_id)
    return FoldSummary(len(created), reopened, fixed, len(existing) - reopened)


def _fix_missing(scan, observations, failing: set[str], now: datetime, events: list) -> int:
    done = completed_checks(observations)
    gone = (
        Finding.objects.select_for_update()
        .filter(
            organisation_id=scan.organisation_id,
            asset_id=scan.asset_id,
            status__in=ACTIVE_STATUSES,
            check_id__in=done,
        )
        .exclude(fingerprint__in=failing)
    )
    fixed: list[Finding] = []
    for finding in gone:
        if SOURCE not in finding.sources:
            continue  # only what rempart saw can be declared gone by rempart
        events.append(_event(finding, now, EventKind.FIXED, finding.status, "fixed", scan))
        finding.status = FindingStatus.FIXED
        finding.fixed_at = now
        fixed.append(finding)
    Finding.objects.bulk_update(fixed, ["status", "fixed_at"])
    return len(fixed)


def _event(finding, at, kind, from_status, to_status, scan=None, actor=None, note=""):
    return FindingEvent(
        finding=finding,
        at=at,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        scan=scan,
        actor=actor,
        note=note,
    )


# -- triage by people ------------------------------------------------------------------------


class TriageError(ValueError):
    """A triage request that breaks a rule; the message is for the user (translated)."""


@transaction.atomic
def do_accept_risk(finding: Finding, actor, reason: str, until: date) -> Finding:
    _check_undecided(finding)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise TriageError(_("Explain in one sentence why this risk is accepted."))
    today = timezone.localdate()
    if until <= today:
        raise TriageError(_("The expiry date must be in the future."))
    if (until - today).days > 366:
        raise TriageError(_("A risk is accepted for one year at most; it is reviewed then."))
    return _triage(finding, actor, FindingStatus.ACCEPTED, reason, until, AuditAction.RISK_ACCEPTED)


@transaction.atomic
def do_mark_false_positive(finding: Finding, actor, reason: str) -> Finding:
    _check_undecided(finding)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise TriageError(_("Explain in one sentence why this is a false positive."))
    return _triage(
        finding, actor, FindingStatus.FALSE_POSITIVE, reason, None, AuditAction.FALSE_POSITIVE
    )


@transaction.atomic
def do_revert_triage(finding: Finding, actor, note: str = "") -> Finding:
    """A person takes back their decision: the finding is open again (new due date).

    Only a person's decision can be taken back; the scanner's verdicts follow the scans.
    """
    if finding.status not in HUMAN_STATUSES:
        raise TriageError(_("There is no decision to revert on this finding."))
    return _triage(finding, actor, FindingStatus.OPEN, note, None, AuditAction.TRIAGE_REVERTED)


def _check_undecided(finding: Finding) -> None:
    if finding.status in HUMAN_STATUSES:
        raise TriageError(_("A decision is already recorded: revert it first."))


def _triage(finding, actor, status, reason, until, action) -> Finding:

    now = timezone.now()
    kind = {
        FindingStatus.ACCEPTED: EventKind.ACCEPTED,
        FindingStatus.FALSE_POSITIVE: EventKind.FALSE_POSITIVE,
        FindingStatus.OPEN: EventKind.TRIAGE_REVERTED,
    }[status]
    previous = finding.status
    finding.status = status
    finding.triage_reason = reason
    finding.accepted_until = until
    finding.triaged_by = actor
    finding.triaged_at = now
    if status == FindingStatus.OPEN:
        finding.due_date = due_date(finding.severity, finding.known_exploited, now.date())
    finding.save()
    FindingEvent.objects.create(
        finding=finding,
        at=now,
        kind=kind,
        from_status=previous,
        to_status=status,
        actor=actor,
        note=reason,
    )
    audit(
        action,
        actor=actor,
        organisation=finding.organisation,
        obj=finding,
        check=finding.check_id,
        reason=reason,
        until=until or "",
    )
    _sync_plan_after_commit(finding.organisation_id)
    return finding


def _sync_plan_after_commit(organisation_id: object) -> None:
    """The action plan follows the findings: its items close or reopen (issue 5)."""
    from rempart.web.diagnostic.planning import sync_plan_later

    sync_plan_later(organisation_id)


@transaction.atomic
def do_expire_acceptances(today: date | None = None) -> int:
    """Accepted risks past their expiry are open again: the person's own deadline, not a
    verdict of the scanner."""
    today = today or timezone.localdate()
    now = timezone.now()
    count = 0
    for finding in Finding.objects.select_for_update().filter(
        status=FindingStatus.ACCEPTED, accepted_until__lt=today
    ):
        finding.status = FindingStatus.OPEN
        finding.due_date = due_date(finding.severity, finding.known_exploited, today)
        finding.save(update_fields=["status", "due_date"])
        FindingEvent.objects.create(
            finding=finding,
            at=now,
            kind=EventKind.ACCEPTANCE_EXPIRED,
            from_status="accepted",
            to_status="open",
        )
        count += 1
    return count
