"""Imported reports, the software inventory and the alerts of an organisation.

Uploads follow the API's rules (``rempart.web.api.views.imports``): only owners and IT
providers upload; the file is checked by ``do_upload`` (size, format, emptiness) and imported
by a job whose progress this page follows like a scan's (htmx polling fragment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rempart.web.findings.models import SEVERITY_RANK, Finding
from rempart.web.imports.models import Alert, Component, Import
from rempart.web.imports.queries import vulnerable_components_table
from rempart.web.imports.services import ENGINE_SCOPE, ImportRefused, do_upload
from rempart.web.imports.uploads import too_large, upload_was_cut
from rempart.web.orgs.access import can_act, get_scoped, role_in
from rempart.web.orgs.models import Organisation
from rempart.web.portal.forms import ImportUploadForm
from rempart.web.portal.views.scoping import PAGE_SIZE, organisation_for, page_of, user_of

# -- imports --------------------------------------------------------------------------------


def import_for(request: HttpRequest, import_id: object, *, light: bool = False) -> Import:
    """The import if it belongs to one of the user's organisations (else 404)."""
    if light:  # the polling fragment: a few columns, no join
        queryset = Import.objects.only(
            "pk", "organisation", "status", "progress", "stage", "stored_as"
        )
    else:
        queryset = Import.objects.select_related("organisation", "uploaded_by")
    return get_scoped(queryset, user_of(request), import_id)


