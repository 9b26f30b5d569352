"""The diagnostic's part of a report: maturity, red flags, this week's actions, the answers.

Read through the diagnostic app's services (``rempart.web.diagnostic.services``: the same
functions its pages use), in the report's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rempart.diagnostic.model import DONT_KNOW, Maturity
from rempart.web.diagnostic import services
from rempart.web.orgs.models import Organisation
from rempart.web.reports.charts import MaturityChart, maturity_chart

if TYPE_CHECKING:
    from rempart.web.reports.content import Priority

LEVEL_LABELS = {
    "critical": gettext_lazy("critical"),
    "fragile": gettext_lazy("fragile"),
    "basic": gettext_lazy("basic"),
    "solid": gettext_lazy("solid"),
    "advanced": gettext_lazy("advanced"),
}
WHO_LABELS = {
    "yourself": gettext_lazy("yourself"),
    "it_provider": gettext_lazy("your IT provider"),
    "specialist": gettext_lazy("a labelled specialist"),
}
EFFORT_LABELS = {
    "minutes": gettext_lazy("minutes"),
    "hours": gettext_lazy("a few hours"),
    "days": gettext_lazy("a few days"),
    "weeks": gettext_lazy("weeks"),
}


@dataclass(frozen=True, slots=True)
class AnswerRow:
    question: str
    answer: str
    measures: tuple[str, ...]
    gap: bool


@dataclass(frozen=True, slots=True)
class ThemeSection:
    title: str
    index: float | None
    capped: bool
    answers: tuple[AnswerRow, ...]


@dataclass
class DiagnosticPart:
    organisation: Organisation
    maturity: Maturity | None = None
    version: str = ""
    submitted_at: datetime | None = None
    priorities: list[Priority] = field(default_factory=list)
    red_flags: list[tuple[str, str]] = field(default_factory=list)  # (title, why)
    contradictions: list[str] = field(default_factory=list)
    themes: list[ThemeSection] = field(default_factory=list)
    chart: MaturityChart | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def level_label(self) -> str:
        if self.maturity is None:
            return ""
        return str(LEVEL_LABELS.get(self.maturity.level, self.maturity.level))

    def actions_done_since(self, since: datetime) -> int | None:
        """Items of the action plan marked done since ``since`` (None without a diagnostic)."""
        if self.maturity is None:
            return None
        return services.progress_since(self.organisation, since).items_done


def _priority(row: Any, lang: str) -> Priority:
    from rempart.web.reports.content import SEVERITY_LABELS, Priority

    action = row.action
    return Priority(
        title=action.title,
        why=action.why,
        who=str(WHO_LABELS.get(action.who, action.who)),
        effort=str(EFFORT_LABELS.get(action.effort, action.effort)),
        severity=action.severity,
        severity_label=str(SEVERITY_LABELS.get(action.severity, action.severity)),
        known_exploited=action.known_exploited,
        red_flag=action.red_flag,
        contradiction=action.contradiction,
    )


def diagnostic_part(organisation: Organisation, lang: str) -> DiagnosticPart:
    part = DiagnosticPart(organisation)
    # The report attests what the business submitted, not a draft in progress.
    assessment = services.latest_submitted(organisation)
    maturity = services.maturity_of(organisation, assessment) if assessment else None
    if assessment is None or maturity is None:
        part.missing.append(
            _(
                "The diagnostic questionnaire has not been answered yet: the maturity index and "
                "the measures that cannot be seen from the internet (backups, accounts, "
                "awareness) are unknown."
            )
        )
        return part
    questionnaire = services.current_questionnaire()
    part.maturity = maturity
    part.version = maturity.version
    part.submitted_at = getattr(assessment, "submitted_at", None)
    if not maturity.complete:
        part.missing.append(
            _(
                "The diagnostic is partial: %(answered)s of %(applicable)s questions were "
                "answered. Unanswered questions are counted as gaps, never as “yes”."
            )
            % {"answered": maturity.answered, "applicable": maturity.applicable}
        )
    rows = services.plan_for(organisation, lang, sync=True)
    part.priorities = [_priority(row, lang) for row in rows if row.this_week][:5]
    part.red_flags = [(h.flag.title.get(lang), h.flag.why.get(lang)) for h in maturity.red_flags]
    part.contradictions = [h.rule.message.get(lang) for h in maturity.contradictions]
    answers = services.answers_of(assessment)
    scores = {t.theme: t for t in maturity.themes}
    caps: dict[str, float] = {}
    for hit in maturity.red_flags:
        theme = hit.flag.theme
        caps[theme] = min(caps.get(theme, 5.0), hit.flag.cap_theme)
    themes = []
    # The context theme ("your business") has nothing to score: neither a bar nor a section.
    scored = [
        t
        for t in questionnaire.themes
        if any(q.theme == t.id and q.kind == "scored" for q in questionnaire.questions)
    ]
    for theme in scored:
        score = scores.get(theme.id)
        rows_of_theme = []
        for question in questionnaire.questions:
            if question.theme != theme.id or question.kind != "scored":
                continue
            choice_id = answers.get(question.id)
            choice = question.choice(choice_id) if choice_id else None
            measures = tuple(
                f"{m.ref} — {m.title.get(lang)}"
                for m in (questionnaire.measures.get(mid) for mid in question.measures)
                if m is not None
            )
            rows_of_theme.append(
                AnswerRow(
                    question=question.text.get(lang),
                    answer=choice.label.get(lang) if choice else _("Not answered"),
                    measures=measures,
                    gap=choice is None
                    or choice.id == DONT_KNOW
                    or (choice.value is not None and choice.value < 3),
                )
            )
        themes.append(
            ThemeSection(
                title=theme.title.get(lang),
                index=score.index if score else None,
                capped=bool(score and score.capped_by),
                answers=tuple(rows_of_theme),
            )
        )
    part.themes = themes
    part.chart = maturity_chart(
        [
            (t.title.get(lang), scores[t.id].index if t.id in scores else None, caps.get(t.id))
            for t in scored
        ]
    )
    return part
