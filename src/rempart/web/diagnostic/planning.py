"""The action plan of a business: computed from its answers and open findings
(``rempart.diagnostic.plan``), recorded as ``ActionItem`` rows that keep who does what.

``sync_plan`` upserts the items from the plan as it is now: a new action opens an item; an
item whose cause went away (finding fixed, answer improved) closes by itself; a closed item
whose cause comes back opens again. It runs after every fold, triage decision and answer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.diagnostic.maturity import score
from rempart.diagnostic.model import Maturity, PlannedAction
from rempart.diagnostic.plan import FIND_OUT_TITLE, WEEK, build_plan
from rempart.knowledge.loader import guidance_for, language_of
from rempart.web.diagnostic.answers import DiagnosticError, answers_of, current_assessment
from rempart.web.diagnostic.evidence import current_questionnaire, evidence_for
from rempart.web.diagnostic.models import ActionItem, ActionSource, ActionStatus
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Membership, Organisation, User

TITLE_MAX = 300


@dataclass(frozen=True, slots=True)
class PlanRow:
    action: PlannedAction
    item: ActionItem
    this_week: bool
    # Marked done by the business, yet the cause is still there (a finding still seen, an
    # answer unchanged): the page says so instead of hiding it.
    still_present: bool = False


@dataclass(frozen=True, slots=True)
class SyncResult:
    opened: int = 0
    closed: int = 0
    reopened: int = 0


def current_plan(org: Organisation, lang: str) -> tuple[list[PlannedAction], Maturity]:
    """The plan computed from the current answers (draft or last submitted) and findings."""
    q = current_questionnaire()
    assessment = current_assessment(org)
    answers = answers_of(assessment, q) if assessment is not None else {}
    evidence = evidence_for(org, lang)
    maturity = score(q, answers, evidence)
    actions = [
        replace(a, key=item_key(a)) for a in build_plan(q, answers, maturity, evidence, lang)
    ]
    return actions, maturity


def plan_for(org: Organisation, lang: str, sync: bool = True) -> list[PlanRow]:
    """The plan in ``lang``, highest priority first, each action with its item. The first
    ``WEEK`` actions still to do are this week's."""
    actions, _maturity = current_plan(org, lang)
    if sync:
        _sync(org, actions if lang == "fr" else current_plan(org, "fr")[0])
    items = {i.key: i for i in ActionItem.objects.filter(organisation=org, key__in=_keys(actions))}
    rows: list[PlanRow] = []
    to_do = 0
    for action in actions:  # build_plan ranks them (ties: red flag, exploited, severity)
        item = items.get(item_key(action)) or _new_item(org, action)
        done = item.status == ActionStatus.DONE
        this_week = not done and to_do < WEEK
        to_do += 0 if done else 1
        rows.append(PlanRow(action, item, this_week, still_present=done))
    return rows


def item_key(action: PlannedAction) -> str:
    """The item's key: the plan's own key, except for findings, which the platform gives one
    action per check id (``evidence.to_evidence``): their item is keyed by the check id, so it
    stays the same item while any finding of that kind is open, whichever one represents it."""
    if action.source == "finding" and action.check:
        return f"f:{action.check}"
    return action.key


def item_title(item: ActionItem, lang: str) -> str:
    """An item's title in ``lang``, from its key: a closed item is no longer in the plan, and
    its stored title is the French one of the last sync."""
    kind, _sep, ref = item.key.partition(":")
    lang = language_of(lang)
    if kind in ("q", "k"):
        question = current_questionnaire().question(ref)
        if question is not None and kind == "k":
            return FIND_OUT_TITLE.get(lang).format(question=question.text.get(lang))
        if question is not None and question.action is not None:
            return question.action.title.get(lang)
    elif kind == "f":
        guidance = guidance_for(ref)
        if guidance is not None:
            return guidance.text(lang).title
    return item.title


def _keys(actions: list[PlannedAction]) -> list[str]:
    return [item_key(a) for a in actions]


def sync_plan(org: Organisation) -> SyncResult:
    """Bring the organisation's items in line with its plan; idempotent, a few queries."""
    actions, _maturity = current_plan(org, "fr")
    return _sync(org, actions)


