"""Organisations, people, roles, invitations and the audit log (design.md §8)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member (read only)")
    PROVIDER = "provider", _("IT provider")


class StaffRole(models.TextChoices):
    NONE = "", _("None")
    ANALYST = "analyst", _("Center analyst")
    EVALUATOR = "evaluator", _("Evaluator")
    ADMIN = "admin", _("Administrator")


class HeadcountBand(models.TextChoices):
    B1_9 = "1-9", _("1 to 9 people")
    B10_49 = "10-49", _("10 to 49 people")
    B50_249 = "50-249", _("50 to 249 people")
    B250 = "250+", _("250 people or more")


class EmailUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Log-in is by e-mail, case-insensitively: "Alice@X.fr" and "alice@x.fr" are one person.
        return self.get(email__iexact=username)


class User(AbstractUser):
    email = models.EmailField(_("e-mail address"), unique=True)
    staff_role = models.CharField(
        _("center role"), max_length=16, choices=StaffRole.choices, blank=True, default=""
    )
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)  # a code is accepted once (replay)

    objects = EmailUserManager()
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    @property
    def is_center_staff(self) -> bool:
        return bool(self.staff_role) or self.is_superuser

    @property
    def sees_all_organisations(self) -> bool:
        return self.staff_role in (StaffRole.ANALYST, StaffRole.ADMIN) or self.is_superuser

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("company name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, unique=True)
    naf = models.CharField(_("NAF code"), max_length=6)
    headcount = models.CharField(_("headcount"), max_length=8, choices=HeadcountBand.choices)
    departement = models.CharField(_("département"), max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class Invitation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 of the emailed token
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)


class AuditAction(models.TextChoices):
    SIGNUP = "signup", _("Sign-up")
    LOGIN = "login", _("Log-in")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOGIN_THROTTLED = "login_throttled", _("Log-in blocked (too many failures)")
    TOTP_ENABLED = "totp_enabled", _("Two-factor authentication enabled")
    TOTP_FAILED = "totp_failed", _("Two-factor code refused")
    INVITATION_SENT = "invitation_sent", _("Invitation sent")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    ASSET_ADDED = "asset_added", _("Asset added")
    ASSET_REMOVED = "asset_removed", _("Asset removed")
    ASSET_VERIFIED = "asset_verified", _("Control of the asset proven")
    ASSET_VERIFICATION_FAILED = "asset_verification_failed", _("Proof of control failed")
    ASSET_VERIFICATION_LOST = "asset_verification_lost", _("Proof of control lost")
    SCAN_REQUESTED = "scan_requested", _("Scan requested")
    RISK_ACCEPTED = "risk_accepted", _("Risk accepted")
    FALSE_POSITIVE = "false_positive", _("Marked as false positive")
    TRIAGE_REVERTED = "triage_reverted", _("Triage decision reverted")
    TOKEN_CREATED = "token_created", _("API token created")
    REPORT_IMPORTED = "report_imported", _("Report uploaded for import")
    FEEDS_UPDATED = "feeds_updated", _("Vulnerability feeds updated")
    DIAGNOSTIC_SUBMITTED = "diagnostic_submitted", _("Diagnostic submitted")
    ACTION_ASSIGNED = "action_assigned", _("Action assigned")
    ACTION_DONE = "action_done", _("Action marked done")
    ACTION_REOPENED = "action_reopened", _("Action reopened")
    REPORT_GENERATED = "report_generated", _("Report generated")
    ATTESTATION_ISSUED = "attestation_issued", _("Attestation signed")


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=254, blank=True, default="")  # kept if user goes
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="audit"
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=32, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "-at"])]
