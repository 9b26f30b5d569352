"""The REST API. ``/api/schema/`` keeps its global name ``schema``; the rest is ``api:…``.

URL kwargs are named after the object (``org``, ``asset``, ``scan``, ``finding``): the tenant
wall test fills them with another tenant's ids.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.urlpatterns import format_suffix_patterns

from rempart.web.api.views import (
    account,
    assets,
    diagnostic,
    exports,
    findings,
    imports,
    organisations,
    scans,
)
from rempart.web.reports import api as reports_api

ORG = "organisations/<uuid:org>/"

export_patterns = format_suffix_patterns(
    [path(f"{ORG}findings/export/", exports.findings_export, name="findings-export")],
    suffix_required=True,
    allowed=["json", "csv", "sarif"],
)

api_patterns = [
    path("token/", account.token, name="token"),
    path("me/", account.me, name="me"),
    path("organisations/", organisations.organisation_list, name="organisation-list"),
    path(ORG, organisations.organisation_detail, name="organisation-detail"),
    path(f"{ORG}audit/", organisations.organisation_audit, name="organisation-audit"),
    path(f"{ORG}assets/", assets.organisation_assets, name="organisation-assets"),
    path(f"{ORG}scans/", scans.organisation_scans, name="organisation-scans"),
    path(f"{ORG}findings/", findings.organisation_findings, name="organisation-findings"),
    path(f"{ORG}imports/", imports.organisation_imports, name="organisation-imports"),
    path(f"{ORG}components/", imports.organisation_components, name="organisation-components"),
    path(f"{ORG}alerts/", imports.organisation_alerts, name="organisation-alerts"),
    path("imports/<uuid:report>/", imports.import_detail, name="import-detail"),
    path(f"{ORG}reports/", reports_api.organisation_reports, name="organisation-reports"),
    path("reports/<uuid:report>/", reports_api.report_detail, name="report-detail"),
    path("reports/<uuid:report>/pdf/", reports_api.report_pdf, name="report-pdf"),
    path("import-formats/", imports.import_formats, name="import-formats"),
    path("feeds/", imports.feeds, name="feeds"),
    *export_patterns,
    path("assets/<uuid:asset>/", assets.asset_detail, name="asset-detail"),
    path("assets/<uuid:asset>/verify/", assets.asset_verify, name="asset-verify"),
    path("assets/<uuid:asset>/scans/", assets.asset_scan, name="asset-scan"),
    path("scans/<uuid:scan>/", scans.scan_detail, name="scan-detail"),
    path("findings/<uuid:finding>/", findings.finding_detail, name="finding-detail"),
    path(
        "findings/<uuid:finding>/accept-risk/",
        findings.finding_accept_risk,
        name="finding-accept-risk",
    ),
    path(
        "findings/<uuid:finding>/false-positive/",
        findings.finding_false_positive,
        name="finding-false-positive",
    ),
    path("findings/<uuid:finding>/revert/", findings.finding_revert, name="finding-revert"),
    path("questionnaire/", diagnostic.questionnaire, name="questionnaire"),
    path(f"{ORG}diagnostic/", diagnostic.organisation_diagnostic, name="organisation-diagnostic"),
    path(
        f"{ORG}diagnostic/answers/",
        diagnostic.organisation_diagnostic_answers,
        name="organisation-diagnostic-answers",
    ),
    path(
        f"{ORG}diagnostic/submit/",
        diagnostic.organisation_diagnostic_submit,
        name="organisation-diagnostic-submit",
    ),
    path(
        f"{ORG}maturity/history/",
        diagnostic.organisation_maturity_history,
        name="organisation-maturity-history",
    ),
    path(f"{ORG}plan/", diagnostic.organisation_plan, name="organisation-plan"),
    path("plan-items/<uuid:item>/", diagnostic.plan_item, name="plan-item"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include((api_patterns, "api"))),
]
