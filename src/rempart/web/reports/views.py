"""The portal's report pages: list and request, one report's status, its PDF and HTML.

Reading follows the organisation's walls (``organisation_for``, ``get_scoped``: another
business's report is a 404); requesting a report needs ``can_act`` (owners, IT providers).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rempart.web.orgs.access import can_act, get_scoped
from rempart.web.portal.views.scoping import organisation_for, page_of, user_of
from rempart.web.reports.forms import ReportRequestForm
from rempart.web.reports.models import Report, ReportStatus
from rempart.web.reports.services import do_request_report, html_file, pdf_file

# The stored HTML is our own template's output; still, it may run nothing and load nothing.
HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def report_for(request: HttpRequest, report_id: object) -> Report:
    queryset = Report.objects.select_related("organisation", "created_by", "attestation")
    return get_scoped(queryset, user_of(request), report_id)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_list(request: HttpRequest, org: UUID) -> HttpResponse:
    acting = request.method == "POST"
    organisation = organisation_for(request, org, act=acting)
    initial = {"lang": "en" if (get_language() or "").startswith("en") else "fr"}
    form = ReportRequestForm(request.POST if acting else None, initial=initial)
    if acting and form.is_valid():
        report = do_request_report(organisation, user_of(request), form.cleaned_data["lang"])
        messages.success(request, _("The report is being prepared; this page follows it."))
        return redirect("reports:detail", report=report.pk)
    history = Report.objects.filter(organisation=organisation).select_related("created_by")
    context = {
        "org": organisation,
        "can_act": can_act(user_of(request), organisation),
        "form": form,
        "page": page_of(request, history.order_by("-created_at", "pk")),
    }
    return render(request, "reports/list.html", context, status=400 if acting else 200)


@require_safe
@login_required
def report_detail(request: HttpRequest, report: UUID) -> HttpResponse:
    found = report_for(request, report)
    context = {"org": found.organisation, "report": found}
    return render(request, "reports/detail.html", context)


@require_safe
@login_required
def report_progress(request: HttpRequest, report: UUID) -> HttpResponse:
    """The polling fragment: asks again while queued or running, stops once finished."""
    found = get_scoped(
        Report.objects.only("pk", "organisation", "status", "error"), user_of(request), report
    )
    return render(request, "reports/_progress.html", {"report": found})


@require_safe
@login_required
def report_pdf(request: HttpRequest, report: UUID) -> FileResponse:
    found = report_for(request, report)
    path = pdf_file(found) if found.status == ReportStatus.DONE else None
    if path is None:
        raise Http404
    name = f"rempart-{found.organisation.siren}-{found.created_at:%Y%m%d}-{found.lang}.pdf"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


@require_safe
@login_required
def report_html(request: HttpRequest, report: UUID) -> HttpResponse:
    found = report_for(request, report)
    path = html_file(found) if found.status == ReportStatus.DONE else None
    if path is None:
        raise Http404
    response = HttpResponse(path.read_bytes(), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_CSP
    return response
