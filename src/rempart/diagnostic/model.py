"""Typed values of the diagnostic: the questionnaire as loaded, answers, the maturity index and
the action plan. Plain Python (no Django): the platform, the CLI and the reports share them.

This module is the contract between the questionnaire loader (``rempart.knowledge.questionnaire``),
the scoring and planning functions (``rempart.diagnostic.maturity``, ``rempart.diagnostic.plan``)
and the platform (``rempart.web.diagnostic``). Every value is frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Lang = Literal["fr", "en"]
Who = Literal["yourself", "it_provider", "specialist"]
Effort = Literal["minutes", "hours", "days", "weeks"]
Cost = Literal["free", "low", "medium", "high"]  # 0 €, < 500 €, 500–2,000 €, > 2,000 €
Framework = Literal["fr-hygiene", "uk-ce", "nis2-21"]

DONT_KNOW: str = "dont_know"  # every scored question offers it; it scores 0 and asks to find out
NOT_APPLICABLE: str = "na"  # offered only where the data says so; leaves the question out


@dataclass(frozen=True, slots=True)
class Text:
    """One piece of text in both languages."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Choice:
    id: str  # stable across versions ("yes", "partly", "no", "dont_know", "na", "1-9"…)
    label: Text
    value: int | None  # 0–3 for a scored question; None for dont_know, na and context choices


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What to do when a question's answer is not the best one."""

    title: Text
    what_to_do: Text  # steps, one per line
    who: Who
    effort: Effort
    cost: Cost


@dataclass(frozen=True, slots=True)
class Question:
    id: str  # stable: "backup.offline"; a new version maps a renamed id in its migrations
    theme: str
    kind: Literal["context", "scored"]
    text: Text
    why: Text  # the short "why we ask"
    choices: tuple[Choice, ...]
    weight: float = 0.0  # 0.5–3 for a scored question, 0 for a context one
    measures: tuple[str, ...] = ()  # Measure ids this question evidences
    # Context question id -> choice ids of it that switch this question off.
    skip_if: Mapping[str, frozenset[str]] = field(default_factory=dict)
    action: ActionSpec | None = None  # None only for context questions

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    title: Text
    description: Text


@dataclass(frozen=True, slots=True)
class Measure:
    id: str  # "fr-hygiene.07", "uk-ce.3", "nis2-21.e"
    framework: Framework
    ref: str  # the referential's own numbering ("Mesure 7", "Control 3", "Art. 21(2)(e)")
    title: Text  # the project's own short wording of the measure


@dataclass(frozen=True, slots=True)
class EvidenceRule:
    """Open findings that evidence something: check ids (a trailing ``*`` matches a prefix),
    and/or any open known-exploited finding."""

    checks: tuple[str, ...] = ()
    known_exploited: bool = False


@dataclass(frozen=True, slots=True)
class RedFlag:
    id: str
    theme: str
    title: Text
    why: Text
    # Raised by an answer (question id -> choice ids) or by evidence, whichever happens.
    answers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    evidence: EvidenceRule | None = None
    cap_theme: float = 1.0  # the theme's index cannot exceed this (0–5 scale)
    cap_overall: float = 2.0  # nor the overall index


@dataclass(frozen=True, slots=True)
class ContradictionRule:
    id: str
    question: str
    claims: frozenset[str]  # the choice ids that the evidence contradicts
    evidence: EvidenceRule
    message: Text  # "You said … but our checks see …"
    trusted_value: int = 0  # the value scored instead of the answer's (the evidence wins)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    version: str  # "2026.1"
    published: str  # ISO date
    themes: tuple[Theme, ...]
    questions: tuple[Question, ...]  # in display order, context questions first
    measures: Mapping[str, Measure]
    red_flags: tuple[RedFlag, ...]
    contradictions: tuple[ContradictionRule, ...]
    # Older version -> {old question id: new question id, or "" when dropped}; ids that did
    # not change are not listed. Choice ids are stable across versions.
    migrations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


# ---- inputs from the platform -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceFinding:
    """An open finding of the business, as the diagnostic and the plan see it."""

    key: str  # the finding's id (stable for the plan item)
    check_id: str
    title: str  # plain-language title in the request's language (or the tool's own)
    severity: str  # critical | high | medium | low | info
    location: str = ""
    known_exploited: bool = False
    ransomware: bool = False
    epss: float | None = None
    exposed: bool = True  # reachable from the internet (every scan finding is; an SBOM one not)
    who: Who = "it_provider"
    effort: Effort = "hours"
    why: str = ""
    what_to_do: str = ""
    # The platform gives one EvidenceFinding per kind of problem (check id): ``key`` is its
    # oldest open finding, ``places`` how many open findings of that kind there are.
    places: int = 1


# ---- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RedFlagHit:
    flag: RedFlag
    by_answer: str = ""  # the question id whose answer raised it, if any
    by_findings: tuple[str, ...] = ()  # EvidenceFinding keys that raised it, if any


@dataclass(frozen=True, slots=True)
class ContradictionHit:
    rule: ContradictionRule
    answer: str  # the choice id given
    findings: tuple[str, ...]  # EvidenceFinding keys that contradict it


@dataclass(frozen=True, slots=True)
class ThemeScore:
    theme: str
    index: float | None  # 0–5, one decimal, after caps; None when nothing applies
    raw: float | None  # before caps
    capped_by: tuple[str, ...]  # red flag ids
    applicable: int
    answered: int  # dont_know counts as answered (and scores 0)
    unknown: int  # dont_know answers


@dataclass(frozen=True, slots=True)
class Maturity:
    version: str
    index: float | None  # overall, 0–5, one decimal, after caps; None when nothing applies
    raw: float | None
    level: str  # "critical" | "fragile" | "basic" | "solid" | "advanced" | "" when None
    themes: tuple[ThemeScore, ...]
    red_flags: tuple[RedFlagHit, ...]
    contradictions: tuple[ContradictionHit, ...]
    applicable: int
    answered: int
    unknown: int

    @property
    def complete(self) -> bool:
        return self.applicable > 0 and self.answered == self.applicable


@dataclass(frozen=True, slots=True)
class PlannedAction:
    key: str  # "q:<question id>", "k:<question id>" (find out), "f:<finding key>"
    source: Literal["answer", "find_out", "finding"]
    title: str
    why: str
    what_to_do: str
    who: Who
    effort: Effort
    cost: Cost
    priority: float  # higher first
    severity: str  # for findings; for answers derived from weight and red flag
    red_flag: bool = False
    known_exploited: bool = False
    contradiction: str = ""  # the contradiction message, when the evidence overrules an answer
    question: str = ""  # question id for answer / find_out items
    finding: str = ""  # EvidenceFinding key for finding items
    measures: tuple[str, ...] = ()
    places: int = 1  # for finding items: the open findings of that kind (same check id)
    check: str = ""  # for finding items: that check id
