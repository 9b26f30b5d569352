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
    exports,
    findings,
    imports,
    organisations,
    scans,
)

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
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include((api_patterns, "api"))),
]
