"""Assets an organisation declares, and the proof that it controls them (design.md §4)."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from rempart.web.orgs.models import Organisation


class AssetKind(models.TextChoices):
    DOMAIN = "domain", _("Domain")
    HOST = "host", _("Host")
    WEBSITE = "website", _("Website")


class VerificationMethod(models.TextChoices):
    DNS_TXT = "dns_txt", _("DNS TXT record")
    WELL_KNOWN = "well_known", _("File on the website")


class Schedule(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    DAILY = "daily", _("Every day")
    MONTHLY = "monthly", _("Every month")
    OFF = "off", _("Never (on request)")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CurrentAssetManager(models.Manager["Asset"]):
    """Assets still declared. A removed asset stays in the database with its scans and
    findings (design.md §6: history is kept, nothing is deleted) but is no longer listed,
    scanned or scheduled."""

    def get_queryset(self) -> models.QuerySet[Asset]:
        return super().get_queryset().filter(removed_at__isnull=True)


class Asset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices)
    name = models.CharField(_("name"), max_length=300)  # normalised domain, host or URL
    token = models.CharField(max_length=64, default=new_token, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(
        max_length=16, choices=VerificationMethod.choices, blank=True, default=""
    )
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True, default="")
    schedule = models.CharField(
        _("automatic scan"), max_length=16, choices=Schedule.choices, default=Schedule.WEEKLY
    )
    next_scan_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = CurrentAssetManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["name"]
        base_manager_name = "all_objects"  # a finding of a removed asset still shows its name
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "name"],
                condition=models.Q(removed_at__isnull=True),
                name="one_current_asset_name",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def host(self) -> str:
        """The DNS name that proves control: the domain, the host, or the URL's host."""
        if self.kind == AssetKind.WEBSITE:
            from urllib.parse import urlsplit

            return (urlsplit(self.name).hostname or "").lower()
        return self.name.split(":")[0] if self.name.count(":") == 1 else self.name

    @property
    def txt_name(self) -> str:
        return f"_rempart-challenge.{self.host}"

    @property
    def txt_value(self) -> str:
        return f"rempart-verification={self.token}"

    @property
    def well_known_url(self) -> str:
        return f"https://{self.host}/.well-known/rempart-verification.txt"
