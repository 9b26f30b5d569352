"""How the platform configures and calls the engine (the only place that builds a ScanConfig)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from rempart.engine.catalog import CATALOG, ids_of_family
from rempart.engine.context import ScanConfig

# Families an unverified asset may get: public DNS look-ups only (design.md §4). The mail
# family also opens SMTP connections to the MX, so only its DNS-record checks are passive.
PASSIVE_CHECKS: frozenset[str] = frozenset(
    [*ids_of_family("dns")]
    + [
        c
        for c in ids_of_family("mail")
        if c not in ("mail.starttls.missing", "mail.starttls.legacy_tls")
    ]
)
ACTIVE_CHECKS: frozenset[str] = frozenset(CATALOG)


def _resolver() -> tuple[str, int] | None:
    raw = settings.REMPART_RESOLVER
    if not raw:
        return None
    host, _, port = raw.rpartition(":")
    return (host or raw, int(port) if host else 53)


def engine_config(*, active: bool, concurrency: int = 256) -> ScanConfig:
    ca = settings.REMPART_CA_FILE
    return ScanConfig(
        resolver=_resolver(),
        ca_files=(Path(ca),) if ca else (),
        lab=settings.REMPART_LAB,
        checks=ACTIVE_CHECKS if active else PASSIVE_CHECKS,
        timeout=settings.REMPART_SCAN_TIMEOUT,
        concurrency=concurrency,
    )
