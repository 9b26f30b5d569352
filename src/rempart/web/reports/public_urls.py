"""The public register of attestations (namespace ``attestations``): no log-in needed."""

from django.urls import path

from rempart.web.reports import public

app_name = "attestations"

urlpatterns = [
    path("key.pem", public.public_key, name="key"),
    path("verify/", public.verify_upload, name="verify"),
    path("<uuid:serial>/", public.attestation_detail, name="detail"),
]
