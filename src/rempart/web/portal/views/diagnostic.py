"""The diagnostic pages: the overview, one form per theme, the submission and the maturity.

Reading is open to everyone who sees the business (members, providers, analysts); answering
and submitting need ``can_act`` (owner, IT provider, admin), like every change in the portal.
A read-only visitor sees the same forms, disabled. The questionnaire's texts come in the
request's language from the knowledge data (``rempart.knowledge.questionnaire``); every write
goes through ``rempart.web.diagnostic.services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rempart.diagnostic.maturity import level_of
from rempart.diagnostic.model import DONT_KNOW, Lang, Maturity, Question, Questionnaire, Theme
from rempart.knowledge.loader import KnowledgeError
from rempart.knowledge.questionnaire import available_versions, load_questionnaire
from rempart.web.diagnostic import services
from rempart.web.diagnostic.models import Answer, Assessment
from rempart.web.orgs.access import can_act
from rempart.web.orgs.models import Organisation
from rempart.web.portal.diagnostic_charts import history_chart, theme_bars
from rempart.web.portal.views.scoping import organisation_for, user_of

CONTEXT_THEME = "context"

LEVEL_LABELS = {
    "critical": gettext_lazy("Critical"),
    "fragile": gettext_lazy("Fragile"),
    "basic": gettext_lazy("Basic"),
    "solid": gettext_lazy("Solid"),
    "advanced": gettext_lazy("Advanced"),
}


def request_lang() -> Lang:
    return "en" if (get_language() or "").startswith("en") else "fr"


def slug(question_id: str) -> str:
    """An HTML id from a dotted question id (dots would need escaping in CSS selectors)."""
    return "q-" + question_id.replace(".", "-").replace("_", "-")


def switched_off(q: Questionnaire, question: Question, answers: Mapping[str, str]) -> list[str]:
    """Why the context answers switch the question off (empty when they do not), as sentences
    naming the context question and the answer given."""
    lang = request_lang()
    reasons = []
    for context_id, choice_ids in question.skip_if.items():
        given = answers.get(context_id, "")
        if given in choice_ids:
            context = q.question(context_id)
            chosen = context.choice(given) if context else None
            reasons.append(
                _("You answered “%(answer)s” to “%(question)s”.")
                % {
                    "answer": chosen.label.get(lang) if chosen else given,
                    "question": context.text.get(lang) if context else context_id,
                }
            )
    return reasons


# -- the overview -----------------------------------------------------------------------------


@dataclass
class ThemeProgress:
    theme: Theme
    title: str
    shown: int  # questions the context leaves on
    answered: int
    unknown: int
    missing: list[str] = field(default_factory=list)  # texts of the unanswered ones

    @property
    def done(self) -> bool:
        return self.shown > 0 and self.answered >= self.shown


def progress(q: Questionnaire, answers: Mapping[str, str]) -> list[ThemeProgress]:
    """Per theme: the questions still on after the context answers, and how many have an
    answer ("I don't know" is an answer, and a gap, counted apart)."""
    lang = request_lang()
    rows = {t.id: ThemeProgress(t, t.title.get(lang), 0, 0, 0) for t in q.themes}
    for question in q.questions:
        row = rows.get(question.theme)
        if row is None or switched_off(q, question, answers):
            continue
        row.shown += 1
        given = answers.get(question.id)
        if given:
            row.answered += 1
            row.unknown += given == DONT_KNOW
        else:
            row.missing.append(question.text.get(lang))
    return [row for row in rows.values() if row.shown]


@dataclass
class Contributor:
    email: str
    on_behalf: bool
    count: int


def contributors(assessment: Assessment | None) -> list[Contributor]:
    if assessment is None:
        return []
    found: dict[tuple[str, bool], int] = {}
    rows = Answer.objects.filter(assessment=assessment).values_list(
        "answered_by__email", "on_behalf"
    )
    for email, on_behalf in rows:
        key = (email or "", bool(on_behalf))
        found[key] = found.get(key, 0) + 1
    return [Contributor(e, b, n) for (e, b), n in sorted(found.items())]


def set_aside_rows(assessment: Assessment | None) -> list[dict[str, str]]:
    """Answers the current questionnaire no longer asks: shown, never hidden (issue 5)."""
    if assessment is None:
        return []
    lang = request_lang()
    rows = []
    for answer in services.set_aside_answers(assessment):
        old = _old_question(answer.version, answer.question_id)
        choice = old.choice(answer.choice_id) if old else None
        rows.append(
            {
                "question": old.text.get(lang) if old else answer.question_id,
                "answer": choice.label.get(lang) if choice else answer.choice_id,
                "note": answer.note,
                "version": answer.version,
            }
        )
    return rows


def _old_question(version: str, question_id: str) -> Question | None:
    """The question as its own version worded it, when that version's data still ships."""
    try:
        if version not in available_versions():
            return None
        return load_questionnaire(version).question(question_id)
    except KnowledgeError:
        return None


