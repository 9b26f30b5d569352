"""The center's view: every business, worst first, and rescan campaigns (analysts, admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from rempart.web.portal import queries
from rempart.web.portal.forms import CenterFilterForm
from rempart.web.portal.views.scoping import page_of, require_center_staff
from rempart.web.scans.services import do_request_campaign


@require_safe
@login_required
def center(request: HttpRequest) -> HttpResponse:
    require_center_staff(request)
    form = CenterFilterForm(request.GET or None)
    departement, grade = form.values()
    context = {
        "form": form,
        "page": page_of(request, queries.center_organisations(departement, grade)),
        "campaign": queries.count_campaign(departement, grade),
        "departement": departement,
        "grade": grade,
    }
    return render(request, "portal/center.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def campaign(request: HttpRequest) -> HttpResponse:
    """Rescan the verified assets of the businesses the filters select."""
    user = require_center_staff(request)
    form = CenterFilterForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return redirect("portal:center")
    departement, grade = form.values()
    assets = list(queries.campaign_assets(departement, grade))
    label = f"center {timezone.now():%Y-%m-%d %H:%M} dep={departement or '*'} grade={grade or '*'}"
    do_request_campaign(assets, user, label)
    messages.success(
        request,
        ngettext(
            "Campaign launched: %(count)d verified asset will be scanned.",
            "Campaign launched: %(count)d verified assets will be scanned.",
            len(assets),
        )
        % {"count": len(assets)},
    )
    query = urlencode({k: v for k, v in (("departement", departement), ("grade", grade)) if v})
    return redirect(f"{reverse('portal:center')}?{query}" if query else reverse("portal:center"))
