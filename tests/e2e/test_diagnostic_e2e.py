"""The diagnostic in a real browser, in French: a business owner answers the context and a few
themes (one "Je ne sais pas"), saves a draft, comes back, submits partially, reads the
maturity page and the action plan, and marks an action done.

Elements are found by stable attributes (input names and values, ids, form actions), not by
their text. Every page on the way is checked by axe-core (no "serious" or "critical"
violation), and a full-page screenshot of each is saved in REMPART_E2E_ARTIFACTS as
``diagnostic-<step>.png``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from tests.e2e.actions import PASSWORD, log_in, random_siren
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.lab

# The context of a small bakery: fixed ids of the questionnaire (knowledge/diagnostic).
CONTEXT = {
    "ctx.headcount": "1-9",
    "ctx.workstations": "1-5",
    "ctx.servers": "onsite",
    "ctx.industrial": "no",
    "ctx.sensitive": "no",
    "ctx.website": "showcase",
    "ctx.remote": "no",
}
THEMES_ANSWERED = 3  # after the context: governance, accounts, mfa
# Everyone is administrator of their computer: a red flag (rules.toml "everyone-admin").
RED_FLAG_ANSWER = "input[name='answer-accounts.admin_rights'][value=everyone]"


@pytest.fixture(scope="module")
def owner(portal, lab) -> dict:
    rng = random.Random()
    domain = lab.truth["businesses"][0]["domain"]
    email = f"diag-{rng.randrange(10**6)}@{domain}"
    seeded = portal.orm("business", email, PASSWORD, "Boulangerie Diag", random_siren(rng), domain)
    return {**seeded, "email": email}


def _shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"diagnostic-{name}.png"), full_page=True)


def _press(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def _answer_theme(page, *, dont_know: bool) -> list[str]:
    """Pick the second choice of every question shown (a middle answer), or "I don't know"
    for the first question when asked; the question ids answered."""
    answered = []
    for position, fieldset in enumerate(page.locator("#theme-form fieldset.question").all()):
        radios = fieldset.locator("input[type=radio]")
        name = radios.first.get_attribute("name") or ""
        if dont_know and position == 0:
            fieldset.locator("input[value=dont_know]").check()
        else:
            radios.nth(1 if radios.count() > 2 else 0).check()
        answered.append(name.removeprefix("answer-"))
    return answered


def test_an_owner_fills_the_diagnostic_submits_and_acts_on_the_plan(
    portal, new_page, owner, artifacts
) -> None:
    page = new_page()
    log_in(page, owner["email"])
    org = owner["org"]

    # The overview, from the menu: nothing answered yet, an invitation to start.
    _press(page, f"header nav a[href='/o/{org}/diagnostic/']")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("#diagnostic-start").count() == 1
    assert page.locator("#submit-form").count() == 0
    _shot(page, artifacts, "1-overview")
    assert_accessible(page)

    # The context theme: its answers switch later questions off.
    _press(page, "#diagnostic-start")
    assert page.url.endswith(f"/o/{org}/diagnostic/context/"), page.url
    for qid, choice in CONTEXT.items():
        page.locator(f"input[name='answer-{qid}'][value='{choice}']").check()
    _shot(page, artifacts, "2-context")
    assert_accessible(page)
    _press(page, "#save-next")

    # The first scored theme: one "Je ne sais pas", a note, then a draft saved.
    first_theme = page.url
    assert re.search(rf"/o/{org}/diagnostic/[a-z_-]+/$", first_theme), first_theme
    assert page.locator("details.why").count() > 0  # "why we ask" for each question
    _answer_theme(page, dont_know=True)
    page.locator("#theme-form textarea").first.fill("Le neveu s'en occupe")
    _shot(page, artifacts, "3-theme")
    assert_accessible(page)
    _press(page, "#save-draft")
    assert page.url == first_theme
    assert page.locator("#theme-form input[value=dont_know]:checked").count() == 1

    # Later: the overview resumes at the first theme with a question left.
    page.goto(f"/o/{org}/diagnostic/")
    resume = page.locator("#diagnostic-start").get_attribute("href") or ""
    assert resume.startswith(f"/o/{org}/diagnostic/"), resume
    assert not resume.endswith("/context/") and not first_theme.endswith(resume)
    _press(page, "#diagnostic-start")
    for _ in range(THEMES_ANSWERED - 1):  # the next themes, answered in one go each
        _answer_theme(page, dont_know=False)
        if page.locator(RED_FLAG_ANSWER).count():
            page.locator(RED_FLAG_ANSWER).check()
        _press(page, "#save-next")
    _shot(page, artifacts, "4-next-theme")
    assert_accessible(page)

    # Submitting partially: the overview warns and lists what is unanswered.
    page.goto(f"/o/{org}/diagnostic/")
    assert page.locator("#submit-warning").count() == 1
    assert page.locator("#submit-warning details").count() >= 1
    _shot(page, artifacts, "5-submit")
    assert_accessible(page)
    _press(page, "#submit-form button[type=submit]")
    assert page.url.endswith(f"/o/{org}/maturity/"), page.url

    # The maturity page: the red flag first, an index shown as partial, theme bars and table.
    flags = page.locator("#red-flags li")
    assert flags.count() == 1, page.inner_text("main")
    assert page.locator("#red-flags ~ #maturity-index").count() == 1  # the flag comes first
    assert page.locator(".index-value").count() == 1
    assert page.locator("#completeness strong").count() == 1  # "Partiel : …"
    assert page.locator("svg.theme-bars rect.bar-index").count() >= 1
    assert page.locator("#theme-scores tbody tr").count() >= 1
    _shot(page, artifacts, "6-maturity")
    assert_accessible(page)

    # The plan: the week's actions stand out; one is marked done.
    _press(page, f"header nav a[href='/o/{org}/plan/']")
    week = page.locator("#this-week article.plan-item")
    assert week.count() == 5, page.inner_text("main")
    assert page.locator("#this-week a[href*='#q-']").count() >= 1  # back to the answer
    _shot(page, artifacts, "7-plan")
    assert_accessible(page)
    first = week.first
    item_id = first.get_attribute("id")
    _press(page, f"#{item_id} form.done-form button[type=submit]")
    assert page.locator(f"#plan-done #{item_id}").count() == 1
    assert page.locator(f"#this-week #{item_id}").count() == 0
    assert page.locator("#this-week article.plan-item").count() == 5  # the next one moves up
    _shot(page, artifacts, "8-plan-done")
    assert_accessible(page)

    # The dashboard: the maturity card and the actions of the week.
    page.goto(f"/o/{org}/")
    assert page.locator("#maturity-card .index-value").count() == 1
    assert page.locator("#week-card ol li").count() == 5
    _shot(page, artifacts, "9-dashboard")
    assert_accessible(page)
