"""OpenAPI details drf-spectacular cannot infer: the two-factor session, named enums.

Imported by ``serializers`` and ``permissions``, so the extensions are registered before any
schema is generated.
"""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from rest_framework import serializers


class TwoFactorSessionScheme(SessionScheme):
    """The portal's session cookie, documented like DRF's own session authentication."""

    target_class = "rempart.web.api.authentication.TwoFactorSessionAuthentication"


class EnumField(serializers.ChoiceField):
    """A choice field documented as one named enum per choice set.

    Several models have a ``status`` or ``kind`` with different choices; left to itself the
    schema generator names them by a hash (``Status806Enum``) and warns. Naming the set after
    its TextChoices class (``FindingStatusEnum``) gives clients stable, readable types.
    """

    def __init__(self, choices: type[TextChoices], **kwargs: Any) -> None:
        self.enum_name = f"{choices.__name__}Enum"
        super().__init__(choices=choices.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        built = build_choice_field(field)
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={k: built[k] for k in ("type", "enum", "description") if k in built},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref
