"""What a person does in the browser, shared by the journey and the accessibility tests.

Elements are found by stable attributes (input names, form actions and ids), not by their
text: the French catalogue is filled last, and the tests must not depend on its wording.
"""

from __future__ import annotations

import random
import re

PASSWORD = "Tarte aux pommes 1987 !"
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def siren_with_key(prefix: str) -> str:
    """The 9-digit SIREN made of an 8-digit prefix and its Luhn key (INSEE's rule).

    Written here independently of rempart.web.orgs.siren, so that the test is its own oracle.
    """
    assert len(prefix) == 8 and prefix.isdigit()
    for key in "0123456789":
        digits = [int(c) for c in prefix + key]
        total = 0
        for index, value in enumerate(reversed(digits)):
            if index % 2 == 1:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        if total % 10 == 0:
            return prefix + key
    raise AssertionError("no Luhn key")  # one of the ten digits always fits


def random_siren(rng: random.Random) -> str:
    return siren_with_key(f"{rng.randrange(10**7, 10**8):08d}")


def submit(page, form_selector: str) -> None:
    """Press the submit button inside that form (and wait for the page it leads to)."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").click()


def sign_up(page, *, company: str, siren: str, email: str, full_name: str) -> None:
    page.goto("/account/signup/")
    form = "form[action='/account/signup/']"
    page.fill(f"{form} [name=name]", company)
    page.fill(f"{form} [name=siren]", f"{siren[:3]} {siren[3:6]} {siren[6:]}")
    page.fill(f"{form} [name=naf]", "10.71C")
    page.select_option(f"{form} [name=headcount]", "1-9")
    page.fill(f"{form} [name=departement]", "35")
    page.fill(f"{form} [name=full_name]", full_name)
    page.fill(f"{form} [name=email]", email)
    page.fill(f"{form} [name=password]", PASSWORD)
    page.fill(f"{form} [name=password2]", PASSWORD)
    submit(page, form)


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/account/login/")
    form = "form[action='/account/login/']"
    page.fill(f"{form} [name=email]", email)
    page.fill(f"{form} [name=password]", password)
    submit(page, form)


def org_id_from(url: str) -> str:
    found = re.search(rf"/o/({UUID_RE})/", url)
    assert found, f"not an organisation page: {url}"
    return found.group(1)


def switch_language(page, code: str) -> None:
    """The language form of the header, as a visitor uses it."""
    page.select_option("form.lang select[name=language]", code)
    submit(page, "form.lang")
