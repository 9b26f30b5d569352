from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("rempart.web.api.urls")),
    path("account/", include("rempart.web.orgs.urls")),
    path("attestations/", include("rempart.web.reports.public_urls")),
    path("", include("rempart.web.reports.urls")),
    path("", include("rempart.web.portal.urls")),
]
