"""Reports in a real browser, in French: the owner of a scanned business asks for a report on
the Rapports page, watches the served worker finish it, reads it in the browser, downloads the
PDF (its text names the business and has the "Synthèse"); then, logged out, anyone opens the
public attestation from its serial, uploads the PDF to /attestations/verify/ and reads "valide",
and uploads tampered copies (the PDF and the JSON, the grade changed) and reads the refusal.

Every portal page is checked by axe-core (no "serious" or "critical" violation). Artifacts in
REMPART_E2E_ARTIFACTS: a full-page screenshot of each step (``reports-<step>.png``) and each
page of the PDF rendered to PNG (``reports-e2e-p<N>.png``).
"""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rempart.attestation import ATTACHMENT_NAME, document_from_bytes
from rempart.lab.control import publish_txt
from tests.e2e.actions import PASSWORD, UUID_RE, log_in, random_siren, submit
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.lab

REPORT_DEADLINE_MS = 90_000
NAME = "Quincaillerie Rapport"


@pytest.fixture(scope="module")
def owner(portal, lab) -> dict:
    """An owner whose business proved control of a weak lab domain and was scanned."""
    weakest = max(lab.truth["businesses"], key=lambda b: len(b["fail"]))
    rng = random.Random()
    email = f"rapport-{rng.randrange(10**6)}@{weakest['domain']}"
    seeded = portal.orm("business", email, PASSWORD, NAME, random_siren(rng), weakest["domain"])
    publish_txt(seeded["txt_name"], seeded["txt_value"])
    proof = portal.orm("verify", seeded["asset"])
    assert proof["verified"], proof["error"]
    scanned = portal.orm("scan", seeded["asset"], "120")
    assert scanned["status"] in ("done", "partial") and scanned["findings"], scanned
    return {**seeded, "email": email}


def _shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"reports-{name}.png"), full_page=True)


def _pdf_text_and_pages(pdf_bytes: bytes, artifacts: Path) -> tuple[str, int]:
    """The PDF's text, and each page rendered to PNG as a person would see it."""
    pdf = pypdfium2.PdfDocument(pdf_bytes)
    try:
        texts = []
        for number, pdf_page in enumerate(pdf, start=1):
            textpage = pdf_page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            image = pdf_page.render(scale=1.5).to_pil()
            image.save(artifacts / f"reports-e2e-p{number}.png")
            pdf_page.close()
        return "\n".join(texts), len(pdf)
    finally:
        pdf.close()


def _tampered_document(pdf_bytes: bytes) -> tuple[bytes, str]:
    """The PDF's attestation with its grade letter changed, and the letter it now claims."""
    document = document_from_bytes(pdf_bytes)
    assert document is not None, "the PDF carries no attestation"
    data = json.loads(document)
    grade = data["payload"]["grade"]
    assert grade["letter"] in tuple("ABCDE"), grade
    grade["letter"] = "A" if grade["letter"] != "A" else "B"
    return json.dumps(data, ensure_ascii=False, indent=2).encode(), grade["letter"]


def _tampered_pdf(pdf_bytes: bytes, document: bytes) -> bytes:
    """The same PDF, its attached attestation replaced by ``document`` (pdfium rewrites it)."""
    pdf = pypdfium2.PdfDocument(pdf_bytes)
    try:
        for index in range(pdf.count_attachments()):
            attachment = pdf.get_attachment(index)
            if attachment.get_name() == ATTACHMENT_NAME:
                attachment.set_data(document)
        buffer = io.BytesIO()
        pdf.save(buffer)
        return buffer.getvalue()
    finally:
        pdf.close()


def _upload(page, path: Path) -> str:
    page.goto("/attestations/verify/")
    page.set_input_files("#verify-form input[name=file]", str(path))
    submit(page, "#verify-form")
    return page.locator("#verdict").inner_text()


