"""What the API reads and writes, for people, organisations, assets, scans and the audit log.

Serializers only shape data: every write goes through a service (style rule 9), which takes
the validated primitives, never a serializer. Findings live in ``finding_serializers``.
"""

from __future__ import annotations

from rest_framework import serializers

from rempart.web.api.schema import EnumField
from rempart.web.assets.models import Asset, AssetKind, VerificationMethod
from rempart.web.orgs.models import AuditEvent, Membership, Organisation, User
from rempart.web.scans.models import Scan, ScanStatus


def page_of(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The envelope of a LimitOffset page of ``item`` (documents paginated function views)."""
    name = item.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}ListSerializer",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# -- account --------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="Current two-factor code; required for accounts with two-factor enabled.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as the header: Authorization: Token <token>")


class MembershipSerializer(serializers.ModelSerializer):
    organisation = serializers.UUIDField(source="organisation_id")
    name = serializers.CharField(source="organisation.name")

    class Meta:
        model = Membership
        fields = ("organisation", "name", "role")


class MeSerializer(serializers.ModelSerializer):
    two_factor = serializers.BooleanField(source="has_totp")
    memberships = MembershipSerializer(many=True)

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "first_name",
            "last_name",
            "staff_role",
            "two_factor",
            "memberships",
        )


# -- organisations --------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ("id", "name", "siren", "naf", "headcount", "departement", "created_at")


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    detail = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = AuditEvent
        fields = ("id", "at", "actor", "action", "object_type", "object_id", "detail", "ip")


# -- assets ---------------------------------------------------------------------------------


class VerificationSerializer(serializers.Serializer):
    """How to prove control: publish the TXT record, or serve the file (design.md §4)."""

    txt_name = serializers.CharField()
    txt_value = serializers.CharField()
    well_known_url = serializers.CharField()


class AssetSerializer(serializers.ModelSerializer):
    organisation = serializers.UUIDField(source="organisation_id")
    kind = EnumField(AssetKind)
    verified = serializers.BooleanField(source="is_verified")
    # Read-only model fields lose allow_blank; "" (not verified) must stay in the schema.
    verification_method = serializers.ChoiceField(
        choices=VerificationMethod.choices, allow_blank=True
    )
    verification = VerificationSerializer(source="*")

    class Meta:
        model = Asset
        fields = (
            "id",
            "organisation",
            "kind",
            "name",
            "schedule",
            "verified",
            "verified_at",
            "verification_method",
            "last_check_at",
            "last_check_error",
            "next_scan_at",
            "created_at",
            "verification",
        )
        read_only_fields = fields


class AssetCreateSerializer(serializers.Serializer):
    kind = EnumField(AssetKind)
    # No length limit here: the service says how long a name may be, in the user's language.
    name = serializers.CharField()


# -- scans ----------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")
    percent = serializers.IntegerField()


class ObservationSerializer(serializers.Serializer):
    """One verdict of one check at one place, as the engine reported it."""

    check = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField()
    location = serializers.CharField(allow_blank=True)
    evidence = serializers.CharField(allow_blank=True)
    references = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(required=False, allow_blank=True)
    target = serializers.CharField(required=False)


class ScanSerializer(serializers.ModelSerializer):
    organisation = serializers.UUIDField(source="organisation_id")
    asset = serializers.UUIDField(source="asset_id")
    asset_name = serializers.CharField(source="asset.name")
    status = EnumField(ScanStatus)
    progress = ProgressSerializer(source="*")
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Failures by severity, and the number of checks that ended in error.",
    )

    class Meta:
        model = Scan
        fields = (
            "id",
            "organisation",
            "asset",
            "asset_name",
            "status",
            "mode",
            "trigger",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
            "reason",
            "grade",
            "score",
            "counts",
        )
        read_only_fields = fields


class ScanDetailSerializer(ScanSerializer):
    observations = ObservationSerializer(many=True)

    class Meta(ScanSerializer.Meta):
        fields = (*ScanSerializer.Meta.fields, "observations")
        read_only_fields = fields


OrganisationPage = page_of(OrganisationSerializer)
AssetPage = page_of(AssetSerializer)
ScanPage = page_of(ScanSerializer)
AuditEventPage = page_of(AuditEventSerializer)
