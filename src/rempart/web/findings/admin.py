"""Findings in the Django admin. Their lifecycle and triage are read-only here: status
changes go through ``findings.services`` so that history and audit are never skipped, and
nothing is deleted (design.md §6)."""

from django.contrib import admin
from django.http import HttpRequest

from rempart.web.findings.models import Finding, FindingEvent


class FindingEventInline(admin.TabularInline):
    model = FindingEvent
    fields = ("at", "kind", "from_status", "to_status", "actor", "scan", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = (
        "check_id",
        "location",
        "organisation",
        "severity",
        "status",
        "known_exploited",
        "due_date",
        "last_seen",
    )
    list_filter = ("status", "severity", "known_exploited", "passive")
    search_fields = ("check_id", "location", "title", "organisation__name", "fingerprint")
    list_select_related = ("organisation",)
    date_hierarchy = "first_seen"
    inlines = (FindingEventInline,)
    readonly_fields = (
        "organisation",
        "asset",
        "fingerprint",
        "check_id",
        "location",
        "severity",
        "severity_rank",
        "known_exploited",
        "passive",
        "status",
        "evidence",
        "references",
        "sources",
        "first_seen",
        "last_seen",
        "fixed_at",
        "due_date",
        "times_reopened",
        "triage_reason",
        "accepted_until",
        "triaged_by",
        "triaged_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
