"""What the API shows of imports, software components, alerts and feeds."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rempart.web.api.schema import EnumField
from rempart.web.api.serializers import page_of
from rempart.web.imports.models import Alert, AlertKind, Component, Import, ImportStatus


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # an empty Nuclei JSONL is a valid "nothing found" report
        help_text="The report file, as the tool wrote it.",
    )
    format = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="The format name (see GET /api/import-formats/); detected from the content "
        "when empty.",
    )
    scope = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="What the report covers. A newer report of the same tool and scope closes "
        "what it no longer lists. Default: 'default'.",
    )


class ImportSerializer(serializers.ModelSerializer):
    status = EnumField(ImportStatus)
    organisation = serializers.UUIDField(source="organisation_id")
    counts = serializers.DictField(
        help_text="opened, reopened, fixed, seen, findings, components, not_imported…"
    )
    progress = serializers.IntegerField(
        source="live_progress", read_only=True, help_text="Percent of the file read"
    )

    class Meta:
        model = Import
        fields = (
            "id",
            "organisation",
            "status",
            "file_name",
            "size",
            "sha256",
            "format",
            "tool",
            "tool_version",
            "scope",
            "scanned_at",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
            "stage",
            "error",
            "counts",
        )


ImportPage = page_of(ImportSerializer)


class VulnerabilitySerializer(serializers.Serializer):
    finding = serializers.UUIDField()
    id = serializers.CharField(help_text="CVE (or advisory) id")
    severity = serializers.CharField()
    known_exploited = serializers.BooleanField()
    fix = serializers.CharField(help_text="Version(s) to install, when known")


class ComponentSerializer(serializers.ModelSerializer):
    vulnerabilities = serializers.SerializerMethodField()

    class Meta:
        model = Component
        fields = (
            "id",
            "name",
            "version",
            "vendor",
            "purl",
            "cpe",
            "ecosystem",
            "target",
            "source",
            "scope",
            "vulnerabilities",
        )

    @extend_schema_field(VulnerabilitySerializer(many=True))
    def get_vulnerabilities(self, obj: Component) -> list[dict[str, object]]:
        table: dict[str, list[dict[str, object]]] = self.context.get("vulnerable", {})
        return table.get(component_place(obj), [])


ComponentPage = page_of(ComponentSerializer)


def component_place(obj: Component) -> str:
    """The location its vulnerability findings carry (see imports.services._package_place)."""
    if obj.purl:
        return obj.purl.split("?", 1)[0].split("#", 1)[0].lower()
    return f"{obj.name}@{obj.version}".lower()


class AlertSerializer(serializers.ModelSerializer):
    kind = EnumField(AlertKind)
    finding = serializers.UUIDField(source="finding_id", allow_null=True)
    detail = serializers.DictField()

    class Meta:
        model = Alert
        fields = ("id", "kind", "cve", "subject", "detail", "finding", "created_at", "read_at")


AlertPage = page_of(AlertSerializer)


class FormatSerializer(serializers.Serializer):
    name = serializers.CharField()
    tool = serializers.CharField()
    label = serializers.CharField()


class FeedSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
