"""Importing a report in a real browser, in French: an owner uploads a software list (a real
CycloneDX SBOM, tests/data/reports/cyclonedx/jake2.json), follows its import live, reads the
result, opens the software page and the finding of one vulnerable component.

The served portal imports through its own worker (``rempart serve``). Every page on the way is
checked by axe-core (no "serious" or "critical" violation). Screenshots of each page are saved
in REMPART_E2E_ARTIFACTS (default: ``e2e-artifacts`` in pytest's base temporary folder).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.actions import PASSWORD, UUID_RE, log_in, random_siren, submit
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.lab

SBOM = Path(__file__).resolve().parents[1] / "data" / "reports" / "cyclonedx" / "jake2.json"
IMPORT_DEADLINE_MS = 60_000


@pytest.fixture(scope="module")
def owner(portal, lab) -> dict:
    rng = random.Random()
    domain = lab.truth["businesses"][0]["domain"]
    email = f"import-{rng.randrange(10**6)}@{domain}"
    seeded = portal.orm("business", email, PASSWORD, "Librairie Import", random_siren(rng), domain)
    return {**seeded, "email": email}


def _shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"imports-{name}.png"), full_page=True)


def test_an_owner_imports_an_sbom_and_sees_the_software_to_update(
    portal, new_page, owner, artifacts
) -> None:
    page = new_page()
    log_in(page, owner["email"])
    org = owner["org"]

    # The imports page, reached from the menu, with its upload form.
    with page.expect_navigation():
        page.locator(f"header nav a[href='/o/{org}/imports/']").click()
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("#import-form").count() == 1
    options = page.locator("#import-form select[name=format] option")
    assert options.count() > 10  # "detect automatically" and every format rempart reads
    _shot(page, artifacts, "1-form")
    assert_accessible(page)

    # Upload, as a person does: choose the file, name what it covers, press the button.
    page.set_input_files("#import-form input[name=file]", str(SBOM))
    page.fill("#import-form input[name=scope]", "boutique en ligne")
    submit(page, "#import-form")
    assert re.search(rf"/imports/{UUID_RE}/$", page.url), page.url
    assert page.locator("h1").inner_text().strip().endswith("jake2.json")
    progress = page.locator("[aria-live=polite] #import-progress")
    assert progress.count() == 1, page.inner_text("main")
    assert page.locator("#import-progress-bar").count() == 1
    _shot(page, artifacts, "2-progress")
    try:
        page.wait_for_selector("#import-progress:not([hx-trigger])", timeout=IMPORT_DEADLINE_MS)
    except PlaywrightTimeout:
        raise AssertionError(
            f"the import did not finish within {IMPORT_DEADLINE_MS // 1000} s; the page says "
            f"{progress.inner_text()!r}\n" + portal.log_tail()
        ) from None
    assert page.get_attribute("#import-progress-bar", "value") == "100"
    page.reload()  # the result is rendered with the finished page
    assert page.locator("#import-error").count() == 0, page.inner_text("main")
    assert page.locator("#result-heading").count() == 1, page.inner_text("main")
    result = page.inner_text("#result-heading + ul")
    assert re.search(r"\b[1-9]\d*\b", result), result  # new problems were opened
    assert "67" in page.inner_text("main")  # the SBOM lists 67 components
    _shot(page, artifacts, "3-result")
    assert_accessible(page)

    # The software page: the vulnerable components first, each with the version to install.
    # cryptography 36.0.1 is hit by CVE-2023-49083, fixed in 41.0.6 (PyPI advisory database).
    with page.expect_navigation():
        page.locator(f"header nav a[href='/o/{org}/software/']").click()
    vulnerable = page.locator("section[aria-labelledby=vulnerable-heading]")
    assert vulnerable.count() == 1, page.inner_text("main")
    names = [h.strip() for h in vulnerable.locator("article h3").all_inner_texts()]
    assert "Django 2.0" in names and "cryptography 36.0.1" in names, names
    card = vulnerable.locator("article", has_text="cryptography 36.0.1")
    row = card.locator("tbody tr", has_text="CVE-2023-49083")
    assert "41.0.6" in row.inner_text()
    assert page.locator("section[aria-labelledby=other-heading] table tbody tr").count() > 0
    _shot(page, artifacts, "4-software")
    assert_accessible(page)

    # That vulnerability's finding, with the facts of its CVE and the version to install.
    with page.expect_navigation():
        row.locator("th a").click()
    assert re.search(rf"/findings/{UUID_RE}/$", page.url), page.url
    assert page.locator("#cve-facts").count() == 1, page.inner_text("main")
    assert "CVE-2023-49083" in page.inner_text("#cve-facts")
    assert "41.0.6" in page.inner_text("dl.facts")
    _shot(page, artifacts, "5-finding")
    assert_accessible(page)

    # The alerts page (none yet) and the history that lists the import.
    page.goto(f"/o/{org}/alerts/")
    assert_accessible(page)
    page.goto(f"/o/{org}/imports/")
    assert "jake2.json" in page.inner_text("main table")
    assert "boutique en ligne" in page.inner_text("main table")
    _shot(page, artifacts, "6-history")
    assert_accessible(page)
