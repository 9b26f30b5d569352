"""Assets: validate a declared name, add, remove, prove control (services, style rule 9)."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.engine.guard import Guard, GuardRefusal
from rempart.engine.ownership import Proof, prove_control
from rempart.engine.target import TargetError, TargetKind, parse_target
from rempart.web.assets.models import Asset, AssetKind, Schedule
from rempart.web.engine_bridge import engine_config
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Organisation, User

MAX_NAME = 300
SCHEDULE_PERIOD = {
    Schedule.DAILY: timedelta(days=1),
    Schedule.WEEKLY: timedelta(days=7),
    Schedule.MONTHLY: timedelta(days=30),
}


def check_asset_name(kind: str, text: str) -> str:
    """The normalised name of an asset, or ValidationError with a message for the user."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(_("Enter a name."), code="required")
    if len(raw) > MAX_NAME:
        raise ValidationError(
            _("This name is too long (at most %(max)d characters).") % {"max": MAX_NAME},
            code="max_length",
        )
    try:
        target = parse_target(raw)
    except TargetError as exc:
        raise ValidationError(
            _("This name is not valid: %(reason)s.") % {"reason": exc}, code="invalid"
        ) from None
    if target.is_ip:
        _check_public_address(target.name)
    if kind == AssetKind.DOMAIN:
        if target.kind is not TargetKind.DOMAIN or target.is_ip or "." not in target.name:
            raise ValidationError(
                _("A domain is written like “example.fr”, without http:// or a port."),
                code="invalid",
            )
        return target.name
    if kind == AssetKind.WEBSITE:
        if target.kind is not TargetKind.URL:
            raise ValidationError(
                _("A website is written with its full address: “https://example.fr/”."),
                code="invalid",
            )
        return str(target)
    if kind == AssetKind.HOST:
        if target.kind is TargetKind.URL:
            raise ValidationError(
                _("A host is written as a name or an IP address, without http://."),
                code="invalid",
            )
        return str(target)
    raise ValidationError(_("Unknown kind of asset."), code="invalid")


def _check_public_address(text: str) -> None:
    try:
        Guard(lab=settings.REMPART_LAB).check(ipaddress.ip_address(text))
    except GuardRefusal as exc:
        raise ValidationError(
            _("This address cannot be scanned: %(reason)s.") % {"reason": exc},
            code="forbidden_address",
        ) from None


def do_add_asset(organisation: Organisation, kind: str, name: str, actor: User | None) -> Asset:
    normalised = check_asset_name(kind, name)
    try:
        with transaction.atomic():
            asset = Asset.objects.create(
                organisation=organisation,
                kind=kind,
                name=normalised,
                next_scan_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(
            _("This asset is already declared for your organisation."), code="duplicate"
        ) from None
    audit(AuditAction.ASSET_ADDED, actor=actor, organisation=organisation, obj=asset, name=name)
    return asset


def do_remove_asset(asset: Asset, actor: User | None) -> None:
    """Stop watching the asset. Its scans, findings and history stay (design.md §6)."""
    audit(
        AuditAction.ASSET_REMOVED,
        actor=actor,
        organisation=asset.organisation,
        obj=asset,
        name=asset.name,
    )
    asset.removed_at = timezone.now()
    asset.schedule = Schedule.OFF
    asset.next_scan_at = None
    asset.verified_at = None  # a later re-declaration proves control again
    asset.save(update_fields=["removed_at", "schedule", "next_scan_at", "verified_at"])


def do_verify_asset(asset: Asset, actor: User | None, *, reason: str = "manual") -> bool:
    """Look for the proof now; record the outcome; audit any change. True when verified."""
    proof = asyncio.run(prove_control(asset.host, asset.token, engine_config(active=False)))
    return record_proof(asset, proof, actor, reason=reason)


def prove_many(assets: list[Asset]) -> list[Proof]:
    """Look for the proofs of several assets at once (one event loop, concurrent look-ups)."""

    async def gather() -> list[Proof]:
        config = engine_config(active=False)
        return list(await asyncio.gather(*(prove_control(a.host, a.token, config) for a in assets)))

    return asyncio.run(gather()) if assets else []


def record_proof(asset: Asset, proof: Proof, actor: User | None, *, reason: str) -> bool:
    now = timezone.now()
    was_verified = asset.is_verified
    asset.last_check_at = now
    if proof.ok:
        asset.last_check_error = ""
        asset.verification_method = str(proof.method)
        if not was_verified:
            asset.verified_at = now
    else:
        asset.last_check_error = "\n".join(proof.reasons)[:2000]
        asset.verified_at = None
        asset.verification_method = ""
    asset.save(
        update_fields=["last_check_at", "last_check_error", "verification_method", "verified_at"]
    )
    if proof.ok and not was_verified:
        action = AuditAction.ASSET_VERIFIED
    elif not proof.ok and was_verified:
        action = AuditAction.ASSET_VERIFICATION_LOST
    elif not proof.ok and reason == "manual":
        action = AuditAction.ASSET_VERIFICATION_FAILED
    else:
        return proof.ok
    audit(
        action,
        actor=actor,
        organisation=asset.organisation,
        obj=asset,
        method=asset.verification_method,
        trigger=reason,
        detail=asset.last_check_error[:500],
    )
    return proof.ok


def next_scan_after(asset: Asset, when: datetime) -> datetime | None:
    period = SCHEDULE_PERIOD.get(Schedule(asset.schedule))
    return when + period if period else None


def do_set_schedule(asset: Asset, schedule: str, actor: User | None) -> Asset:
    """Save the schedule; the next automatic scan is one period after now (none when off).

    An earlier planned date is kept, so shortening the period never postpones a due scan.
    """
    asset.schedule = Schedule(schedule)
    following = next_scan_after(asset, timezone.now())
    if following is None or asset.next_scan_at is None:
        asset.next_scan_at = following
    else:
        asset.next_scan_at = min(asset.next_scan_at, following)
    asset.save(update_fields=["schedule", "next_scan_at"])
    return asset
