"""The portal's report pages, the API, and the public attestation register."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from rempart.attestation import sign
from rempart.web.reports.models import Report, ReportStatus
from rempart.web.reports.services import pdf_file
from tests.web.conftest import otp_login
from tests.web.reports.conftest import generate

pytestmark = pytest.mark.django_db


def test_the_owner_requests_a_report_and_downloads_it(client, business, settings):
    otp_login(client, business.alice)
    page = client.get(reverse("reports:list", kwargs={"org": business.org_a.pk}))
    assert page.status_code == 200 and b"Generate the report" in page.content
    response = client.post(
        reverse("reports:list", kwargs={"org": business.org_a.pk}), {"lang": "en"}
    )
    report = Report.objects.get(organisation=business.org_a)
    assert response.status_code == 302 and str(report.pk) in response["Location"]
    assert report.status == ReportStatus.QUEUED and report.lang == "en"
    from rempart.web.reports.services import run_report

    run_report(str(report.pk))
    detail = client.get(reverse("reports:detail", kwargs={"report": report.pk}))
    assert b"Download the PDF" in detail.content
    progress = client.get(reverse("reports:progress", kwargs={"report": report.pk}))
    assert b"hx-get" not in progress.content  # finished: the polling stops
    pdf = client.get(reverse("reports:pdf", kwargs={"report": report.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    html = client.get(reverse("reports:html", kwargs={"report": report.pk}))
    assert html.status_code == 200 and "default-src 'none'" in html["Content-Security-Policy"]
    assert b"Boulangerie Alice" in html.content


def test_a_queued_report_is_polled(client, business):
    from rempart.web.reports.services import do_request_report

    report = do_request_report(business.org_a, business.alice, queue=False)
    otp_login(client, business.alice)
    progress = client.get(reverse("reports:progress", kwargs={"report": report.pk}))
    assert b"hx-get" in progress.content
    assert client.get(reverse("reports:pdf", kwargs={"report": report.pk})).status_code == 404


def test_a_member_reads_but_cannot_request_and_outsiders_get_404(client, business):
    report = generate(business.org_a, business.alice)
    otp_login(client, business.bob)
    assert client.get(reverse("reports:pdf", kwargs={"report": report.pk})).status_code == 200
    refused = client.post(
        reverse("reports:list", kwargs={"org": business.org_a.pk}), {"lang": "fr"}
    )
    assert refused.status_code == 404
    assert Report.objects.filter(organisation=business.org_a).count() == 1
    otp_login(client, business.charlie)
    for name in ("detail", "pdf", "html", "progress"):
        assert (
            client.get(reverse(f"reports:{name}", kwargs={"report": report.pk})).status_code == 404
        )
    assert client.get(reverse("reports:list", kwargs={"org": business.org_a.pk})).status_code == 404


def test_the_api_requests_follows_and_downloads(business):
    from rest_framework.test import APIClient

    from rempart.web.reports.services import run_report

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=business.alice).key}")
    created = api.post(
        f"/api/organisations/{business.org_a.pk}/reports/", {"lang": "fr"}, format="json"
    )
    assert created.status_code == 202, created.content
    report_id = created.json()["id"]
    assert created.json()["status"] == "queued"
    assert api.get(f"/api/reports/{report_id}/pdf/").status_code == 404
    run_report(report_id)
    detail = api.get(f"/api/reports/{report_id}/").json()
    assert detail["status"] == "done" and detail["attestation"] and detail["pages"] >= 4
    pdf = api.get(f"/api/reports/{report_id}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-")
    listed = api.get(f"/api/organisations/{business.org_a.pk}/reports/").json()
    assert [r["id"] for r in listed["results"]] == [report_id]
    bad = api.post(
        f"/api/organisations/{business.org_a.pk}/reports/", {"lang": "de"}, format="json"
    )
    assert bad.status_code == 400
    outsider = APIClient()
    outsider.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=business.charlie).key}"
    )
    assert outsider.get(f"/api/reports/{report_id}/").status_code == 404
    assert outsider.get(f"/api/reports/{report_id}/pdf/").status_code == 404


# -- the public register --------------------------------------------------------------------


def test_the_register_page_is_public_and_verifies(client, business):
    report = generate(business.org_a, business.alice)
    page = client.get(reverse("attestations:detail", kwargs={"serial": report.attestation_id}))
    assert page.status_code == 200
    assert b"Valid: this attestation was signed by the center" in page.content
    assert b"Boulangerie Alice" in page.content and b"732829320" in page.content
    french = client.get(
        reverse("attestations:detail", kwargs={"serial": report.attestation_id}),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "Valide\u00a0: cette attestation a été signée par le centre" in french.content.decode()
    key = client.get(reverse("attestations:key"))
    assert key.status_code == 200 and key.content.startswith(b"-----BEGIN PUBLIC KEY-----")


def _upload(client, data: bytes, name: str):
    return client.post(reverse("attestations:verify"), {"file": SimpleUploadedFile(name, data)})


def test_the_verify_page_checks_an_uploaded_pdf_and_json(client, business):
    report = generate(business.org_a, business.alice)
    assert client.get(reverse("attestations:verify")).status_code == 200
    pdf = pdf_file(report).read_bytes()
    valid = _upload(client, pdf, "rapport.pdf")
    assert valid.status_code == 200 and b"Valid: this attestation" in valid.content
    document = report.attestation.document
    assert _upload(client, json.dumps(document).encode(), "a.json").status_code == 200
    forged = copy.deepcopy(document)
    forged["payload"]["grade"]["letter"] = "A"
    tampered = _upload(client, json.dumps(forged).encode(), "a.json")
    assert tampered.status_code == 422 and b"tampered" in tampered.content
    other = sign(document["payload"], Ed25519PrivateKey.generate())
    unknown = _upload(client, json.dumps(other).encode(), "a.json")
    assert unknown.status_code == 422 and b"Unknown key" in unknown.content
    garbage = _upload(client, b"hello", "a.json")
    assert garbage.status_code == 422 and b"not a readable rempart attestation" in garbage.content
    from weasyprint import HTML

    bare = _upload(client, HTML(string="<p>x</p>").write_pdf(), "other.pdf")
    assert bare.status_code == 400 and b"carries no rempart attestation" in bare.content


def test_the_verify_page_refuses_big_files_in_words(client, settings):
    settings.REMPART_ATTESTATION_MAX_BYTES = 1024
    response = _upload(client, b"x" * 5000, "big.json")
    assert response.status_code == 413
    assert b"larger than" in response.content and b"Traceback" not in response.content
