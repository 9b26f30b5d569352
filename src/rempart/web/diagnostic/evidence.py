"""What the diagnostic and the plan know of a business's findings, and the questionnaire in use.

Findings are read with ``.values()`` (a business with thousands of findings costs one query and
no model instances), then turned into the plain ``EvidenceFinding`` of the diagnostic model,
**one per kind of problem** (check id): the action is the same on every place ("close remote
desktop" on three hosts is one thing to do), and a 100,000-result import must not become a plan
of 100,000 items (measured before grouping: 20,000 findings gave 20,000 items, a 3 s sync and
a 2 s plan). Each kind is represented by its oldest open finding, so the plan item's key stays
the same while any finding of that kind is open; its severity, exploitation and EPSS are the
worst of the kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q

from rempart.diagnostic.model import EvidenceFinding, Questionnaire
from rempart.engine.catalog import CATALOG
from rempart.knowledge.loader import guidance_for, language_of
from rempart.knowledge.questionnaire import load_questionnaire
from rempart.web.findings.models import ACTIVE_STATUSES, SEVERITY_RANK, Finding, FindingStatus
from rempart.web.orgs.models import Organisation

FIELDS = (
    "id",
    "check_id",
    "title",
    "severity",
    "location",
    "known_exploited",
    "ransomware",
    "epss",
    "fix",
)
# An SBOM or inventory component ("pkg:pypi/…") is not reachable from the internet by itself.
NOT_EXPOSED_PREFIX = "pkg:"


def current_questionnaire() -> Questionnaire:
    """The questionnaire version new answers are given under (the newest shipped)."""
    return load_questionnaire()


def evidence_for(org: Organisation, lang: str) -> list[EvidenceFinding]:
    """The open findings of ``org`` (open or reopened), in ``lang``."""
    rows = (
        Finding.objects.filter(organisation=org, status__in=ACTIVE_STATUSES)
        .order_by("first_seen", "id")
        .values(*FIELDS)
    )
    return to_evidence(rows, lang)


def evidence_at(org: Organisation, when: datetime, lang: str = "fr") -> list[EvidenceFinding]:
    """The findings that were open at ``when``, as far as the record tells: seen by then and
    not fixed before. Human decisions are not dated per status here, so a false positive
    never counts and an accepted risk counts as open (it was, until accepted)."""
    rows = (
        Finding.objects.filter(organisation=org, first_seen__lte=when)
        .filter(Q(fixed_at__isnull=True) | Q(fixed_at__gt=when))
        .exclude(status=FindingStatus.FALSE_POSITIVE)
        .order_by("first_seen", "id")
        .values(*FIELDS)
    )
    return to_evidence(rows, lang)


def to_evidence(rows: Iterable[Mapping[str, Any]], lang: str) -> list[EvidenceFinding]:
    """One EvidenceFinding per check id, from rows oldest first (see the module's docstring)."""
    lang = language_of(lang)
    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        kinds.setdefault(row["check_id"], []).append(row)
    return [_kind(check_id, group, lang) for check_id, group in kinds.items()]


def _kind(check_id: str, group: list[Mapping[str, Any]], lang: str) -> EvidenceFinding:
    row = group[0]
    worst = max(group, key=lambda r: SEVERITY_RANK.get(r["severity"], 0))
    epss = [r["epss"] for r in group if r["epss"] is not None]
    guidance = guidance_for(check_id)
    title, why, what = "", "", row.get("fix") or ""
    if guidance is not None:
        text = guidance.text(lang)
        title, why, what = text.title, text.why, text.what_to_do
    elif check_id in CATALOG:
        title = CATALOG[check_id].title
    return EvidenceFinding(
        key=str(row["id"]),
        check_id=check_id,
        title=title or row["title"] or check_id,
        severity=worst["severity"],
        location=row["location"],
        known_exploited=any(r["known_exploited"] for r in group),
        ransomware=any(r["ransomware"] for r in group),
        epss=max(epss) if epss else None,
        exposed=any(not r["location"].startswith(NOT_EXPOSED_PREFIX) for r in group),
        who=guidance.who if guidance else "it_provider",
        effort=guidance.effort if guidance else "hours",
        why=why,
        what_to_do=what,
        places=len(group),
    )