def _too_large_message() -> str:
    limit = settings.REMPART_IMPORT_MAX_BYTES // (1024 * 1024) or 1
    return str(
        _(
            "The file is larger than the limit of %(limit)s MB; nothing was stored. Split the "
            "report (for example one per network or site) and import the parts."
        )
        % {"limit": limit}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_list(request: HttpRequest, org: UUID) -> HttpResponse:
    """The history of imports and, for those who may act, the upload form."""
    acting = request.method == "POST"
    organisation = organisation_for(request, org, act=acting)
    status = 200
    if not acting:
        form = ImportUploadForm(organisation)
    elif too_large(request):
        # The declared size is over the limit: refused before the body is read.
        form = ImportUploadForm(organisation, data={}, files={})
        form.refuse(_too_large_message())
        status = 413
    else:
        form = ImportUploadForm(organisation, request.POST, request.FILES)
        if upload_was_cut(request):
            form.refuse(_too_large_message())
            status = 413
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = do_upload(
                    organisation,
                    upload.chunks(),
                    upload.name,
                    user_of(request),
                    format=form.cleaned_data["format"],
                    scope=form.cleaned_data["scope"],
                )
            except ImportRefused as exc:
                form.refuse(str(exc))
            else:
                messages.success(
                    request,
                    _("The report was received and its import is queued; this page follows it."),
                )
                return redirect("portal:import", report=report.pk)
        if status == 200:
            status = 400
    history = Import.objects.filter(organisation=organisation).select_related("uploaded_by")
    context = {
        "org": organisation,
        "can_act": acting or can_act(user_of(request), organisation),
        "page": page_of(request, history.order_by("-created_at", "pk")),
        "form": form,
        "max_mb": settings.REMPART_IMPORT_MAX_BYTES // (1024 * 1024) or 1,
    }
    return render(request, "portal/imports/list.html", context, status=status)


@require_safe
@login_required
def import_detail(request: HttpRequest, report: UUID) -> HttpResponse:
    found = import_for(request, report)
    counts = found.counts or {}
    not_imported = sorted(
        (counts.get("not_imported") or {}).items(), key=lambda item: (-item[1], item[0])
    )
    context = {
        "org": found.organisation,
        "report": found,
        "counts": counts,
        "statuses": counts.get("statuses") or {},
        "not_imported": not_imported,
        "not_imported_total": sum(n for _reason, n in not_imported),
    }
    return render(request, "portal/imports/detail.html", context)


@require_safe
@login_required
def import_progress(request: HttpRequest, report: UUID) -> HttpResponse:
    """The progress fragment: it asks to be fetched again while the import is queued or
    running, and comes back without the trigger once finished, which stops the polling."""
    found = import_for(request, report, light=True)
    return render(request, "portal/imports/_progress.html", {"report": found})


# -- software inventory ---------------------------------------------------------------------


def component_place(purl: str, name: str, version: str) -> str:
    """The location the component's vulnerability findings carry, lower-case (the key of
    ``vulnerable_components_table``; see ``imports.services._package_place``)."""
    if purl:
        return purl.split("?", 1)[0].split("#", 1)[0].lower()
    return f"{name}@{version}".lower()


COMPONENT_COLUMNS = (
    *(f.name for f in Component._meta.concrete_fields),
    "report__id",
    "report__tool",
    "report__scope",
)


@dataclass
class SoftwareRow:
    component: Component
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def listed_by(self) -> str:
        """Who listed it, for people: "trivy (web shop)" from its import, else rempart's scans
        (service banners) or the scope key itself."""
        report = self.component.report
        if report is not None:
            return f"{report.tool} ({report.scope})" if report.scope else report.tool
        tool, _sep, scope = self.component.scope.partition(":")
        if tool == ENGINE_SCOPE:
            return str(_("rempart's scans"))
        return f"{tool} ({scope})" if scope else tool


def _worst_first(vulns: list[dict[str, Any]]) -> tuple[bool, int]:
    kev = any(v["known_exploited"] for v in vulns)
    worst = max((SEVERITY_RANK.get(v["severity"], 0) for v in vulns), default=0)
    return (not kev, -worst)


@require_safe
@login_required
def software(request: HttpRequest, org: UUID) -> HttpResponse:
    """The inventory: vulnerable components first (known exploited, then worst severity),
    each with its open vulnerabilities and the version to install; then the rest."""
    organisation = organisation_for(request, org)
    table = vulnerable_components_table(organisation)
    components = (
        Component.objects.filter(organisation=organisation)
        .select_related("report")
        .only(*COMPONENT_COLUMNS)
        .order_by("name", "version", "id")
    )
    vulnerable: list[tuple[tuple[bool, int, int], int]] = []
    ordered: list[int] = []
    if table:
        # One light pass over the inventory to put the vulnerable components first.
        rest: list[int] = []
        for position, (pk, name, version, purl) in enumerate(
            components.values_list("pk", "name", "version", "purl").iterator(chunk_size=2000)
        ):
            vulns = table.get(component_place(purl, name, version))
            if vulns:
                vulnerable.append(((*_worst_first(vulns), position), pk))
            else:
                rest.append(pk)
        vulnerable.sort()
        ordered = [pk for _key, pk in vulnerable] + rest
        page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
        by_pk = components.in_bulk(list(page.object_list))
        on_page = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    else:
        page = Paginator(components, PAGE_SIZE).get_page(request.GET.get("page"))
        on_page = list(page.object_list)
    rows = [
        SoftwareRow(c, table.get(component_place(c.purl, c.name, c.version), [])) for c in on_page
    ]
    shown = [v["finding"] for row in rows for v in row.vulnerabilities]
    ransomware = (
        set(Finding.objects.filter(pk__in=shown, ransomware=True).values_list("pk", flat=True))
        if shown
        else set()
    )
    context = {
        "org": organisation,
        "page": page,
        "vulnerable_rows": [row for row in rows if row.vulnerabilities],
        "other_rows": [row for row in rows if not row.vulnerabilities],
        "vulnerable_count": len(vulnerable),
        "total": len(ordered) if table else page.paginator.count,
        "ransomware": ransomware,
    }
    return render(request, "portal/software/list.html", context)


# -- alerts ---------------------------------------------------------------------------------


def _may_mark_read(request: HttpRequest, organisation: Organisation) -> bool:
    """Owners, IT providers and members of the business: its alerts are theirs to clear.
    The center's staff read every business's alerts but leave that state to them."""
    return role_in(user_of(request), organisation) is not None


@require_safe
@login_required
def alert_list(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    alerts = Alert.objects.filter(organisation=organisation).order_by("-created_at", "-id")
    context = {
        "org": organisation,
        "page": page_of(request, alerts),
        "may_mark_read": _may_mark_read(request, organisation),
    }
    return render(request, "portal/alerts/list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def alert_read(request: HttpRequest, alert: int) -> HttpResponse:
    found: Alert = get_scoped(Alert.objects.select_related("organisation"), user_of(request), alert)
    organisation = found.organisation
    if not _may_mark_read(request, organisation):
        raise Http404
    if request.method != "POST":
        return redirect("portal:alerts", org=organisation.pk)
    Alert.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("The alert was marked as read."))
    back = request.POST.get("next", "")  # the page the button was on (dashboard or alerts)
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("portal:alerts", org=organisation.pk)
