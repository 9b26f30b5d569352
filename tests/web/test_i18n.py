"""French first: every string the platform shows has a French translation, compiled and shipped.

The test extracts the messages from the code and templates exactly as a translator would
(`makemessages`, on a copy of the sources), so a new English string without its French
translation fails here instead of reaching a business manager in English.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

import rempart.web

WEB = Path(rempart.web.__file__).parent
PO = WEB / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    if not shutil.which("xgettext"):
        pytest.skip("I18N TEST SKIPPED: GNU gettext (xgettext) is not installed")
    copy = tmp_path_factory.mktemp("web") / "web"
    shutil.copytree(WEB, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        here = os.getcwd()
        os.chdir(copy)
        try:
            call_command("makemessages", locale=["fr"], verbosity=0, no_obsolete=True)
        finally:
            os.chdir(here)
    return polib.pofile(str(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"))


def test_every_message_of_the_code_has_a_french_translation(extracted):
    assert len(extracted) > 100, "suspiciously few messages extracted"
    missing = [e.msgid for e in extracted if not e.translated() and not e.obsolete]
    assert not missing, f"{len(missing)} messages without French: {missing[:20]}"


def test_no_translation_is_left_fuzzy():
    fuzzy = [e.msgid for e in polib.pofile(str(PO)) if "fuzzy" in e.flags]
    assert not fuzzy, fuzzy[:20]


def test_the_compiled_catalog_is_the_current_one(tmp_path):
    if not shutil.which("msgfmt"):
        pytest.skip("I18N TEST SKIPPED: GNU gettext (msgfmt) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    assert _same(fresh, MO), "django.mo is older than django.po: run compilemessages"


def _same(a: Path, b: Path) -> bool:
    first = {e.msgid: e.msgstr for e in polib.mofile(str(a))}
    second = {e.msgid: e.msgstr for e in polib.mofile(str(b))}
    return first == second


def test_the_portal_speaks_french_by_default_and_english_on_request(client):
    response = client.get("/account/login/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
    with translation.override("fr"):
        assert translation.gettext("Log in") != "Log in"
