"""The action plan: answers checked against findings, one merged list, items that close and
reopen by themselves, and what people do with an item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rempart.web.diagnostic import services
from rempart.web.diagnostic.models import ActionItem, ActionStatus
from rempart.web.findings.models import FindingStatus
from rempart.web.findings.services import do_mark_false_positive
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.portal.factories import save_finding


def _answer(org, user, answers):
    draft = services.start_or_resume(org, user)
    services.save_answers(draft, user, answers)
    return draft


def _lab_like_findings(org, asset):
    """What the lab's weakest business shows: RDP open to the internet, no DMARC."""
    rdp = save_finding(
        org, asset, check_id="net.exposed.rdp", severity="high", location="203.0.113.7:3389"
    )
    dmarc = save_finding(
        org, asset, check_id="mail.dmarc.missing", severity="medium", location=asset.name
    )
    return rdp, dmarc


def test_answers_contradicted_by_findings_are_detected_and_the_evidence_wins(world, questionnaire):
    rdp, dmarc = _lab_like_findings(world.org_a, world.asset_a)
    _answer(world.org_a, world.alice, {"access.remote_mfa": "yes", "mail.protected": "yes"})

    maturity = services.maturity_of(world.org_a)

    found = {hit.rule.id: hit.findings for hit in maturity.contradictions}
    assert found == {"mfa_but_rdp": (str(rdp.pk),), "mail_but_no_dmarc": (str(dmarc.pk),)}
    # RDP open raises its red flag whatever the answers: it is shown and caps the index.
    assert [hit.flag.id for hit in maturity.red_flags] == ["rdp_exposed"]
    rows = services.plan_for(world.org_a, "en")
    mfa = next(r for r in rows if r.action.key == "q:access.remote_mfa")
    assert mfa.action.contradiction == "You say MFA but RDP is open."


def test_the_plan_merges_answer_gaps_find_outs_and_findings(world, questionnaire):
    rdp, _dmarc = _lab_like_findings(world.org_a, world.asset_a)
    save_finding(world.org_a, world.asset_a, status=FindingStatus.FIXED)  # not in the plan
    _answer(world.org_a, world.alice, {"backup.offline": "no", "mail.protected": "dont_know"})

    rows = services.plan_for(world.org_a, "fr")

    keys = [r.item.key for r in rows]
    assert set(keys) == {
        "q:backup.offline",
        "k:mail.protected",
        "f:net.exposed.rdp",
        "f:mail.dmarc.missing",
    }
    assert [r.action.priority for r in rows] == sorted(
        (r.action.priority for r in rows), reverse=True
    )
    assert all(r.this_week for r in rows)  # four items: all of them this week
    assert {r.item.status for r in rows} == {ActionStatus.OPEN}
    finding_item = ActionItem.objects.get(key="f:net.exposed.rdp")
    assert finding_item.finding == rdp and finding_item.organisation == world.org_a
    assert not ActionItem.objects.filter(organisation=world.org_b).exists()


def test_an_item_closes_when_its_finding_is_fixed_and_reopens_when_it_returns(world, questionnaire):
    rdp, _dmarc = _lab_like_findings(world.org_a, world.asset_a)
    services.sync_plan(world.org_a)
    key = "f:net.exposed.rdp"
    assert ActionItem.objects.get(key=key).status == ActionStatus.OPEN

    rdp.status, rdp.fixed_at = FindingStatus.FIXED, timezone.now()
    rdp.save()
    result = services.sync_plan(world.org_a)

    item = ActionItem.objects.get(key=key)
    assert result.closed == 1 and item.status == ActionStatus.CLOSED and item.closed_at
    assert services.sync_plan(world.org_a) == services.SyncResult()  # idempotent

    rdp.status, rdp.fixed_at = FindingStatus.REOPENED, None
    rdp.save()
    result = services.sync_plan(world.org_a)

    item.refresh_from_db()
    assert result.reopened == 1
    assert (item.status, item.reopened, item.closed_at) == (ActionStatus.OPEN, 1, None)


