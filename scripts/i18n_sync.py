"""Refresh the French catalog: extract every message, fill translations, compile.

    .venv/bin/python scripts/i18n_sync.py [TRANSLATIONS.json …]

Each JSON file maps an English msgid to its French msgstr (a plural entry maps to a list of
the two French forms). Existing translations are kept; a message still untranslated at the
end is listed and the exit status is 1. Run under ``flock /tmp/rempart-i18n.lock`` when
several people (or helpers) work in one checkout, since the catalog is one file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src" / "rempart" / "web"
PO = WEB / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def main(argv: list[str]) -> int:
    env = dict(os.environ, PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="tests.web_settings")
    admin = [sys.executable, "-m", "django"]
    subprocess.run(
        [*admin, "makemessages", "-l", "fr", "--no-obsolete", "-v", "0"],
        cwd=WEB, env=env, check=True,
    )
    given: dict[str, object] = {}
    for name in argv:
        given.update(json.loads(Path(name).read_text(encoding="utf-8")))
    catalog = polib.pofile(str(PO))
    missing = []
    for entry in catalog:
        if entry.obsolete:
            continue
        value = given.get(entry.msgid)
        if entry.msgid_plural:
            if isinstance(value, list) and len(value) == 2:
                entry.msgstr_plural = {0: value[0], 1: value[1]}
                _unfuzz(entry)
        elif isinstance(value, str) and value:
            entry.msgstr = value
            _unfuzz(entry)
        if not entry.translated() or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    catalog.save(str(PO))
    subprocess.run([*admin, "compilemessages", "-l", "fr", "-v", "0"], cwd=WEB, env=env, check=True)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


def _unfuzz(entry: polib.POEntry) -> None:
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    entry.previous_msgid = None
    entry.previous_msgid_plural = None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
