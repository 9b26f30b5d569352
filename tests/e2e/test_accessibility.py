"""Accessibility (WCAG 2.1 AA) of the main pages, checked by axe-core in a real browser.

Given a business that has proven control of a lab domain and been scanned through the worker
(so that its pages hold real findings), its owner logged in, and a center analyst logged in
through the TOTP step: every page is loaded as its user sees it, and any violation axe rates
"serious" or "critical" fails the test with a readable list.
"""

from __future__ import annotations

import random
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe

from rempart.lab.control import publish_txt
from tests.e2e.actions import PASSWORD, log_in, random_siren, submit

pytestmark = pytest.mark.lab

BLOCKING = ("serious", "critical")
AXE = Axe()


def _scanned_business(portal, lab) -> dict[str, Any]:
    """A business owning the lab domain with the most weaknesses, verified and scanned."""
    richest = max(lab.truth["businesses"], key=lambda b: len(b["fail"]))
    rng = random.Random()
    email = f"owner-{rng.randrange(10**6)}@{richest['domain']}"
    seeded = portal.orm(
        "business", email, PASSWORD, "Cabinet Axe", random_siren(rng), richest["domain"]
    )
    publish_txt(seeded["txt_name"], seeded["txt_value"])
    proof = portal.orm("verify", seeded["asset"])
    assert proof["verified"], proof["error"]
    scanned = portal.orm("scan", seeded["asset"], "120")
    assert scanned["status"] in ("done", "partial"), scanned
    assert scanned["findings"], "the scan of the richest lab business found nothing"
    return {**seeded, **scanned, "email": email}


@pytest.fixture(scope="module")
def business(portal, lab) -> dict[str, Any]:
    return _scanned_business(portal, lab)


def _state_after(browser, portal, steps) -> dict:
    """Cookies of a fresh context once ``steps(page)`` has logged someone in."""
    context = browser.new_context(base_url=portal.base_url, locale="fr-FR")
    try:
        page = context.new_page()
        steps(page)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def owner(browser, portal, business) -> dict:
    return _state_after(browser, portal, lambda page: log_in(page, business["email"]))


@pytest.fixture(scope="module")
def analyst(browser, portal) -> dict:
    secret = pyotp.random_base32()
    email = f"analyste-{random.randrange(10**6)}@centre.lab"
    portal.orm("staff", email, PASSWORD, secret)

    def steps(page) -> None:
        log_in(page, email)
        assert "/account/totp/verify/" in page.url, page.url
        page.fill("form[action='/account/totp/verify/'] [name=code]", pyotp.TOTP(secret).now())
        submit(page, "form[action='/account/totp/verify/']")
        assert "/account/totp/" not in page.url, page.inner_text("main")

    return _state_after(browser, portal, steps)


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f"\n  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " > ".join(str(t) for t in node["target"])
            html = " ".join(node.get("html", "").split())[:160]
            lines.append(f"    at {target}\n       {html}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    results = AXE.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core, {page.url}:\n{readable(blocking)}"


PAGES = [
    ("landing", None, "/"),
    ("log-in", None, "/account/login/"),
    ("sign-up", None, "/account/signup/"),
    ("dashboard", "owner", "/o/{org}/"),
    ("assets", "owner", "/o/{org}/assets/"),
    ("asset", "owner", "/assets/{asset}/"),
    ("findings", "owner", "/o/{org}/findings/"),
    ("finding", "owner", "/findings/{finding}/"),
    ("scan", "owner", "/scans/{scan}/"),
    ("scans", "owner", "/o/{org}/scans/"),
    ("center", "analyst", "/center/"),
]


@pytest.mark.parametrize(("who", "path"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violation(request, new_page, business, who, path):
    state = request.getfixturevalue(who) if who else None
    page = new_page(storage_state=state)
    url = path.format(
        org=business["org"],
        asset=business["asset"],
        scan=business["scan"],
        finding=business["findings"][0]["id"],
    )
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, page.url)
    assert page.url.endswith(url), f"{url} led to {page.url}"
    assert_accessible(page)


def test_sign_up_with_errors_has_no_serious_accessibility_violation(new_page) -> None:
    """Error messages must be as reachable as the fields they describe."""
    page = new_page()
    page.goto("/account/signup/")
    page.fill("form[action='/account/signup/'] [name=siren]", "123 456 789")  # wrong key
    page.fill("form[action='/account/signup/'] [name=email]", "not an address")
    submit(page, "form[action='/account/signup/']")
    assert page.locator(".errorlist").count() >= 2, page.inner_text("main")
    assert_accessible(page)


def test_pages_are_accessible_in_english_too(new_page, owner, business) -> None:
    page = new_page(locale="en-GB", storage_state=owner)
    page.goto(f"/findings/{business['findings'][0]['id']}/")
    assert page.get_attribute("html", "lang") == "en"
    assert_accessible(page)


def test_the_checker_fails_on_a_serious_violation(new_page) -> None:
    """The check above can fail: an image without text and an unlabelled field are caught."""
    page = new_page()
    page.goto("/")
    page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend',
        '<img src="/static/rempart/none.png"><input type="text" name="unlabelled">')"""
    )
    with pytest.raises(AssertionError) as caught:
        assert_accessible(page)
    assert "image-alt (critical)" in str(caught.value)
    assert "label (critical)" in str(caught.value)
