"""Findings: the filtered list, the detail with its guidance and history, triage decisions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rempart.web.findings.models import HUMAN_STATUSES, Finding
from rempart.web.findings.services import (
    TriageError,
    do_accept_risk,
    do_mark_false_positive,
    do_revert_triage,
)
from rempart.web.orgs.access import can_act
from rempart.web.portal import queries
from rempart.web.portal.forms import (
    AcceptRiskForm,
    FalsePositiveForm,
    FindingFilterForm,
    RevertForm,
)
from rempart.web.portal.guidance import advice_for
from rempart.web.portal.views.scoping import finding_for, organisation_for, page_of, user_of


@require_safe
@login_required
def finding_list(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    form = FindingFilterForm(organisation, request.GET or None)
    rows = queries.filter_findings(organisation, form.filters())
    context = {
        "org": organisation,
        "form": form,
        "page": page_of(request, rows),
        "today": timezone.localdate(),
    }
    return render(request, "portal/findings/list.html", context)


def _detail(
    request: HttpRequest, finding: Finding, status: int = 200, **bound: Any
) -> HttpResponse:
    acting = can_act(user_of(request), finding.organisation)
    context = {
        "org": finding.organisation,
        "finding": finding,
        "advice": advice_for(finding.check_id),
        "events": finding.events.select_related("actor", "scan").order_by("at", "id"),
        "can_act": acting,
        "is_decided": finding.status in HUMAN_STATUSES,
        "today": timezone.localdate(),
        "accept_form": bound.get("accept_form") or AcceptRiskForm(),
        "false_positive_form": bound.get("false_positive_form") or FalsePositiveForm(),
        "revert_form": bound.get("revert_form") or RevertForm(),
    }
    return render(request, "portal/findings/detail.html", context, status=status)


@require_safe
@login_required
def finding_detail(request: HttpRequest, finding: UUID) -> HttpResponse:
    return _detail(request, finding_for(request, finding))


def _triage(
    request: HttpRequest, finding: UUID, form_class: type[forms.Form], key: str, apply: Any
) -> HttpResponse:
    """Validate the form, apply the decision through the service, report a refused rule
    (``TriageError``) on the form itself."""
    found = finding_for(request, finding, act=True)
    if request.method != "POST":
        return redirect("portal:finding", finding=found.pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            apply(found, user_of(request), form.cleaned_data)
        except TriageError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The decision was recorded in the finding's history."))
            return redirect("portal:finding", finding=found.pk)
    return _detail(request, found, status=400, **{key: form})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def finding_accept(request: HttpRequest, finding: UUID) -> HttpResponse:
    def apply(found: Finding, user: Any, data: dict[str, Any]) -> None:
        do_accept_risk(found, user, data["reason"], data["until"])

    return _triage(request, finding, AcceptRiskForm, "accept_form", apply)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def finding_false_positive(request: HttpRequest, finding: UUID) -> HttpResponse:
    def apply(found: Finding, user: Any, data: dict[str, Any]) -> None:
        do_mark_false_positive(found, user, data["reason"])

    return _triage(request, finding, FalsePositiveForm, "false_positive_form", apply)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def finding_revert(request: HttpRequest, finding: UUID) -> HttpResponse:
    def apply(found: Finding, user: Any, data: dict[str, Any]) -> None:
        do_revert_triage(found, user, data["note"])

    return _triage(request, finding, RevertForm, "revert_form", apply)
