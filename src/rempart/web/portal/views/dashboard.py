"""The landing page, the organisation chooser and an organisation's dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from rempart.diagnostic.model import PlannedAction
from rempart.diagnostic.plan import WEEK
from rempart.knowledge.loader import EFFORT_LABELS, WHO_LABELS
from rempart.web.diagnostic import services as diagnostic
from rempart.web.diagnostic.models import ActionItem, ActionStatus
from rempart.web.orgs.access import can_act, organisations_for
from rempart.web.orgs.models import Organisation
from rempart.web.portal import queries
from rempart.web.portal.charts import points_of, trend_chart
from rempart.web.portal.views.diagnostic import LEVEL_LABELS, request_lang
from rempart.web.portal.views.scoping import organisation_for, user_of


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Anonymous: what the center does. Staff: the center's view. Others: their business."""
    if not request.user.is_authenticated:
        return render(request, "portal/home.html")
    user = user_of(request)
    if user.sees_all_organisations:
        return redirect("portal:center")
    organisations = list(organisations_for(user).only("pk", "name", "departement"))
    if len(organisations) == 1:
        return redirect("portal:dashboard", org=organisations[0].pk)
    return render(request, "portal/chooser.html", {"organisations": organisations})


@require_safe
@login_required
def dashboard(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    scans = queries.trend_scans(organisation)
    counts = queries.finding_counts(organisation)
    context = {
        "org": organisation,
        "can_act": can_act(user_of(request), organisation),
        "grade": queries.organisation_grade(organisation),
        "counts": counts,
        "by_severity": queries.by_severity(counts),
        "chart": trend_chart(points_of(scans)) if scans else None,
        "to_verify": queries.assets_to_verify(organisation),
        "recent_scans": queries.recent_scans(organisation),
        **_diagnostic_cards(organisation),
    }
    return render(request, "portal/dashboard.html", context)


@dataclass(frozen=True, slots=True)
class WeekCard:
    """One of the week's actions as the dashboard shows it: where to read more, who, effort."""

    action: PlannedAction
    url: str
    who: str
    effort: str


def _diagnostic_cards(organisation: Organisation) -> dict[str, object]:
    """The maturity card and the week's actions, from one computation of the plan (a few
    queries whatever the number of findings; the plan page keeps the items in sync).

    Without any answer the plan still holds the open findings, so a business that has not
    started the diagnostic sees its worst problems here (issue 5: "the five items for this
    week stand out"), with a prompt to answer what scans cannot see."""
    lang = request_lang()
    actions, maturity = diagnostic.current_plan(organisation, lang)
    week = _this_week(organisation, actions)
    return {
        "maturity": maturity if maturity.answered else None,
        "maturity_level": LEVEL_LABELS.get(maturity.level, ""),
        "week": week,
        "week_cards": [_card(organisation, a, lang) for a in week],
    }


def _this_week(organisation: Organisation, actions: list[PlannedAction]) -> list[PlannedAction]:
    """The first ``WEEK`` actions the business has not marked done (as the plan page shows)."""
    done = set(
        ActionItem.objects.filter(organisation=organisation, status=ActionStatus.DONE).values_list(
            "key", flat=True
        )
    )
    return [a for a in actions if a.key not in done][:WEEK]


def _card(organisation: Organisation, action: PlannedAction, lang: str) -> WeekCard:
    """A finding seen in one place links to it, in several places to the list of that kind;
    a diagnostic gap links to the plan, which says what to do step by step."""
    finding = _uuid(action.finding) if action.source == "finding" else None
    if finding is not None and action.places == 1:
        url = reverse("portal:finding", kwargs={"finding": finding})
    elif action.source == "finding" and action.check:
        url = reverse("portal:findings", kwargs={"org": organisation.pk})
        url += "?" + urlencode({"q": action.check})
    else:
        url = reverse("portal:plan", kwargs={"org": organisation.pk})
    return WeekCard(
        action=action,
        url=url,
        who=WHO_LABELS[lang].get(action.who, action.who),
        effort=EFFORT_LABELS[lang].get(action.effort, action.effort),
    )


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
