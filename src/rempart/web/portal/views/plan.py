"""The action plan: one list merging the diagnostic's gaps and the open findings.

The five actions of this week come first, in their own block; then the rest; then what the
business marked done; and, collapsed, the actions that closed by themselves because their
cause went away. Assigning, marking done and reopening are POSTs for those who may act
(``can_act``), through ``rempart.web.diagnostic.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from rempart.diagnostic.model import PlannedAction, Questionnaire
from rempart.knowledge.loader import EFFORT_LABELS, WHO_LABELS
from rempart.web.diagnostic import services
from rempart.web.diagnostic.models import ActionItem, ActionStatus
from rempart.web.orgs.access import can_act, get_scoped
from rempart.web.orgs.models import Membership, Organisation, User
from rempart.web.portal.views.diagnostic import request_lang, slug
from rempart.web.portal.views.scoping import organisation_for, user_of

COST_LABELS = {
    "free": gettext_lazy("Free"),
    "low": gettext_lazy("Under €500"),
    "medium": gettext_lazy("€500 to €2,000"),
    "high": gettext_lazy("Over €2,000"),
}


@dataclass
class PlanCard:
    """One row of the plan as the page shows it, in the request's language."""

    row: services.PlanRow
    steps: list[str]
    who: str
    effort: str
    cost: str
    theme: str  # the diagnostic theme of the question behind it, for the link back
    anchor: str  # the question's place on its theme page

    @property
    def action(self) -> PlannedAction:
        return self.row.action

    @property
    def item(self) -> ActionItem:
        return self.row.item


# A business with a large imported report can have thousands of kinds of problem: the page
# shows the first ones (by priority) and the rest on request, instead of a page of megabytes.
REST_SHOWN = 60


def steps_of(text: str) -> list[str]:
    """ "1. Do this\\n2. Then that" as a list of steps, without the numbers (an <ol> has them)."""
    steps = []
    for line in text.splitlines():
        line = line.strip()
        head, dot, rest = line.partition(". ")
        steps.append(rest.strip() if dot and head.isdigit() else line)
    return [s for s in steps if s]


def cards(rows: list[services.PlanRow], q: Questionnaire) -> list[PlanCard]:
    lang = request_lang()
    made = []
    for row in rows:
        action = row.action
        question = q.question(action.question) if action.question else None
        made.append(
            PlanCard(
                row=row,
                steps=steps_of(action.what_to_do),
                who=WHO_LABELS[lang].get(action.who, action.who),
                effort=EFFORT_LABELS[lang].get(action.effort, action.effort),
                cost=str(COST_LABELS.get(action.cost, action.cost)),
                theme=question.theme if question else "",
                anchor=slug(question.id) if question else "",
            )
        )
    return made


def people_of(organisation: Organisation) -> list[User]:
    """Who an action may be given to: the members of the business (any role)."""
    memberships = Membership.objects.filter(organisation=organisation).select_related("user")
    return sorted((m.user for m in memberships), key=lambda u: u.email)


@require_safe
@login_required
def plan(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    acting = can_act(user_of(request), organisation)
    every = cards(
        services.plan_for(organisation, request_lang(), sync=acting),
        services.current_questionnaire(),
    )
    closed = ActionItem.objects.filter(organisation=organisation, status=ActionStatus.CLOSED)
    rest = [c for c in every if not c.row.this_week and c.item.status == ActionStatus.OPEN]
    shown = rest if request.GET.get("all") else rest[:REST_SHOWN]
    context = {
        "org": organisation,
        "can_act": acting,
        "week": [c for c in every if c.row.this_week],
        "rest": shown,
        "rest_total": len(rest),
        "rest_hidden": len(rest) - len(shown),
        "done": [c for c in every if c.item.status == ActionStatus.DONE],
        "closed": [
            (item, services.item_title(item, request_lang()))
            for item in closed.order_by("-closed_at")[:100]
        ],
        "total": len(every),
        "people": people_of(organisation) if acting else [],
        "assessment": services.current_assessment(organisation),
    }
    return render(request, "portal/plan/plan.html", context)


def item_for(request: HttpRequest, item_id: object) -> ActionItem:
    """The item if the user may act on its business; the 404 of a missing one otherwise."""
    user = user_of(request)
    item: ActionItem = get_scoped(ActionItem.objects.select_related("organisation"), user, item_id)
    if not can_act(user, item.organisation):
        raise Http404
    return item


def _back(item: ActionItem) -> HttpResponse:
    url = reverse("portal:plan", kwargs={"org": item.organisation_id})
    return redirect(f"{url}#item-{item.pk}")


@require_POST
@login_required
def item_assign(request: HttpRequest, item: UUID) -> HttpResponse:
    found = item_for(request, item)
    assignee = None
    chosen = request.POST.get("assignee", "")
    if chosen:
        assignee = next((u for u in people_of(found.organisation) if str(u.pk) == chosen), None)
        if assignee is None:
            messages.error(request, _("This person is not a member of the organisation."))
            return _back(found)
    try:
        services.assign(found, user_of(request), assignee, request.POST.get("name", ""))
    except services.DiagnosticError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The action was assigned."))
    return _back(found)


@require_POST
@login_required
def item_done(request: HttpRequest, item: UUID) -> HttpResponse:
    found = item_for(request, item)
    try:
        services.mark_done(found, user_of(request))
    except services.DiagnosticError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The action is marked done. Well done!"))
    return _back(found)


@require_POST
@login_required
def item_reopen(request: HttpRequest, item: UUID) -> HttpResponse:
    found = item_for(request, item)
    try:
        services.reopen(found, user_of(request))
    except services.DiagnosticError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The action is back in your plan."))
    return _back(found)
