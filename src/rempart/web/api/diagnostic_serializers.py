"""What the API shows of the questionnaire, a business's diagnostic, maturity and action plan.

The values are the diagnostic's frozen dataclasses (``rempart.diagnostic.model``) turned into
plain dicts in the request's language by the ``*_data`` functions; the serializers describe
them for the schema and check the input. Writes go through ``diagnostic.services``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from rempart.diagnostic.benchmark import Benchmark
from rempart.diagnostic.model import Maturity, Questionnaire
from rempart.knowledge.loader import EFFORT_LABELS, WHO_LABELS
from rempart.web.api.schema import EnumField
from rempart.web.diagnostic.models import (
    ActionItem,
    ActionSource,
    ActionStatus,
    Answer,
    Assessment,
    AssessmentStatus,
)
from rempart.web.diagnostic.services import HistoryPoint, PlanRow

# -- the questionnaire ----------------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField(
        allow_null=True, help_text="0–3; null for 'I don't know', 'does not apply', context"
    )


class ActionSpecSerializer(serializers.Serializer):
    title = serializers.CharField()
    what_to_do = serializers.CharField(help_text="Steps, one per line")
    who = serializers.CharField()
    effort = serializers.CharField()
    cost = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    id = serializers.CharField()
    theme = serializers.CharField()
    kind = serializers.CharField(help_text="context or scored")
    text = serializers.CharField()
    why = serializers.CharField(help_text="Why we ask")
    choices = ChoiceSerializer(many=True)
    weight = serializers.FloatField()
    measures = serializers.ListField(child=serializers.CharField())
    skip_if = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Context question id -> the choices of it that switch this question off",
    )
    action = ActionSpecSerializer(allow_null=True)


class ThemeSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()


class MeasureSerializer(serializers.Serializer):
    id = serializers.CharField()
    framework = serializers.CharField()
    ref = serializers.CharField()
    title = serializers.CharField()


class QuestionnaireSerializer(serializers.Serializer):
    version = serializers.CharField()
    published = serializers.CharField()
    themes = ThemeSerializer(many=True)
    questions = QuestionSerializer(many=True)
    measures = MeasureSerializer(many=True)


def questionnaire_data(q: Questionnaire, lang: str) -> dict[str, Any]:
    return {
        "version": q.version,
        "published": q.published,
        "themes": [
            {"id": t.id, "title": t.title.get(lang), "description": t.description.get(lang)}
            for t in q.themes
        ],
        "questions": [
            {
                "id": x.id,
                "theme": x.theme,
                "kind": x.kind,
                "text": x.text.get(lang),
                "why": x.why.get(lang),
                "choices": [
                    {"id": c.id, "label": c.label.get(lang), "value": c.value} for c in x.choices
                ],
                "weight": x.weight,
                "measures": list(x.measures),
                "skip_if": {k: sorted(v) for k, v in x.skip_if.items()},
                "action": None
                if x.action is None
                else {
                    "title": x.action.title.get(lang),
                    "what_to_do": x.action.what_to_do.get(lang),
                    "who": x.action.who,
                    "effort": x.action.effort,
                    "cost": x.action.cost,
                },
            }
            for x in q.questions
        ],
        "measures": [
            {"id": m.id, "framework": m.framework, "ref": m.ref, "title": m.title.get(lang)}
            for m in q.measures.values()
        ],
    }


# -- a business's diagnostic ----------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    status = EnumField(AssessmentStatus)

    class Meta:
        model = Assessment
        fields = (
            "id",
            "status",
            "questionnaire_version",
            "started_at",
            "updated_at",
            "submitted_at",
        )


class AnswerSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="question_id")
    choice = serializers.CharField(source="choice_id")
    answered_by = serializers.EmailField(source="answered_by.email", allow_null=True)

    class Meta:
        model = Answer
        fields = (
            "question",
            "choice",
            "version",
            "note",
            "answered_by",
            "answered_at",
            "on_behalf",
        )


class ThemeScoreSerializer(serializers.Serializer):
    theme = serializers.CharField()
    index = serializers.FloatField(allow_null=True, help_text="0–5 after red-flag caps")
    raw = serializers.FloatField(allow_null=True, help_text="0–5 before caps")
    capped_by = serializers.ListField(child=serializers.CharField())
    applicable = serializers.IntegerField()
    answered = serializers.IntegerField()
    unknown = serializers.IntegerField()


class RedFlagHitSerializer(serializers.Serializer):
    id = serializers.CharField()
    theme = serializers.CharField()
    title = serializers.CharField()
    why = serializers.CharField()
    by_answer = serializers.CharField()
    by_findings = serializers.ListField(child=serializers.CharField())


class ContradictionSerializer(serializers.Serializer):
    id = serializers.CharField()
    question = serializers.CharField()
    answer = serializers.CharField()
    message = serializers.CharField()
    findings = serializers.ListField(child=serializers.CharField())


class MaturitySerializer(serializers.Serializer):
    version = serializers.CharField()
    index = serializers.FloatField(allow_null=True)
    raw = serializers.FloatField(allow_null=True)
    level = serializers.CharField()
    complete = serializers.BooleanField(help_text="false: partial answers, shown as such")
    applicable = serializers.IntegerField()
    answered = serializers.IntegerField()
    unknown = serializers.IntegerField()
    red_flags = RedFlagHitSerializer(many=True, help_text="Shown first")
    themes = ThemeScoreSerializer(many=True)
    contradictions = ContradictionSerializer(many=True)


class BenchmarkSerializer(serializers.Serializer):
    peers = serializers.IntegerField()
    median = serializers.FloatField()
    q1 = serializers.FloatField()
    q3 = serializers.FloatField()
    percentile = serializers.IntegerField()
    better_than = serializers.IntegerField()


class DiagnosticSerializer(serializers.Serializer):
    assessment = AssessmentSerializer(allow_null=True)
    answers = AnswerSerializer(many=True)
    set_aside = AnswerSerializer(
        many=True, help_text="Answers to questions the current version no longer has (kept)"
    )
    maturity = MaturitySerializer(allow_null=True)
    benchmark = BenchmarkSerializer(allow_null=True)


class AnswersResultSerializer(DiagnosticSerializer):
    errors = serializers.ListField(child=serializers.CharField())


def maturity_data(m: Maturity | None, lang: str) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "version": m.version,
        "index": m.index,
        "raw": m.raw,
        "level": m.level,
        "complete": m.complete,
        "applicable": m.applicable,
        "answered": m.answered,
        "unknown": m.unknown,
        "red_flags": [
            {
                "id": hit.flag.id,
                "theme": hit.flag.theme,
                "title": hit.flag.title.get(lang),
                "why": hit.flag.why.get(lang),
                "by_answer": hit.by_answer,
                "by_findings": list(hit.by_findings),
            }
            for hit in m.red_flags
        ],
        "themes": [
            {
                "theme": t.theme,
                "index": t.index,
                "raw": t.raw,
                "capped_by": list(t.capped_by),
                "applicable": t.applicable,
                "answered": t.answered,
                "unknown": t.unknown,
            }
            for t in m.themes
        ],
        "contradictions": [
            {
                "id": hit.rule.id,
                "question": hit.rule.question,
                "answer": hit.answer,
                "message": hit.rule.message.get(lang),
                "findings": list(hit.findings),
            }
            for hit in m.contradictions
        ],
    }


def benchmark_data(b: Benchmark | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "peers": b.peers,
        "median": b.median,
        "q1": b.q1,
        "q3": b.q3,
        "percentile": b.percentile,
        "better_than": b.better_than,
    }


class AnswersInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=40),
        help_text="Question id -> choice id; an empty choice takes the answer back",
    )
    notes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        help_text="Question id -> a free note",
    )


# -- maturity history -----------------------------------------------------------------------


class HistoryPointSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    index = serializers.FloatField(allow_null=True)
    level = serializers.CharField()
    themes = serializers.DictField(child=serializers.FloatField(allow_null=True))
    assessment = serializers.UUIDField()


def history_data(points: list[HistoryPoint]) -> list[dict[str, Any]]:
    return [
        {
            "date": p.date,
            "index": p.index,
            "level": p.level,
            "themes": p.themes,
            "assessment": p.assessment,
        }
        for p in points
    ]


# -- the action plan ------------------------------------------------------------------------


class PlanItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True, help_text="The item (PATCH /api/plan-items/)")
    key = serializers.CharField()
    source = EnumField(ActionSource)
    title = serializers.CharField()
    why = serializers.CharField()
    what_to_do = serializers.CharField(help_text="Steps, one per line")
    who = serializers.CharField()
    who_label = serializers.CharField()
    effort = serializers.CharField()
    effort_label = serializers.CharField()
    cost = serializers.CharField(help_text="free, low (< 500 €), medium (≤ 2,000 €), high")
    priority = serializers.FloatField()
    severity = serializers.CharField()
    red_flag = serializers.BooleanField()
    known_exploited = serializers.BooleanField()
    contradiction = serializers.CharField(help_text="Set when the evidence overrules an answer")
    question = serializers.CharField()
    finding = serializers.CharField()
    measures = serializers.ListField(child=serializers.CharField())
    this_week = serializers.BooleanField()
    status = EnumField(ActionStatus)
    still_present = serializers.BooleanField(help_text="Marked done, yet the cause is still seen")
    assignee = serializers.IntegerField(allow_null=True)
    assignee_name = serializers.CharField()
    done_at = serializers.DateTimeField(allow_null=True)
    reopened = serializers.IntegerField()


class PlanSerializer(serializers.Serializer):
    lang = serializers.CharField()
    items = PlanItemSerializer(many=True)


def plan_data(rows: list[PlanRow], lang: str) -> dict[str, Any]:
    items = []
    for row in rows:
        a, item = row.action, row.item
        items.append(
            {
                "id": item.pk if item.pk and not item._state.adding else None,
                "key": a.key,
                "source": a.source,
                "title": a.title,
                "why": a.why,
                "what_to_do": a.what_to_do,
                "who": a.who,
                "who_label": WHO_LABELS[lang][a.who],
                "effort": a.effort,
                "effort_label": EFFORT_LABELS[lang][a.effort],
                "cost": a.cost,
                "priority": a.priority,
                "severity": a.severity,
                "red_flag": a.red_flag,
                "known_exploited": a.known_exploited,
                "contradiction": a.contradiction,
                "question": a.question,
                "finding": a.finding,
                "measures": list(a.measures),
                "this_week": row.this_week,
                "status": item.status,
                "still_present": row.still_present,
                "assignee": item.assignee_id,
                "assignee_name": item.assignee_name,
                "done_at": item.done_at,
                "reopened": item.reopened,
            }
        )
    return {"lang": lang, "items": items}


class ActionItemSerializer(serializers.ModelSerializer):
    status = EnumField(ActionStatus)
    source = EnumField(ActionSource)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)

    class Meta:
        model = ActionItem
        fields = (
            "id",
            "key",
            "source",
            "title",
            "status",
            "priority",
            "assignee",
            "assignee_name",
            "done_at",
            "closed_at",
            "reopened",
            "updated_at",
        )


class ActionItemPatchSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["done", "open"], required=False)
    assignee = serializers.IntegerField(
        required=False, allow_null=True, help_text="A user id, member of the organisation"
    )
    assignee_name = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="A person without an account"
    )
