"""What the API shows of reports and their attestations."""

from __future__ import annotations

from rest_framework import serializers

from rempart.web.api.schema import EnumField
from rempart.web.api.serializers import page_of
from rempart.web.reports.models import Report, ReportLanguage, ReportStatus


class ReportRequestSerializer(serializers.Serializer):
    lang = serializers.ChoiceField(
        choices=ReportLanguage.choices,
        default=ReportLanguage.FR,
        help_text="Language of the report: fr (default) or en.",
    )


class ReportSerializer(serializers.ModelSerializer):
    status = EnumField(ReportStatus)
    organisation = serializers.UUIDField(source="organisation_id")
    attestation = serializers.UUIDField(
        source="attestation_id", allow_null=True, help_text="Serial of the signed attestation"
    )

    class Meta:
        model = Report
        fields = (
            "id",
            "organisation",
            "lang",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "sha256",
            "size",
            "pages",
            "error",
            "attestation",
        )
        read_only_fields = fields


ReportPage = page_of(ReportSerializer)
