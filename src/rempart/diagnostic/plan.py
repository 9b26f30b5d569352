"""The action plan: one list merging the answers' gaps and the open findings, ranked.

Priority = risk / effort divisor (docs/maturity.md, "The action plan"): what protects most for
the least effort comes first, and the first :data:`WEEK` items are "this week". An item exists
only while its cause does: a fixed finding or an improved answer leaves the plan, so items
close themselves when the plan is built again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Final

from rempart.diagnostic.maturity import exact, round_half_up, scored_questions
from rempart.diagnostic.model import (
    DONT_KNOW,
    Cost,
    Effort,
    EvidenceFinding,
    Maturity,
    PlannedAction,
    Question,
    Questionnaire,
    Text,
    Who,
)

WEEK: Final = 5  # the first five stand out ("this week")

SEVERITY_BASE: Final[Mapping[str, Fraction]] = {
    "critical": Fraction(10),
    "high": Fraction(7),
    "medium": Fraction(4),
    "low": Fraction(2),
    "info": Fraction(1, 2),
}
SEVERITY_RANK: Final[Mapping[str, int]] = {
    severity: rank for rank, severity in enumerate(SEVERITY_BASE)
}
KNOWN_EXPLOITED_FACTOR: Final = Fraction(2)
RANSOMWARE_FACTOR: Final = Fraction(6, 5)
EPSS_WEIGHT: Final = Fraction(5)
EXPOSED_FACTOR: Final = Fraction(3, 2)
RED_FLAG_FACTOR: Final = Fraction(2)
FIND_OUT_FACTOR: Final = Fraction(4, 5)
ANSWER_SCALE: Final = Fraction(10)
EFFORT_DIVISOR: Final[Mapping[Effort, Fraction]] = {
    "minutes": Fraction(1),
    "hours": Fraction(13, 10),
    "days": Fraction(9, 5),
    "weeks": Fraction(5, 2),
}
# Severity of an answer item from its risk: the first bound it reaches.
ANSWER_SEVERITY: Final[tuple[tuple[Fraction, str], ...]] = (
    (Fraction(15), "critical"),
    (Fraction(9), "high"),
    (Fraction(4), "medium"),
    (Fraction(3, 2), "low"),
)
# A finding carries who and effort but no cost: the band follows from them. Your own time is
# free; a provider's costs its hourly rate; a specialist's day is well over 500 €.
FINDING_COST: Final[Mapping[Who, Mapping[Effort, Cost]]] = {
    "yourself": {"minutes": "free", "hours": "free", "days": "free", "weeks": "low"},
    "it_provider": {"minutes": "free", "hours": "low", "days": "medium", "weeks": "high"},
    "specialist": {"minutes": "low", "hours": "medium", "days": "high", "weeks": "high"},
}
FIND_OUT_TITLE: Final = Text(fr="À vérifier\u00a0: {question}", en="Find out: {question}")
FIND_OUT_STEPS: Final = Text(
    fr=(
        "1. Posez cette question à votre prestataire informatique, ou à la personne qui "
        "s'occupe de vos ordinateurs.\n"
        "2. Revenez au diagnostic et choisissez la réponse qui correspond."
    ),
    en=(
        "1. Ask your IT provider, or whoever looks after your computers, this question.\n"
        "2. Come back to the diagnostic and pick the matching answer."
    ),
)


def build_plan(
    q: Questionnaire,
    answers: Mapping[str, str],
    maturity: Maturity,
    findings: Sequence[EvidenceFinding],
    lang: str,
) -> list[PlannedAction]:
    """Every action of the business, highest priority first.

    ``maturity`` is ``score(q, answers, findings)``: its red flags and contradictions mark the
    items. Unanswered questions give no item (the page asks to finish the diagnostic). ``lang``
    is a language tag; texts are English for "en…", French otherwise.
    """
    lang = "en" if lang.lower().startswith("en") else "fr"  # "en-GB", "fr_FR"… as Text.get wants
    flagged = _flagged_answers(maturity, answers)
    flagged_findings = {key for hit in maturity.red_flags for key in hit.by_findings}
    items: list[tuple[Fraction, PlannedAction]] = []
    for item in scored_questions(q, answers, findings):
        question, red = item.question, item.question.id in flagged
        if item.answer == DONT_KNOW:
            risk = FIND_OUT_FACTOR * answer_risk(question.weight, 0, red)
            items.append((risk, _find_out(question, risk, red, lang)))
        elif item.answer and item.value < 3:
            risk = answer_risk(question.weight, item.value, red)
            message = item.contradiction.rule.message.get(lang) if item.contradiction else ""
            items.append((risk, _gap(question, risk, red, message, lang)))
    for finding in findings:
        risk = finding_risk(finding)
        items.append((risk, _finding(finding, risk, finding.key in flagged_findings)))
    return sorted((action for _, action in items), key=_rank)


def answer_risk(weight: float, value: int, red_flag: bool) -> Fraction:
    """10 · (w/3) · (3 − v)/3, doubled when the answer raises an active red flag."""
    risk = ANSWER_SCALE * exact(weight) / 3 * Fraction(3 - value, 3)
    return risk * RED_FLAG_FACTOR if red_flag else risk


def finding_risk(finding: EvidenceFinding) -> Fraction:
    """(base[severity] × 2 if known exploited × 1.2 if ransomware + 5 · EPSS) × 1.5 if exposed."""
    risk = SEVERITY_BASE.get(finding.severity, SEVERITY_BASE["info"])
    if finding.known_exploited:
        risk *= KNOWN_EXPLOITED_FACTOR
    if finding.ransomware:
        risk *= RANSOMWARE_FACTOR
    if finding.epss:
        risk += EPSS_WEIGHT * exact(min(max(finding.epss, 0.0), 1.0))
    return risk * EXPOSED_FACTOR if finding.exposed else risk


def priority(risk: Fraction, effort: Effort) -> float:
    """Risk per unit of effort, two decimals."""
    return round_half_up(risk / EFFORT_DIVISOR[effort], 2)


def answer_severity(risk: Fraction) -> str:
    return next((severity for bound, severity in ANSWER_SEVERITY if risk >= bound), "info")


def this_week(plan: Sequence[PlannedAction]) -> list[PlannedAction]:
    """The items that stand out: the first :data:`WEEK` of the plan."""
    return list(plan[:WEEK])


def _flagged_answers(maturity: Maturity, answers: Mapping[str, str]) -> set[str]:
    """Question ids whose answer raises one of the active red flags."""
    return {
        question_id
        for hit in maturity.red_flags
        for question_id, choices in hit.flag.answers.items()
        if answers.get(question_id) in choices
    }


def _gap(
    question: Question, risk: Fraction, red: bool, contradiction: str, lang: str
) -> PlannedAction:
    action = question.action
    assert action is not None  # the loader refuses a scored question without one
    return PlannedAction(
        key=f"q:{question.id}",
        source="answer",
        title=action.title.get(lang),
        why=question.why.get(lang),
        what_to_do=action.what_to_do.get(lang),
        who=action.who,
        effort=action.effort,
        cost=action.cost,
        priority=priority(risk, action.effort),
        severity=answer_severity(risk),
        red_flag=red,
        contradiction=contradiction,
        question=question.id,
        measures=question.measures,
    )


def _find_out(question: Question, risk: Fraction, red: bool, lang: str) -> PlannedAction:
    return PlannedAction(
        key=f"k:{question.id}",
        source="find_out",
        title=FIND_OUT_TITLE.get(lang).format(question=question.text.get(lang)),
        why=question.why.get(lang),
        what_to_do=FIND_OUT_STEPS.get(lang),
        who="it_provider",
        effort="minutes",
        cost="free",
        priority=priority(risk, "minutes"),
        severity=answer_severity(risk),
        red_flag=red,
        question=question.id,
        measures=question.measures,
    )


def _finding(finding: EvidenceFinding, risk: Fraction, red: bool) -> PlannedAction:
    return PlannedAction(
        key=f"f:{finding.key}",
        source="finding",
        title=finding.title,
        why=finding.why,
        what_to_do=finding.what_to_do,
        who=finding.who,
        effort=finding.effort,
        cost=FINDING_COST[finding.who][finding.effort],
        priority=priority(risk, finding.effort),
        severity=finding.severity if finding.severity in SEVERITY_RANK else "info",
        red_flag=red,
        known_exploited=finding.known_exploited,
        finding=finding.key,
        places=finding.places,
        check=finding.check_id,
    )


def _rank(action: PlannedAction) -> tuple[float, bool, bool, int, str]:
    # Ties: a red flag first, then known exploitation, then severity, then the key (stable).
    return (
        -action.priority,
        not action.red_flag,
        not action.known_exploited,
        SEVERITY_RANK.get(action.severity, len(SEVERITY_RANK)),
        action.key,
    )