def test_one_action_per_kind_of_problem_stays_open_while_any_place_is(world, questionnaire):
    older = save_finding(
        world.org_a, world.asset_a, check_id="net.exposed.rdp", location="203.0.113.7:3389"
    )
    newer = save_finding(
        world.org_a, world.asset_a, check_id="net.exposed.rdp", location="203.0.113.8:3389"
    )
    newer.first_seen = older.first_seen + timedelta(hours=1)
    newer.save()

    rows = [r for r in services.plan_for(world.org_a, "fr") if r.action.source == "finding"]
    assert [(r.item.key, r.action.places, r.item.finding_id) for r in rows] == [
        ("f:net.exposed.rdp", 2, older.pk)
    ]

    older.status, older.fixed_at = FindingStatus.FIXED, timezone.now()
    older.save()
    assert services.sync_plan(world.org_a) == services.SyncResult()  # same item, still open
    item = ActionItem.objects.get(organisation=world.org_a, key="f:net.exposed.rdp")
    assert (item.status, item.finding_id) == (ActionStatus.OPEN, newer.pk)
    assert services.plan_for(world.org_a, "fr")[0].action.places == 1

    newer.status, newer.fixed_at = FindingStatus.FIXED, timezone.now()
    newer.save()
    assert services.sync_plan(world.org_a).closed == 1


def test_an_item_closes_when_the_answer_improves(world, questionnaire):
    draft = _answer(world.org_a, world.alice, {"backup.offline": "no"})
    services.sync_plan(world.org_a)
    services.save_answers(draft, world.alice, {"backup.offline": "yes"})
    services.sync_plan(world.org_a)
    assert ActionItem.objects.get(key="q:backup.offline").status == ActionStatus.CLOSED


def test_a_triage_decision_syncs_the_plan_after_commit(
    world, questionnaire, django_capture_on_commit_callbacks
):
    rdp, _dmarc = _lab_like_findings(world.org_a, world.asset_a)
    services.sync_plan(world.org_a)

    with django_capture_on_commit_callbacks(execute=True):
        do_mark_false_positive(rdp, world.alice, "Ce n'est pas notre serveur, voir le contrat.")

    assert ActionItem.objects.get(key="f:net.exposed.rdp").status == ActionStatus.CLOSED


def test_a_done_item_still_present_stays_done_and_says_so(world, questionnaire):
    _rdp, _dmarc = _lab_like_findings(world.org_a, world.asset_a)
    services.sync_plan(world.org_a)
    item = ActionItem.objects.get(key="f:net.exposed.rdp")

    services.mark_done(item, world.alice)
    rows = {r.action.key: r for r in services.plan_for(world.org_a, "fr")}

    row = rows[item.key]
    assert row.item.status == ActionStatus.DONE and row.still_present and not row.this_week
    assert AuditEvent.objects.filter(
        action=AuditAction.ACTION_DONE, object_id=str(item.pk)
    ).exists()


def test_assign_done_and_reopen_are_recorded_in_the_audit_log(world, questionnaire):
    _answer(world.org_a, world.alice, {"backup.offline": "no"})
    services.sync_plan(world.org_a)
    item = ActionItem.objects.get(key="q:backup.offline")

    services.assign(item, world.alice, world.bob)
    services.assign(item, world.alice, None, "Martine (comptable)")
    with pytest.raises(services.DiagnosticError):
        services.assign(item, world.alice, world.charlie)  # not a member of the business
    services.mark_done(item, world.alice)
    services.reopen(item, world.dave)

    item.refresh_from_db()
    assert (item.assignee, item.assignee_name) == (None, "Martine (comptable)")
    assert (item.status, item.done_at, item.reopened) == (ActionStatus.OPEN, None, 1)
    actions = list(
        AuditEvent.objects.filter(object_id=str(item.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.ACTION_ASSIGNED,
        AuditAction.ACTION_ASSIGNED,
        AuditAction.ACTION_DONE,
        AuditAction.ACTION_REOPENED,
    ]
    with pytest.raises(services.DiagnosticError):
        services.reopen(item, world.alice)  # not done: nothing to reopen


def test_progress_since_counts_what_changed(world, questionnaire):
    since = timezone.now() - timedelta(days=1)
    old = save_finding(world.org_a, world.asset_a, first_seen=since - timedelta(days=9))
    old.status, old.fixed_at = FindingStatus.FIXED, timezone.now()
    old.save()
    save_finding(world.org_a, world.asset_a)  # new today
    _answer(world.org_a, world.alice, {"backup.offline": "no"})
    services.sync_plan(world.org_a)
    services.mark_done(ActionItem.objects.get(key="q:backup.offline"), world.alice)

    progress = services.progress_since(world.org_a, since)

    assert (progress.findings_fixed, progress.findings_new, progress.items_done) == (1, 1, 1)
    assert progress.maturity_then is None and progress.maturity_now is None