@transaction.atomic
def _sync(org: Organisation, actions: list[PlannedAction]) -> SyncResult:
    now = timezone.now()
    present = {item_key(a): a for a in actions}
    items = {i.key: i for i in ActionItem.objects.select_for_update().filter(organisation=org)}
    fresh = [_new_item(org, a) for key, a in present.items() if key not in items]
    changed: list[ActionItem] = []
    closed = reopened = 0
    for key, item in items.items():
        action = present.get(key)
        before = (item.status, item.priority, item.title, item.finding_id)
        if action is None:
            if item.status != ActionStatus.CLOSED:
                item.status, item.closed_at = ActionStatus.CLOSED, now
                closed += 1
        else:
            item.priority, item.title = action.priority, action.title[:TITLE_MAX]
            item.finding_id = _finding_id(action) or item.finding_id
            if item.status == ActionStatus.CLOSED:
                item.status, item.closed_at = ActionStatus.OPEN, None
                item.reopened += 1
                reopened += 1
        if (item.status, item.priority, item.title, item.finding_id) != before:
            item.updated_at = now
            changed.append(item)
    ActionItem.objects.bulk_create(fresh, ignore_conflicts=True)
    fields = ["status", "closed_at", "priority", "title", "reopened", "updated_at", "finding"]
    ActionItem.objects.bulk_update(changed, fields)
    return SyncResult(opened=len(fresh), closed=closed, reopened=reopened)


def _new_item(org: Organisation, action: PlannedAction) -> ActionItem:
    return ActionItem(
        organisation=org,
        key=item_key(action),
        source=ActionSource(action.source),
        title=action.title[:TITLE_MAX],
        priority=action.priority,
        finding_id=_finding_id(action),
    )


def _finding_id(action: PlannedAction) -> UUID | None:
    if action.source != "finding" or not action.finding:
        return None
    try:
        return UUID(action.finding)
    except ValueError:
        return None


def sync_plan_later(org_id: object) -> None:
    """Sync the plan once the current transaction commits. ``robust``: a failure there is
    logged by Django and never undoes or fails the fold, triage or answer that asked for it."""

    def sync_plan_of_organisation() -> None:
        org = Organisation.objects.filter(pk=org_id).first()
        if org is not None:
            sync_plan(org)

    transaction.on_commit(sync_plan_of_organisation, robust=True)


# -- what people do with an item ------------------------------------------------------------


def assign(item: ActionItem, actor: User, assignee: User | None = None, name: str = "") -> None:
    """Give the item to a member of the business, or to a named person without an account
    (both empty: nobody)."""
    name = (name or "").strip()[:120]
    if assignee is not None:
        is_member = Membership.objects.filter(
            user=assignee, organisation_id=item.organisation_id
        ).exists()
        if not is_member:
            raise DiagnosticError(_("This person is not a member of the organisation."))
    item.assignee, item.assignee_name = assignee, name
    item.save(update_fields=["assignee", "assignee_name", "updated_at"])
    audit(
        AuditAction.ACTION_ASSIGNED,
        actor=actor,
        organisation=item.organisation,
        obj=item,
        key=item.key,
        assignee=assignee.email if assignee else "",
        name=name,
    )


def mark_done(item: ActionItem, actor: User) -> None:
    if item.status == ActionStatus.CLOSED:
        raise DiagnosticError(_("This action closed by itself: there is nothing left to do."))
    if item.status == ActionStatus.DONE:
        return
    item.status, item.done_at, item.done_by = ActionStatus.DONE, timezone.now(), actor
    item.save(update_fields=["status", "done_at", "done_by", "updated_at"])
    audit(
        AuditAction.ACTION_DONE, actor=actor, organisation=item.organisation, obj=item, key=item.key
    )


def reopen(item: ActionItem, actor: User) -> None:
    if item.status != ActionStatus.DONE:
        raise DiagnosticError(_("Only an action marked done can be reopened."))
    item.status, item.done_at, item.done_by = ActionStatus.OPEN, None, None
    item.reopened += 1
    item.save(update_fields=["status", "done_at", "done_by", "reopened", "updated_at"])
    audit(
        AuditAction.ACTION_REOPENED,
        actor=actor,
        organisation=item.organisation,
        obj=item,
        key=item.key,
    )


def sync_plan_of_import(import_id: object) -> None:
    """After an import's fold (committed by then): the plan of its organisation follows."""
    from rempart.web.imports.models import Import

    org_id = Import.objects.filter(pk=import_id).values_list("organisation_id", flat=True).first()
    if org_id is not None:
        sync_plan_later(org_id)
