"""What the diagnostic and the plan know of a business's findings, and the questionnaire in use.

Findings are read with ``.values()`` (a business with thousands of findings costs one query and
no model instances), then turned into the plain ``EvidenceFinding`` of the diagnostic model.
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
from rempart.web.findings.models import ACTIVE_STATUSES, Finding, FindingStatus
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
    rows = Finding.objects.filter(organisation=org, status__in=ACTIVE_STATUSES).values(*FIELDS)
    return to_evidence(rows, lang)


def evidence_at(org: Organisation, when: datetime, lang: str = "fr") -> list[EvidenceFinding]:
    """The findings that were open at ``when``, as far as the record tells: seen by then and
    not fixed before. Human decisions are not dated per status here, so a false positive
    never counts and an accepted risk counts as open (it was, until accepted)."""
    rows = (
        Finding.objects.filter(organisation=org, first_seen__lte=when)
        .filter(Q(fixed_at__isnull=True) | Q(fixed_at__gt=when))
        .exclude(status=FindingStatus.FALSE_POSITIVE)
        .values(*FIELDS)
    )
    return to_evidence(rows, lang)


def to_evidence(rows: Iterable[Mapping[str, Any]], lang: str) -> list[EvidenceFinding]:
    lang = language_of(lang)
    found = []
    for row in rows:
        check_id = row["check_id"]
        guidance = guidance_for(check_id)
        title, why, what = "", "", row.get("fix") or ""
        if guidance is not None:
            text = guidance.text(lang)
            title, why, what = text.title, text.why, text.what_to_do
        elif check_id in CATALOG:
            title = CATALOG[check_id].title
        found.append(
            EvidenceFinding(
                key=str(row["id"]),
                check_id=check_id,
                title=title or row["title"] or check_id,
                severity=row["severity"],
                location=row["location"],
                known_exploited=row["known_exploited"],
                ransomware=row["ransomware"],
                epss=row["epss"],
                exposed=not row["location"].startswith(NOT_EXPOSED_PREFIX),
                who=guidance.who if guidance else "it_provider",
                effort=guidance.effort if guidance else "hours",
                why=why,
                what_to_do=what,
            )
        )
    return found
