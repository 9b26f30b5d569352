"""The knowledge catalog's plain-language guidance, in the language of the current request.

The catalog is read once per process (``load_guidance`` is cached), so looking a check up on
every row of a page costs no query and no file read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import get_language

from rempart.engine.catalog import CATALOG
from rempart.knowledge.loader import EFFORT_LABELS, WHO_LABELS, guidance_for, language_of

_STEP_NUMBER = re.compile(r"^\s*\d+[.)]\s*")


@dataclass(frozen=True, slots=True)
class Advice:
    check_id: str
    title: str
    why: str
    steps: tuple[str, ...]
    who: str
    effort: str


def current_language() -> str:
    return language_of(get_language() or "fr")


def advice_for(check_id: str) -> Advice | None:
    """The guidance of ``check_id`` in the request's language; None for an unknown id
    (an imported report's own rule id, for instance)."""
    guidance = guidance_for(check_id)
    if guidance is None:
        return None
    lang = current_language()
    text = guidance.text(lang)
    # The catalog numbers its steps ("1. …"); the page shows them in an ordered list.
    steps = tuple(
        _STEP_NUMBER.sub("", line).strip() for line in text.what_to_do.splitlines() if line.strip()
    )
    return Advice(
        check_id=check_id,
        title=text.title,
        why=text.why,
        steps=steps,
        who=WHO_LABELS[lang][guidance.who],
        effort=EFFORT_LABELS[lang][guidance.effort],
    )


def plain_title(check_id: str, fallback: str = "") -> str:
    """The plain-language title of a check, else the engine's title, else ``fallback``."""
    advice = advice_for(check_id)
    if advice is not None:
        return advice.title
    spec = CATALOG.get(check_id)
    if spec is not None:
        return spec.title
    return fallback or check_id


def who_can_fix(check_id: str) -> str:
    advice = advice_for(check_id)
    return advice.who if advice else ""
