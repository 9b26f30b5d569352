"""The portal's report pages (namespace ``reports``). URL kwargs are named after their object
(``org``, ``report``): the tenant-wall test fills them with another business's ids."""

from django.urls import path

from rempart.web.reports import views

app_name = "reports"

urlpatterns = [
    path("o/<uuid:org>/reports/", views.report_list, name="list"),
    path("reports/<uuid:report>/", views.report_detail, name="detail"),
    path("reports/<uuid:report>/progress/", views.report_progress, name="progress"),
    path("reports/<uuid:report>/pdf/", views.report_pdf, name="pdf"),
    path("reports/<uuid:report>/html/", views.report_html, name="html"),
]
