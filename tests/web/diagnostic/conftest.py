"""A small questionnaire of two versions for the diagnostic platform tests, built from the
diagnostic's own types, and the loader pointed at it.

Version 2026.2 (current) renamed ``backup.offsite`` to ``backup.offline`` and dropped
``web.flash``: answers given to 2026.1 must carry over, or be set aside, never lost.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest

from rempart.diagnostic.model import (
    DONT_KNOW,
    ActionSpec,
    Choice,
    ContradictionRule,
    EvidenceRule,
    Measure,
    Question,
    Questionnaire,
    RedFlag,
    Text,
    Theme,
)
from rempart.web.diagnostic import evidence

YES_NO = (
    Choice("yes", Text("Oui", "Yes"), 3),
    Choice("partly", Text("En partie", "Partly"), 1),
    Choice("no", Text("Non", "No"), 0),
    Choice(DONT_KNOW, Text("Je ne sais pas", "I don't know"), None),
)


def _question(qid: str, theme: str, weight: float = 2.0) -> Question:
    return Question(
        id=qid,
        theme=theme,
        kind="scored",
        text=Text(f"Question {qid} ?", f"Question {qid}?"),
        why=Text("Parce que.", "Because."),
        choices=YES_NO,
        weight=weight,
        measures=("fr-hygiene.01",),
        action=ActionSpec(
            title=Text(f"Corriger {qid}", f"Fix {qid}"),
            what_to_do=Text("1. Faire.", "1. Do it."),
            who="yourself",
            effort="hours",
            cost="free",
        ),
    )


CONTEXT = Question(
    id="context.size",
    theme="context",
    kind="context",
    text=Text("Combien êtes-vous ?", "How many are you?"),
    why=Text("Pour adapter.", "To adapt."),
    choices=(Choice("1", Text("Seul", "Alone"), None), Choice("2-9", Text("2–9", "2–9"), None)),
)
THEMES = (
    Theme("context", Text("Contexte", "Context"), Text("", "")),
    Theme("backup", Text("Sauvegardes", "Backups"), Text("", "")),
    Theme("access", Text("Accès", "Access"), Text("", "")),
    Theme("mail", Text("Messagerie", "Mail"), Text("", "")),
)
MEASURES = MappingProxyType(
    {"fr-hygiene.01": Measure("fr-hygiene.01", "fr-hygiene", "Mesure 1", Text("Inv.", "Inv."))}
)
RED_FLAGS = (
    RedFlag(
        id="no_offline_backup",
        theme="backup",
        title=Text("Aucune copie hors d'atteinte", "No copy out of reach"),
        why=Text("Rançongiciel.", "Ransomware."),
        answers={"backup.offline": frozenset({"no"})},
    ),
    RedFlag(
        id="rdp_exposed",
        theme="access",
        title=Text("Bureau à distance ouvert", "Remote desktop open"),
        why=Text("Attaques.", "Attacks."),
        evidence=EvidenceRule(checks=("net.exposed.rdp",)),
    ),
)
CONTRADICTIONS = (
    ContradictionRule(
        id="mfa_but_rdp",
        question="access.remote_mfa",
        claims=frozenset({"yes"}),
        evidence=EvidenceRule(checks=("net.exposed.rdp",)),
        message=Text("Vous dites MFA mais RDP est ouvert.", "You say MFA but RDP is open."),
    ),
    ContradictionRule(
        id="mail_but_no_dmarc",
        question="mail.protected",
        claims=frozenset({"yes"}),
        evidence=EvidenceRule(checks=("mail.dmarc.*",)),
        message=Text("Vous dites protégé mais pas de DMARC.", "You say protected but no DMARC."),
    ),
)


def _questionnaire(version: str, backup_id: str, extra: tuple[Question, ...], migrations):
    return Questionnaire(
        version=version,
        published="2026-01-01",
        themes=THEMES,
        questions=(
            CONTEXT,
            _question(backup_id, "backup", 3.0),
            _question("access.remote_mfa", "access"),
            _question("mail.protected", "mail"),
            *extra,
        ),
        measures=MEASURES,
        red_flags=RED_FLAGS if backup_id == "backup.offline" else RED_FLAGS[1:],
        contradictions=CONTRADICTIONS,
        migrations=migrations,
    )


V1 = _questionnaire("2026.1", "backup.offsite", (_question("web.flash", "mail", 0.5),), {})
V2 = _questionnaire(
    "2026.2",
    "backup.offline",
    (),
    MappingProxyType({"2026.1": {"backup.offsite": "backup.offline", "web.flash": ""}}),
)


@pytest.fixture
def questionnaire(monkeypatch):
    """The platform reads V2 as the current questionnaire (V1 when a test says so)."""
    state = {"current": V2}

    def load(version: str | None = None) -> Questionnaire:
        return state["current"] if version is None else {"2026.1": V1, "2026.2": V2}[version]

    monkeypatch.setattr(evidence, "load_questionnaire", load)
    return state
