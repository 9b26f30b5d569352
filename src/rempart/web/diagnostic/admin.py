"""Assessments, answers and plan items in the Django admin, read-only: answers, submissions
and plan changes go through ``diagnostic.services`` so that the audit log is never skipped."""

from django.contrib import admin
from django.http import HttpRequest

from rempart.web.diagnostic.models import ActionItem, Answer, Assessment


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("question_id", "choice_id", "note", "answered_by", "answered_at", "on_behalf")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(_ReadOnly):
    list_display = (
        "organisation",
        "questionnaire_version",
        "status",
        "index",
        "level",
        "started_at",
        "submitted_at",
    )
    list_filter = ("status", "level", "questionnaire_version")
    search_fields = ("organisation__name",)
    list_select_related = ("organisation",)
    inlines = (AnswerInline,)


@admin.register(Answer)
class AnswerAdmin(_ReadOnly):
    list_display = ("question_id", "choice_id", "assessment", "on_behalf", "answered_at")
    search_fields = ("question_id", "assessment__organisation__name")
    list_select_related = ("assessment__organisation",)


@admin.register(ActionItem)
class ActionItemAdmin(_ReadOnly):
    list_display = ("title", "organisation", "source", "status", "priority", "assignee_name")
    list_filter = ("status", "source")
    search_fields = ("title", "key", "organisation__name", "assignee_name")
    list_select_related = ("organisation",)
