"""The maturity index: per theme and overall, 0–5, one decimal (formula: docs/maturity.md).

A scored question that applies is worth its answer's value v (0–3) with its weight w; a theme
(and the whole) scores ``5 · Σ(w·v) / (3 · Σw)``. "I don't know" and unanswered questions are
worth 0 — a gap is never counted as "yes" — and an unanswered one also makes the result
partial. The evidence of open findings overrules a contradicted answer, and red flags cap the
theme and the overall index whatever the average.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from rempart.diagnostic.model import (
    DONT_KNOW,
    NOT_APPLICABLE,
    ContradictionHit,
    EvidenceFinding,
    EvidenceRule,
    Maturity,
    Question,
    Questionnaire,
    RedFlagHit,
    ThemeScore,
)

SCALE = 5
MAX_VALUE = 3
# (upper bound exclusive, level): < 1 critical, < 2 fragile, < 3 basic, < 4 solid, else advanced.
LEVELS: tuple[tuple[float, str], ...] = (
    (1.0, "critical"),
    (2.0, "fragile"),
    (3.0, "basic"),
    (4.0, "solid"),
)
TOP_LEVEL = "advanced"


@dataclass(frozen=True, slots=True)
class Scored:
    """One applicable scored question as the formula sees it."""

    question: Question
    answer: str  # the choice id, "" when unanswered
    value: int  # the effective value: 0 for a gap, the trusted value when contradicted
    contradiction: ContradictionHit | None = None


def applicable_questions(q: Questionnaire, answers: Mapping[str, str]) -> tuple[Question, ...]:
    """The scored questions that count: not switched off by a context answer, not "na"."""
    return tuple(
        question
        for question in shown_questions(q, answers)
        if question.kind == "scored" and _answer(question, answers) != NOT_APPLICABLE
    )


def shown_questions(q: Questionnaire, answers: Mapping[str, str]) -> tuple[Question, ...]:
    """The questions to show: every context question, and the scored ones no context answer
    switches off (an unanswered context question switches nothing off)."""
    return tuple(question for question in q.questions if not _skipped(question, answers))


def level_of(index: float | None) -> str:
    """The level's id of an index ("" for None)."""
    if index is None:
        return ""
    return next((level for bound, level in LEVELS if index < bound), TOP_LEVEL)


def matching_findings(rule: EvidenceRule, findings: Iterable[EvidenceFinding]) -> tuple[str, ...]:
    """The keys of the open findings that ``rule`` matches (a check id ending in "*" is a
    prefix)."""
    return tuple(finding.key for finding in findings if _matches(rule, finding))


def scored_questions(
    q: Questionnaire, answers: Mapping[str, str], evidence: Sequence[EvidenceFinding] = ()
) -> tuple[Scored, ...]:
    """Every applicable scored question with its effective value."""
    hits = {hit.rule.question: hit for hit in contradictions(q, answers, evidence)}
    result = []
    for question in applicable_questions(q, answers):
        answer = _answer(question, answers)
        choice = question.choice(answer) if answer else None
        value = choice.value if choice is not None and choice.value is not None else 0
        hit = hits.get(question.id)
        if hit is not None:
            value = min(value, hit.rule.trusted_value)
        result.append(Scored(question, answer, value, hit))
    return tuple(result)


def contradictions(
    q: Questionnaire, answers: Mapping[str, str], evidence: Sequence[EvidenceFinding]
) -> tuple[ContradictionHit, ...]:
    """The answers that open findings contradict; one hit per question (the lowest trusted
    value wins when several rules apply)."""
    applicable = {question.id for question in applicable_questions(q, answers)}
    hits: dict[str, ContradictionHit] = {}
    for rule in q.contradictions:
        answer = answers.get(rule.question, "")
        if rule.question not in applicable or answer not in rule.claims:
            continue
        keys = matching_findings(rule.evidence, evidence)
        known = hits.get(rule.question)
        if keys and (known is None or rule.trusted_value < known.rule.trusted_value):
            hits[rule.question] = ContradictionHit(rule=rule, answer=answer, findings=keys)
    # In the order of the rules file, like the red flags.
    order = {rule.id: index for index, rule in enumerate(q.contradictions)}
    return tuple(sorted(hits.values(), key=lambda hit: order[hit.rule.id]))


