"""Scans and campaigns in the Django admin: a record of jobs, so read-only."""

from django.contrib import admin
from django.http import HttpRequest

from rempart.web.scans.models import Campaign, Scan


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs are written by the services and workers; editing one by hand would break the
    fencing of claims and the link between a scan and the findings it folded."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "asset",
        "organisation",
        "mode",
        "trigger",
        "status",
        "grade",
        "score",
        "attempts",
    )
    list_filter = ("status", "mode", "trigger", "grade")
    search_fields = ("asset__name", "organisation__name", "claimed_by")
    list_select_related = ("asset", "organisation")
    date_hierarchy = "created_at"
    exclude = ("observations",)  # thousands of lines; the portal's scan page shows them grouped


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "created_by", "created_at")
    search_fields = ("name",)
    list_select_related = ("created_by",)
