"""Findings as the API shows them, with their history and plain-language guidance."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rempart.knowledge.loader import EFFORT_LABELS, WHO_LABELS, guidance_for, language_of
from rempart.web.api.schema import EnumField
from rempart.web.api.serializers import page_of
from rempart.web.findings.models import (
    ACTIVE_STATUSES,
    EventKind,
    Finding,
    FindingEvent,
    FindingStatus,
)


def is_overdue(finding: Finding, today: date) -> bool:
    """Still to fix, and past the date the policy set (design.md §6)."""
    return (
        finding.status in ACTIVE_STATUSES
        and finding.due_date is not None
        and finding.due_date < today
    )


class FindingSerializer(serializers.ModelSerializer):
    organisation = serializers.UUIDField(source="organisation_id")
    asset = serializers.UUIDField(source="asset_id", allow_null=True)
    asset_name = serializers.CharField(source="asset.name", allow_null=True)
    status = EnumField(FindingStatus)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = (
            "id",
            "organisation",
            "asset",
            "asset_name",
            "check_id",
            "title",
            "location",
            "severity",
            "known_exploited",
            "passive",
            "status",
            "first_seen",
            "last_seen",
            "fixed_at",
            "due_date",
            "overdue",
            "times_reopened",
            "triage_reason",
            "accepted_until",
            "triaged_at",
            "sources",
            "references",
        )
        read_only_fields = fields

    def get_overdue(self, finding: Finding) -> bool:
        return is_overdue(finding, timezone.localdate())


class FindingEventSerializer(serializers.ModelSerializer):
    kind = EnumField(EventKind)
    actor = serializers.EmailField(source="actor.email", allow_null=True)

    class Meta:
        model = FindingEvent
        fields = ("at", "kind", "from_status", "to_status", "actor", "scan", "note")
        read_only_fields = fields


class GuidanceSerializer(serializers.Serializer):
    """What the catalog says about the check, in the language of the request."""

    who = serializers.CharField(help_text="yourself, it_provider or specialist")
    who_label = serializers.CharField()
    effort = serializers.CharField(help_text="minutes, hours, days or weeks")
    effort_label = serializers.CharField()
    title = serializers.CharField()
    why = serializers.CharField()
    what_to_do = serializers.CharField()


def guidance_document(check_id: str, language: str) -> dict[str, str] | None:
    guidance = guidance_for(check_id)
    if guidance is None:
        return None  # an imported tool's own rule: the catalog has nothing to say
    lang = language_of(language)
    text = guidance.text(lang)
    return {
        "who": guidance.who,
        "who_label": WHO_LABELS[lang][guidance.who],
        "effort": guidance.effort,
        "effort_label": EFFORT_LABELS[lang][guidance.effort],
        "title": text.title,
        "why": text.why,
        "what_to_do": text.what_to_do,
    }


class FindingDetailSerializer(FindingSerializer):
    events = FindingEventSerializer(many=True)
    guidance = serializers.SerializerMethodField()

    class Meta(FindingSerializer.Meta):
        fields = (*FindingSerializer.Meta.fields, "evidence", "events", "guidance")
        read_only_fields = fields

    @extend_schema_field(GuidanceSerializer(allow_null=True))
    def get_guidance(self, finding: Finding) -> dict[str, str] | None:
        return guidance_document(finding.check_id, get_language() or "fr")


class FindingExportSerializer(FindingSerializer):
    """One row of the JSON and CSV exports (documents ``exports.finding_row``)."""

    evidence = serializers.CharField()

    class Meta(FindingSerializer.Meta):
        fields = (*FindingSerializer.Meta.fields, "evidence")
        read_only_fields = fields


class AcceptRiskSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    until = serializers.DateField(help_text="Last day of the acceptance (one year at most).")


class FalsePositiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RevertSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


FindingPage = page_of(FindingSerializer)