def red_flags(
    q: Questionnaire, answers: Mapping[str, str], evidence: Sequence[EvidenceFinding] = ()
) -> tuple[RedFlagHit, ...]:
    """The red flags raised by an applicable question's answer or by open findings."""
    applicable = {question.id for question in applicable_questions(q, answers)}
    hits = []
    for flag in q.red_flags:
        by_answer = next(
            (
                question_id
                for question_id, choices in flag.answers.items()
                if question_id in applicable and answers.get(question_id) in choices
            ),
            "",
        )
        by_findings = matching_findings(flag.evidence, evidence) if flag.evidence else ()
        if by_answer or by_findings:
            hits.append(RedFlagHit(flag=flag, by_answer=by_answer, by_findings=by_findings))
    return tuple(hits)


def score(
    q: Questionnaire, answers: Mapping[str, str], evidence: Sequence[EvidenceFinding] = ()
) -> Maturity:
    """The maturity of ``answers`` to ``q``, given the business's open findings."""
    scored = scored_questions(q, answers, evidence)
    flags = red_flags(q, answers, evidence)
    themes = []
    for theme in q.themes:
        if not any(
            question.theme == theme.id and question.kind == "scored" for question in q.questions
        ):
            continue  # the context theme has nothing to score
        members = [item for item in scored if item.question.theme == theme.id]
        theme_flags = [hit.flag for hit in flags if hit.flag.theme == theme.id]
        raw = _index(members)
        themes.append(
            ThemeScore(
                theme=theme.id,
                index=_capped(raw, (flag.cap_theme for flag in theme_flags)),
                raw=raw,
                capped_by=tuple(flag.id for flag in theme_flags),
                applicable=len(members),
                answered=_answered(members),
                unknown=_unknown(members),
            )
        )
    raw = _index(scored)
    index = _capped(raw, (hit.flag.cap_overall for hit in flags))
    return Maturity(
        version=q.version,
        index=index,
        raw=raw,
        level=level_of(index),
        themes=tuple(themes),
        red_flags=flags,
        contradictions=contradictions(q, answers, evidence),
        applicable=len(scored),
        answered=_answered(scored),
        unknown=_unknown(scored),
    )


def round_half_up(value: Fraction, digits: int) -> float:
    """``value`` rounded to ``digits`` decimals, halves away from zero for a positive value
    (not the banker's rounding of ``round``: 2.25 gives 2.3)."""
    scale: int = 10**digits
    halves_up = (value * scale + Fraction(1, 2)) // 1
    return halves_up / scale


def exact(number: float) -> Fraction:
    """The decimal a data file wrote (0.1 is one tenth, not the nearest binary float)."""
    return Fraction(repr(number))


def _index(items: Sequence[Scored]) -> float | None:
    total_weight = sum((exact(item.question.weight) for item in items), Fraction(0))
    if not total_weight:
        return None
    points = sum((exact(item.question.weight) * item.value for item in items), Fraction(0))
    return round_half_up(SCALE * points / (MAX_VALUE * total_weight), 1)


def _capped(raw: float | None, caps: Iterable[float]) -> float | None:
    return None if raw is None else min((raw, *caps))


def _answered(items: Sequence[Scored]) -> int:
    return sum(1 for item in items if item.answer)


def _unknown(items: Sequence[Scored]) -> int:
    return sum(1 for item in items if item.answer == DONT_KNOW)


def _answer(question: Question, answers: Mapping[str, str]) -> str:
    """The answer's choice id, "" when unanswered or not a choice of the question (stale
    data is never guessed into a value)."""
    answer = answers.get(question.id, "")
    return answer if question.choice(answer) is not None else ""


def _skipped(question: Question, answers: Mapping[str, str]) -> bool:
    return any(answers.get(context) in choices for context, choices in question.skip_if.items())


def _matches(rule: EvidenceRule, finding: EvidenceFinding) -> bool:
    if rule.known_exploited and finding.known_exploited:
        return True
    return any(
        finding.check_id.startswith(check[:-1])
        if check.endswith("*")
        else finding.check_id == check
        for check in rule.checks
    )