def test_an_owner_gets_a_signed_report_that_anyone_can_check(
    portal, new_page, owner, artifacts, tmp_path
) -> None:
    page = new_page()
    log_in(page, owner["email"])
    org = owner["org"]

    # The Rapports page, from the menu: what a report is, the request form, no report yet.
    with page.expect_navigation():
        page.locator(f"header nav a[href='/o/{org}/reports/']").click()
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("#report-form").count() == 1
    _shot(page, artifacts, "1-list")
    assert_accessible(page)

    # Ask for a French report: the page of the report follows the worker's progress.
    page.select_option("#report-form select[name=lang]", "fr")
    submit(page, "#report-form")
    assert re.search(rf"/reports/{UUID_RE}/$", page.url), page.url
    report_url = page.url
    assert page.locator("[aria-live=polite] #report-progress").count() == 1
    _shot(page, artifacts, "2-progress")
    assert_accessible(page)
    try:
        page.wait_for_selector("#report-progress:not([hx-trigger])", timeout=REPORT_DEADLINE_MS)
    except PlaywrightTimeout:
        pytest.fail(f"the report did not finish:\n{portal.log_tail()}")

    # Done: the page now offers the PDF, the HTML view and the public attestation.
    page.goto(report_url)
    assert page.locator("#report-error").count() == 0, page.inner_text("main")
    pdf_link = page.locator("main a[href$='/pdf/']").first
    html_link = page.locator("main a[href$='/html/']")
    serial_link = page.locator("main a[href^='/attestations/']")
    assert pdf_link.count() == 1 and html_link.count() == 1 and serial_link.count() == 1
    serial = serial_link.inner_text().strip()
    assert re.fullmatch(UUID_RE, serial), serial
    _shot(page, artifacts, "3-done")
    assert_accessible(page)

    # The HTML view: the same document as the PDF, summary first.
    with page.expect_navigation():
        html_link.click()
    body = page.inner_text("body")
    assert NAME in body and "Synthèse" in body
    _shot(page, artifacts, "4-html")

    # The PDF, downloaded as a person does: a real PDF naming the business, with its summary.
    page.goto(report_url)
    with page.expect_download() as download_info:
        page.locator("main a[href$='/pdf/']").first.click()
    pdf_path = tmp_path / "rapport.pdf"
    download_info.value.save_as(pdf_path)
    pdf_bytes = pdf_path.read_bytes()
    assert pdf_bytes.startswith(b"%PDF-")
    text, pages = _pdf_text_and_pages(pdf_bytes, artifacts)
    assert pages >= 2, pages  # the summary alone on page 1, then the details
    assert NAME in text and "Synthèse" in text, text[:800]
    assert serial in "".join(text.split()), "the footer names the attestation's serial"

    # Logged out, anyone: the public attestation page from the serial says it verifies.
    public = new_page()
    public.goto(f"/attestations/{serial}/")
    assert public.get_attribute("html", "lang") == "fr"
    verdict = public.locator("#verdict")
    assert verdict.inner_text().startswith("Valide"), verdict.inner_text()
    assert NAME in public.locator("#attestation-facts").inner_text()
    _shot(public, artifacts, "5-attestation")
    assert_accessible(public)

    # Upload the PDF to the verification page: valid.
    assert _upload(public, pdf_path).startswith("Valide")
    assert public.locator(f"a[href='/attestations/{serial}/']").count() == 1
    _shot(public, artifacts, "6-verify-valid")
    assert_accessible(public)

    # The attestation with a better grade: the JSON, then the PDF carrying it, are refused.
    document, claimed = _tampered_document(pdf_bytes)
    tampered_json = tmp_path / "attestation-modifiee.json"
    tampered_json.write_bytes(document)
    refusal = _upload(public, tampered_json)
    assert refusal.startswith("Non valide"), refusal
    assert public.locator("p.msg.error#verdict").count() == 1
    _shot(public, artifacts, "7-verify-tampered-json")
    assert_accessible(public)
    tampered_pdf = tmp_path / "rapport-modifie.pdf"
    tampered_pdf.write_bytes(_tampered_pdf(pdf_bytes, document))
    assert (
        json.loads(document_from_bytes(tampered_pdf.read_bytes()) or b"{}")["payload"]["grade"][
            "letter"
        ]
        == claimed
    )
    refusal = _upload(public, tampered_pdf)
    assert refusal.startswith("Non valide"), refusal
    _shot(public, artifacts, "8-verify-tampered-pdf")