@require_safe
@login_required
def overview(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    q = services.current_questionnaire()
    assessment = services.current_assessment(organisation)
    answers = services.answers_of(assessment) if assessment else {}
    themes = progress(q, answers)
    context = {
        "org": organisation,
        "q": q,
        "assessment": assessment,
        "can_act": can_act(user_of(request), organisation),
        "themes": themes,
        # Start, or resume at the first theme with a question left.
        "first_theme": next((t.theme.id for t in themes if not t.done), CONTEXT_THEME),
        "shown": sum(t.shown for t in themes),
        "answered": sum(t.answered for t in themes),
        "unknown": sum(t.unknown for t in themes),
        "missing": [t for t in themes if t.missing],
        "contributors": contributors(assessment),
        "set_aside": set_aside_rows(assessment),
    }
    return render(request, "portal/diagnostic/overview.html", context)


# -- one theme --------------------------------------------------------------------------------


@dataclass
class QuestionRow:
    question: Question
    slug: str
    text: str
    why: str
    choices: list[tuple[str, str]]
    selected: str
    note: str
    off: list[str]
    error: str = ""
    answered_by: str = ""
    on_behalf: bool = False


def _theme_of(q: Questionnaire, theme_id: str) -> Theme:
    theme = next((t for t in q.themes if t.id == theme_id), None)
    if theme is None:
        raise Http404
    return theme


def _next_theme(q: Questionnaire, theme: Theme, answers: Mapping[str, str]) -> str | None:
    """The next theme with a question the context leaves on, or None after the last."""
    ids = [t.id for t in q.themes]
    live = {question.theme for question in q.questions if not switched_off(q, question, answers)}
    return next((t for t in ids[ids.index(theme.id) + 1 :] if t in live), None)


def _rows(
    q: Questionnaire,
    theme: Theme,
    assessment: Assessment | None,
    answers: Mapping[str, str],
    posted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[QuestionRow]:
    lang = request_lang()
    stored = (
        {
            a.question_id: a
            for a in Answer.objects.filter(assessment=assessment).select_related("answered_by")
        }
        if assessment
        else {}
    )
    rows = []
    for question in q.questions:
        if question.theme != theme.id:
            continue
        answer = stored.get(question.id)
        rows.append(
            QuestionRow(
                question=question,
                slug=slug(question.id),
                text=question.text.get(lang),
                why=question.why.get(lang),
                choices=[(c.id, c.label.get(lang)) for c in question.choices],
                selected=(posted or {}).get(question.id) or answers.get(question.id, ""),
                note=answer.note if answer else "",
                off=switched_off(q, question, answers),
                error=(errors or {}).get(question.id, ""),
                answered_by=answer.answered_by.email if answer and answer.answered_by else "",
                on_behalf=bool(answer and answer.on_behalf),
            )
        )
    return rows


def _read_post(
    request: HttpRequest, q: Questionnaire, theme: Theme
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The answers and notes posted for this theme's questions, and an error per question
    whose posted choice it does not offer (a forged or stale form)."""
    answers: dict[str, str] = {}
    notes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in q.questions:
        if question.theme != theme.id:
            continue
        choice = request.POST.get(f"answer-{question.id}", "")
        if choice and question.choice(choice) is None:
            errors[question.id] = _("This answer is not one of the choices offered.")
        elif choice:
            answers[question.id] = choice
        note = request.POST.get(f"note-{question.id}")
        if note is not None:
            notes[question.id] = note.strip()[:2000]
    return answers, notes, errors


def _save(
    request: HttpRequest, organisation: Organisation, answers: dict[str, str], notes: dict[str, str]
) -> list[str]:
    """Only what changed is written, so that saving a page does not re-sign someone else's
    answers (who answered, and whether on behalf of the business, stays true)."""
    current = services.current_assessment(organisation)
    before = services.answers_of(current) if current else {}
    old_notes = dict(Answer.objects.filter(assessment=current).values_list("question_id", "note"))
    changed = {k: v for k, v in answers.items() if before.get(k) != v}
    new_notes = {
        k: v
        for k, v in notes.items()
        if (k in answers or k in before) and old_notes.get(k, "") != v
    }
    if not changed and not new_notes:
        return []  # a submitted diagnostic gets a new draft only when something changes
    # A new draft carries the submitted answers over: the differences above still hold.
    assessment = services.start_or_resume(organisation, user_of(request))
    return services.save_answers(assessment, user_of(request), changed, new_notes)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def theme_form(request: HttpRequest, org: UUID, theme: str) -> HttpResponse:
    acting = request.method == "POST"
    organisation = organisation_for(request, org, act=acting)
    q = services.current_questionnaire()
    shown_theme = _theme_of(q, theme)
    posted: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if acting:
        posted, notes, errors = _read_post(request, q, shown_theme)
        if not errors:
            refused = _save(request, organisation, posted, notes)
            if not refused:
                return _after_save(request, organisation, q, shown_theme)
            for sentence in refused:
                messages.error(request, sentence)
        status = 400
    assessment = services.current_assessment(organisation)
    answers = services.answers_of(assessment) if assessment else {}
    rows = _rows(q, shown_theme, assessment, answers, posted, errors)
    themes = list(q.themes)
    position = themes.index(shown_theme)
    context = {
        "org": organisation,
        "q": q,
        "theme": shown_theme,
        "title": shown_theme.title.get(request_lang()),
        "description": shown_theme.description.get(request_lang()),
        "position": position + 1,
        "theme_count": len(themes),
        "previous": themes[position - 1] if position else None,
        "rows": [r for r in rows if not r.off],
        "off_rows": [r for r in rows if r.off],
        "errors": [r for r in rows if r.error],
        "can_act": acting or can_act(user_of(request), organisation),
        "assessment": assessment,
        "is_context": shown_theme.id == CONTEXT_THEME,
    }
    return render(request, "portal/diagnostic/theme.html", context, status=status)


def _after_save(
    request: HttpRequest, organisation: Organisation, q: Questionnaire, theme: Theme
) -> HttpResponse:
    if request.POST.get("go") == "next":
        assessment = services.current_assessment(organisation)
        answers = services.answers_of(assessment) if assessment else {}
        following = _next_theme(q, theme, answers)
        if following:
            return redirect("portal:diagnostic_theme", org=organisation.pk, theme=following)
        messages.success(request, _("Your answers are saved. You can now submit the diagnostic."))
        return redirect("portal:diagnostic", org=organisation.pk)
    messages.success(request, _("Draft saved. You can come back and finish later."))
    return redirect("portal:diagnostic_theme", org=organisation.pk, theme=theme.id)


# -- submission -------------------------------------------------------------------------------


@require_POST
@login_required
def submit(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org, act=True)
    assessment = services.current_assessment(organisation)
    if assessment is None or not assessment.is_draft:
        messages.error(
            request, _("There is no draft to submit: answer at least one question first.")
        )
        return redirect("portal:diagnostic", org=organisation.pk)
    try:
        maturity = services.submit(assessment, user_of(request))
    except services.DiagnosticError as exc:
        messages.error(request, str(exc))
        return redirect("portal:diagnostic", org=organisation.pk)
    if maturity.complete:
        messages.success(request, _("Your diagnostic is submitted. Here is your maturity."))
    else:
        messages.warning(
            request,
            _(
                "Your diagnostic is submitted partially: %(answered)s of %(applicable)s "
                "questions answered. The unanswered ones count as gaps."
            )
            % {"answered": maturity.answered, "applicable": maturity.applicable},
        )
    return redirect("portal:maturity", org=organisation.pk)


# -- maturity ---------------------------------------------------------------------------------


@require_safe
@login_required
def maturity(request: HttpRequest, org: UUID) -> HttpResponse:
    organisation = organisation_for(request, org)
    q = services.current_questionnaire()
    assessment = services.current_assessment(organisation)
    result = services.maturity_of(organisation, assessment) if assessment else None
    context: dict[str, object] = {
        "org": organisation,
        "assessment": assessment,
        "can_act": can_act(user_of(request), organisation),
        "maturity": result,
    }
    if result is not None and result.answered:
        answers = services.answers_of(assessment) if assessment else {}
        context.update(_maturity_context(organisation, q, result, answers))
    else:
        context["maturity"] = None
    return render(request, "portal/diagnostic/maturity.html", context)


def _maturity_context(
    organisation: Organisation, q: Questionnaire, result: Maturity, answers: Mapping[str, str]
) -> dict[str, object]:
    lang = request_lang()
    titles = {t.id: t.title.get(lang) for t in q.themes}
    scored = [t for t in result.themes if t.applicable]
    flags = [
        {
            "title": hit.flag.title.get(lang),
            "why": hit.flag.why.get(lang),
            "theme": titles.get(hit.flag.theme, hit.flag.theme),
            "question": _question_text(q, hit.by_answer, lang),
            "findings": hit.by_findings,
        }
        for hit in result.red_flags
    ]
    contradictions = []
    for hit in result.contradictions:
        question = q.question(hit.rule.question)
        choice = question.choice(hit.answer) if question else None
        contradictions.append(
            {
                "question": question.text.get(lang) if question else hit.rule.question,
                "answer": choice.label.get(lang) if choice else hit.answer,
                "message": hit.rule.message.get(lang),
                "findings": hit.findings,
            }
        )
    history = services.maturity_history(organisation)
    return {
        "level_label": LEVEL_LABELS.get(result.level, ""),
        "flags": flags,
        "themes": [
            {"score": t, "title": titles.get(t.theme, t.theme), "level": _level(t.index)}
            for t in scored
        ],
        "bars": theme_bars([(titles.get(t.theme, t.theme), t.index, t.raw) for t in scored]),
        "contradictions": contradictions,
        "unanswered": result.applicable - result.answered,
        "benchmark": services.sector_benchmark(organisation),
        "history": history,
        "history_chart": history_chart([(p.date, p.index) for p in history]),
    }


def _question_text(q: Questionnaire, question_id: str, lang: Lang) -> str:
    question = q.question(question_id) if question_id else None
    return question.text.get(lang) if question else ""


def _level(index: float | None) -> str:
    return str(LEVEL_LABELS.get(level_of(index), "")) if index is not None else ""
