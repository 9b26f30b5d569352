"""The issue's journey in a real browser, in French: a business signs up, proves control of its
domain, scans it, follows the scan live, reads what to do; an outsider cannot see any of it.

Given a running lab (a fake small business with known weaknesses), the served portal and its
worker. Each step does what a person does: read the values on the page, publish the DNS
record, press the buttons.
"""

from __future__ import annotations

import random
import re

import pytest
from django.utils import translation
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rempart.knowledge.loader import guidance_for
from rempart.lab.control import publish_txt
from tests.e2e.actions import (
    UUID_RE,
    org_id_from,
    random_siren,
    sign_up,
    siren_with_key,
    submit,
    switch_language,
)

pytestmark = pytest.mark.lab

SCAN_DEADLINE_MS = 60_000
ACTIVE_FAMILIES = ("tls.", "web.", "net.")  # only a verified asset gets them (design.md §4)


def test_the_luhn_key_of_known_sirens() -> None:
    assert siren_with_key("73282932") == "732829320"
    assert siren_with_key("55210055") == "552100554"


def french(msgid: str) -> str:
    """The French of a UI message, from the shipped catalogue; it must be translated."""
    with translation.override("fr"):
        text = translation.gettext(msgid)
    assert text != msgid, f"no French translation of {msgid!r}"
    return text


def test_the_portal_speaks_french_to_a_browser_in_another_language(new_page) -> None:
    page = new_page(locale="de-DE")  # neither French nor English: the default applies
    page.goto("/")
    assert page.get_attribute("html", "lang") == "fr"
    signup = page.locator("header a[href='/account/signup/']")
    assert signup.inner_text().strip() == french("Sign up your business")


def _pick_business(truth: dict) -> tuple[str, str]:
    """A lab business whose weaknesses include one only an active scan finds, with guidance."""
    for business in truth["businesses"]:
        active = sorted(
            c for c in business["fail"] if c.startswith(ACTIVE_FAMILIES) and guidance_for(c)
        )
        if active:
            return business["domain"], active[0]
    raise AssertionError("the lab has no business with an active finding")


def _prove_control(page, domain: str) -> None:
    """Declare the domain, read the TXT record on the page, publish it, press "check now"."""
    page.goto(f"/o/{org_id_from(page.url)}/assets/")
    page.select_option("#add-asset-form [name=kind]", "domain")
    page.fill("#add-asset-form [name=name]", domain)
    submit(page, "#add-asset-form")
    assert re.search(rf"/assets/{UUID_RE}/$", page.url), page.url
    assert page.locator(".badge.ok").count() == 0  # not verified yet
    name, value = page.inner_text("#txt-name").strip(), page.inner_text("#txt-value").strip()
    assert name == f"_rempart-challenge.{domain}"
    assert value.startswith("rempart-verification=")
    publish_txt(name, value)  # what the owner does in the DNS zone of the domain
    submit(page, "#verify-form")
    badge = page.locator("dl.facts .badge.ok")
    assert badge.count() == 1, page.inner_text("main")
    assert badge.inner_text().strip() == french("Verified")


def _follow_scan(page, portal) -> None:
    """Press "scan now"; the progress region updates by itself (htmx) until the scan ends."""
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/progress/") else None)
    submit(page, "#scan-form")
    assert re.search(rf"/scans/{UUID_RE}/$", page.url), page.url
    live = page.locator("[aria-live=polite] #scan-progress")
    assert live.get_attribute("hx-trigger") == "every 1s", "the scan ended before it was shown"
    page.evaluate("window.__samePage = true")  # gone if anything reloads the whole page
    try:
        page.wait_for_selector("#scan-progress:not([hx-trigger])", timeout=SCAN_DEADLINE_MS)
    except PlaywrightTimeout:
        raise AssertionError(
            f"the scan did not finish within {SCAN_DEADLINE_MS // 1000} s; the page says "
            f"{live.inner_text()!r}. Did a worker receive it (rempart.scans.run)?\n"
            + portal.log_tail()
        ) from None
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"
    assert polls, "no live progress request was made"
    assert page.get_attribute("#scan-progress-bar", "value") == "100"
    page.reload()  # the results are rendered with the finished page
    assert page.locator("#result-heading").count() == 1, page.inner_text("main")


def _open_finding(page, check_id: str) -> str:
    """From the scan's results to the findings list, then the finding's own page."""
    guidance = guidance_for(check_id)
    assert guidance is not None
    title_fr = guidance.text("fr").title
    with page.expect_navigation():
        page.locator("main a[href^='/o/'][href$='/findings/']").click()
    page.get_by_role("link", name=title_fr, exact=True).first.click()
    page.wait_for_url(re.compile(rf"/findings/{UUID_RE}/$"))
    return page.url


def test_a_business_signs_up_proves_control_scans_and_reads_its_guidance(
    lab, portal, new_page
) -> None:
    domain, check_id = _pick_business(lab.truth)
    guidance = guidance_for(check_id)
    assert guidance is not None
    fr, en = guidance.text("fr"), guidance.text("en")
    rng = random.Random()
    alice = new_page()

    alice.goto("/")
    assert alice.get_attribute("html", "lang") == "fr"
    sign_up(
        alice,
        company="Fromagerie Alice",
        siren=random_siren(rng),
        email=f"alice-{rng.randrange(10**6)}@{domain}",
        full_name="Alice Martin",
    )
    assert re.search(rf"/o/{UUID_RE}/$", alice.url), alice.url  # her dashboard
    _prove_control(alice, domain)
    _follow_scan(alice, portal)
    finding_url = _open_finding(alice, check_id)

    assert alice.inner_text("h1").strip() == fr.title
    body = alice.inner_text("main")
    assert fr.why.split("\n")[0].strip()[:60] in body  # the French "why it matters"
    assert check_id in body

    switch_language(alice, "en")
    assert alice.url == finding_url
    assert alice.get_attribute("html", "lang") == "en"
    assert alice.inner_text("h1").strip() == en.title
    assert en.why.split("\n")[0].strip()[:60] in alice.inner_text("main")

    charlie = new_page()
    sign_up(
        charlie,
        company="Garage Charlie",
        siren=random_siren(rng),
        email=f"charlie-{rng.randrange(10**6)}@garage.lab",
        full_name="Charlie Le Goff",
    )
    response = charlie.goto(finding_url)
    assert response is not None and response.status == 404
    assert fr.title not in charlie.content() and en.title not in charlie.content()
