"""The portal's pages. URL kwargs are named after their object (``org``, ``asset``, ``scan``,
``finding``, ``report`` for an import, ``alert``, ``item`` for a plan item; ``theme`` is a
diagnostic theme id): the tenant-wall test fills them with another
business's ids."""

from django.urls import path

from rempart.web.portal.views import (
    assets,
    center,
    dashboard,
    diagnostic,
    findings,
    imports,
    plan,
    scans,
)

app_name = "portal"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("o/<uuid:org>/", dashboard.dashboard, name="dashboard"),
    path("o/<uuid:org>/assets/", assets.asset_list, name="assets"),
    path("o/<uuid:org>/findings/", findings.finding_list, name="findings"),
    path("o/<uuid:org>/scans/", scans.scan_list, name="scans"),
    path("o/<uuid:org>/imports/", imports.import_list, name="imports"),
    path("o/<uuid:org>/software/", imports.software, name="software"),
    path("o/<uuid:org>/alerts/", imports.alert_list, name="alerts"),
    path("o/<uuid:org>/diagnostic/", diagnostic.overview, name="diagnostic"),
    path("o/<uuid:org>/diagnostic/submit/", diagnostic.submit, name="diagnostic_submit"),
    path("o/<uuid:org>/diagnostic/<slug:theme>/", diagnostic.theme_form, name="diagnostic_theme"),
    path("o/<uuid:org>/maturity/", diagnostic.maturity, name="maturity"),
    path("o/<uuid:org>/plan/", plan.plan, name="plan"),
    path("plan-items/<uuid:item>/assign/", plan.item_assign, name="plan_item_assign"),
    path("plan-items/<uuid:item>/done/", plan.item_done, name="plan_item_done"),
    path("plan-items/<uuid:item>/reopen/", plan.item_reopen, name="plan_item_reopen"),
    path("assets/<uuid:asset>/", assets.asset_detail, name="asset"),
    path("assets/<uuid:asset>/verify/", assets.asset_verify, name="asset_verify"),
    path("assets/<uuid:asset>/schedule/", assets.asset_schedule, name="asset_schedule"),
    path("assets/<uuid:asset>/scan/", assets.asset_scan, name="asset_scan"),
    path("assets/<uuid:asset>/remove/", assets.asset_remove, name="asset_remove"),
    path("findings/<uuid:finding>/", findings.finding_detail, name="finding"),
    path("findings/<uuid:finding>/accept/", findings.finding_accept, name="finding_accept"),
    path(
        "findings/<uuid:finding>/false-positive/",
        findings.finding_false_positive,
        name="finding_false_positive",
    ),
    path("findings/<uuid:finding>/revert/", findings.finding_revert, name="finding_revert"),
    path("scans/<uuid:scan>/", scans.scan_detail, name="scan"),
    path("scans/<uuid:scan>/progress/", scans.scan_progress, name="scan_progress"),
    path("imports/<uuid:report>/", imports.import_detail, name="import"),
    path("imports/<uuid:report>/progress/", imports.import_progress, name="import_progress"),
    path("alerts/<int:alert>/read/", imports.alert_read, name="alert_read"),
    path("center/", center.center, name="center"),
    path("center/campaign/", center.campaign, name="campaign"),
]
