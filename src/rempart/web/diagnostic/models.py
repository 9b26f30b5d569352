"""The diagnostic of a business (its answers over time) and its action plan items.

The questionnaire itself is versioned data (``rempart.knowledge.questionnaire``); an
assessment records the version it was answered under, and its answers by stable question id.
The plan is computed (``rempart.diagnostic.plan``); an ``ActionItem`` is the business's record
of one planned action — who it is assigned to, whether it was done — kept across recomputations
by its stable key.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from rempart.web.findings.models import Finding
from rempart.web.orgs.models import Organisation, User


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Assessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="assessments"
    )
    questionnaire_version = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The maturity as computed at submission (rempart.diagnostic.model.Maturity): peers are
    # compared on it. The history re-scores the answers under the current questionnaire.
    index = models.FloatField(null=True, blank=True)
    raw = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=12, blank=True, default="")
    themes = models.JSONField(default=dict, blank=True)
    red_flags = models.JSONField(default=list, blank=True)
    contradictions = models.JSONField(default=list, blank=True)
    applicable = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "-started_at"]
        indexes = [models.Index(fields=["organisation", "-started_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="draft"),
                name="one_draft_assessment_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.questionnaire_version} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question_id = models.CharField(max_length=80)
    # The questionnaire version the question id belongs to: an answer to a question a later
    # version dropped is kept and shown as set aside, with this version (issue 5).
    version = models.CharField(max_length=20)
    choice_id = models.CharField(max_length=40)
    note = models.TextField(blank=True, default="")
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField()
    # Given by the organisation's IT provider (their role when answering), not the business.
    on_behalf = models.BooleanField(default=False)

    class Meta:
        ordering = ["assessment", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_id"], name="one_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}={self.choice_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
    CLOSED = "closed", _("Closed by itself")


class ActionSource(models.TextChoices):
    ANSWER = "answer", _("Diagnostic answer")
    FIND_OUT = "find_out", _("To find out")
    FINDING = "finding", _("Finding")


class ActionItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="action_items"
    )
    key = models.CharField(max_length=120)  # PlannedAction.key: "q:…", "k:…", "f:<finding>"
    source = models.CharField(max_length=10, choices=ActionSource.choices)
    # A French snapshot for lists and the admin; pages show the plan's live text.
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    priority = models.FloatField(default=0.0)
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_name = models.CharField(max_length=120, blank=True, default="")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "-priority"]
        indexes = [models.Index(fields=["organisation", "status", "-priority"])]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="one_item_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
