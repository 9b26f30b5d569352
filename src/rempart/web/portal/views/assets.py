"""Assets: the list and the add form, the proof of control, scans on request, removal."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rempart.web.assets.models import Asset
from rempart.web.assets.services import (
    do_add_asset,
    do_remove_asset,
    do_set_schedule,
    do_verify_asset,
)
from rempart.web.orgs.access import can_act
from rempart.web.portal import queries
from rempart.web.portal.forms import AssetAddForm, ScheduleForm
from rempart.web.portal.views.scoping import asset_for, organisation_for, page_of, user_of
from rempart.web.scans.models import Trigger
from rempart.web.scans.services import do_request_scan


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def asset_list(request: HttpRequest, org: UUID) -> HttpResponse:
    acting = request.method == "POST"
    organisation = organisation_for(request, org, act=acting)
    form = AssetAddForm(request.POST if acting else None)
    if acting and form.is_valid():
        data = form.cleaned_data
        try:
            added = do_add_asset(organisation, data["kind"], data["name"], user_of(request))
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("The asset was added. Now prove that you control it."))
            return redirect("portal:asset", asset=added.pk)
    context = {
        "org": organisation,
        "can_act": acting or can_act(user_of(request), organisation),
        "page": page_of(request, queries.assets_with_last_scan(organisation)),
        "form": form,
    }
    return render(request, "portal/assets/list.html", context, status=400 if acting else 200)


@require_safe
@login_required
def asset_detail(request: HttpRequest, asset: UUID) -> HttpResponse:
    found = asset_for(request, asset)
    context = {
        "org": found.organisation,
        "asset": found,
        "can_act": can_act(user_of(request), found.organisation),
        "schedule_form": ScheduleForm(initial={"schedule": found.schedule}),
        "reasons": [line for line in found.last_check_error.splitlines() if line.strip()],
        "scans": found.scans.defer("observations")[:5],
    }
    return render(request, "portal/assets/detail.html", context)


def _back_to(found: Asset) -> HttpResponse:
    return redirect("portal:asset", asset=found.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def asset_verify(request: HttpRequest, asset: UUID) -> HttpResponse:
    """Look for the proof now: the only page that waits on the network (one DNS query and
    one HTTPS GET, each bounded by the engine's timeout)."""
    found = asset_for(request, asset, act=True)
    if request.method != "POST":
        return _back_to(found)
    if do_verify_asset(found, user_of(request)):
        messages.success(request, _("Control proven: this asset can now be fully scanned."))
    else:
        messages.error(request, _("The proof was not found. The reasons are given below."))
    return _back_to(found)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def asset_schedule(request: HttpRequest, asset: UUID) -> HttpResponse:
    found = asset_for(request, asset, act=True)
    form = ScheduleForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        do_set_schedule(found, form.cleaned_data["schedule"], user_of(request))
        messages.success(request, _("The automatic scan schedule was saved."))
    elif form.is_bound:
        messages.error(request, _("Choose one of the proposed schedules."))
    return _back_to(found)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def asset_scan(request: HttpRequest, asset: UUID) -> HttpResponse:
    found = asset_for(request, asset, act=True)
    if request.method != "POST":
        return _back_to(found)
    scan = do_request_scan(found, user_of(request), Trigger.PORTAL)
    messages.success(request, _("The scan is queued; this page follows its progress."))
    return redirect("portal:scan", scan=scan.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def asset_remove(request: HttpRequest, asset: UUID) -> HttpResponse:
    """GET asks for confirmation; POST removes (the findings stay, without their asset)."""
    found = asset_for(request, asset, act=True)
    if request.method != "POST":
        return render(
            request, "portal/assets/remove.html", {"org": found.organisation, "asset": found}
        )
    organisation = found.organisation
    do_remove_asset(found, user_of(request))
    messages.success(request, _("The asset was removed."))
    return redirect("portal:assets", org=organisation.pk)
