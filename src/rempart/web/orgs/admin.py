"""Django admin for people, organisations and the audit log (center admins only)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from rempart.web.orgs.models import AuditEvent, Invitation, Membership, Organisation, User


class EmailUserCreationForm(AdminUserCreationForm):
    """People log in with their e-mail; the username is an internal id set on save."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        user.username = uuid.uuid4().hex
        if commit:
            user.save()
        return user


class EmailUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("organisation",)


@admin.register(User)
class EmailUserAdmin(UserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    list_display = ("email", "first_name", "staff_role", "has_totp", "is_staff", "is_active")
    list_filter = ("staff_role", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("totp_confirmed_at", "last_login", "date_joined")
    # The TOTP secret is never shown; clearing totp_confirmed_at is done by re-enrolment.
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Center"), {"fields": ("staff_role", "totp_confirmed_at")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    inlines = (MembershipInline,)

    def get_inlines(self, request: HttpRequest, obj: Model | None) -> Any:
        # Like Django's own user admin: create the account first, then give it memberships.
        return self.inlines if obj is not None else ()

    @admin.display(boolean=True, description=_("two-factor"))
    def has_totp(self, obj: User) -> bool:
        return obj.has_totp


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "siren", "naf", "headcount", "departement", "created_at")
    list_filter = ("headcount", "departement")
    search_fields = ("name", "siren")
    readonly_fields = ("created_at",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "organisation")
    search_fields = ("user__email", "organisation__name", "organisation__siren")
    autocomplete_fields = ("user", "organisation")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "created_at", "expires_at", "accepted_at")
    list_select_related = ("organisation",)
    search_fields = ("email", "organisation__name")
    # The hash is useless to a person and the token is never stored: nothing to edit here.
    exclude = ("token_hash",)
    readonly_fields = ("organisation", "email", "role", "invited_by", "created_at", "accepted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations are sent from the members page, which e-mails the link


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: an audit log that an admin could edit would prove nothing."""

    list_display = ("at", "action", "actor_label", "organisation", "object_type", "ip")
    list_filter = ("action",)
    list_select_related = ("organisation",)
    search_fields = ("actor_label", "organisation__name", "object_id")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
