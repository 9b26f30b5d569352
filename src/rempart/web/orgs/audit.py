"""Write to the audit log: one call per security-relevant action (design.md §8)."""

from __future__ import annotations

from typing import Any

from rempart.web.orgs.models import AuditAction, AuditEvent, Organisation, User


def audit(
    action: AuditAction,
    *,
    actor: User | None = None,
    organisation: Organisation | None = None,
    obj: Any = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    label = ""
    if actor is not None and actor.is_authenticated:
        label = actor.email
    else:
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=label or str(detail.get("email", "")),
        organisation=organisation,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "pk", "")) if obj is not None else "",
        detail={k: str(v) for k, v in detail.items()},
        ip=ip,
    )
