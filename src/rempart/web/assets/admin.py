"""Assets in the Django admin. The proof of control is read-only here: it changes only
through ``assets.services`` (which audits it), never by hand."""

from django.contrib import admin

from rempart.web.assets.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organisation", "verified_at", "schedule", "next_scan_at")
    list_filter = ("kind", "schedule", ("verified_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "organisation__name", "organisation__siren")
    list_select_related = ("organisation",)
    raw_id_fields = ("organisation",)
    readonly_fields = (
        "token",
        "verified_at",
        "verification_method",
        "last_check_at",
        "last_check_error",
        "created_at",
    )
    date_hierarchy = "created_at"
