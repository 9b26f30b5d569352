"""Scans: the history, one scan's page and its live progress fragment (htmx polling)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from rempart.web.portal import queries
from rempart.web.portal.report import failing_groups
from rempart.web.portal.views.scoping import organisation_for, page_of, scan_for


@require_safe
@login_required
def scan_list(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    context = {"org": organisation, "page": page_of(request, queries.scan_history(organisation))}
    return render(request, "portal/scans/list.html", context)


@require_safe
@login_required
def scan_detail(request: HttpRequest, scan: UUID) -> HttpResponse:
    found = scan_for(request, scan)
    context = {
        "org": found.organisation,
        "scan": found,
        "groups": failing_groups(found.observations or []) if found.is_finished else [],
        "by_severity": queries.by_severity(found.counts or {}),
    }
    return render(request, "portal/scans/detail.html", context)


@require_safe
@login_required
def scan_progress(request: HttpRequest, scan: UUID) -> HttpResponse:
    """The progress fragment. While the scan runs it asks to be fetched again in a second;
    once finished it comes back without the trigger, which stops the polling."""
    found = scan_for(request, scan, light=True)
    return render(request, "portal/scans/_progress.html", {"scan": found})
