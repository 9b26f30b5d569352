"""Proof that someone controls a name: a DNS TXT record or a file at a well-known HTTPS path.

The platform gives each asset a random token. Its owner publishes either
``_rempart-challenge.<host> TXT "rempart-verification=<token>"`` (the ACME DNS-01 pattern,
RFC 8555 §8.4, so the apex TXT set stays clean) or the token in
``https://<host>/.well-known/rempart-verification.txt`` (RFC 8615 well-known URI). Only a
public DNS look-up and one guarded HTTPS GET are sent; the HTTPS fetch goes through the
engine's guard like every scan, and no redirect to another host is followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.net.http import HttpError, fetch

TXT_PREFIX = "_rempart-challenge."
TXT_VALUE_PREFIX = "rempart-verification="
WELL_KNOWN_PATH = "/.well-known/rempart-verification.txt"


class ProofMethod(StrEnum):
    DNS_TXT = "dns_txt"
    WELL_KNOWN = "well_known"


@dataclass(frozen=True, slots=True)
class Proof:
    ok: bool
    method: ProofMethod | None
    reasons: tuple[str, ...]  # why each method failed (empty when ok)


def _same_host(current: str, target: str) -> bool:
    return urlsplit(current).hostname == urlsplit(target).hostname


async def _by_txt(ctx: ScanContext, host: str, token: str) -> str:
    """Empty string when the TXT proves control, else the reason it does not."""
    name = TXT_PREFIX + host
    answer = await ctx.dns.query(name, "TXT")
    if not answer.ok:
        return answer.reason or f"no TXT record at {name}"
    wanted = TXT_VALUE_PREFIX + token
    if any(record.strip() == wanted for record in answer.records):
        return ""
    return f"the TXT records at {name} do not contain {wanted}"


async def _by_file(ctx: ScanContext, host: str, token: str) -> str:
    url = f"https://{host}{WELL_KNOWN_PATH}"
    try:
        response = await fetch(ctx, url, follow=_same_host, max_hops=3)
    except HttpError as exc:
        return str(exc)
    if response.status != 200:
        return f"{url} answered HTTP {response.status}"
    if token in response.body.split():
        return ""
    return f"{url} does not contain the token"


async def prove_control(host: str, token: str, config: ScanConfig) -> Proof:
    """Try the DNS TXT record, then the well-known file; ok at the first that holds."""
    ctx = ScanContext(config)
    reasons: list[str] = []
    reason = await _by_txt(ctx, host, token)
    if not reason:
        return Proof(True, ProofMethod.DNS_TXT, ())
    reasons.append(reason)
    reason = await _by_file(ctx, host, token)
    if not reason:
        return Proof(True, ProofMethod.WELL_KNOWN, ())
    reasons.append(reason)
    return Proof(False, None, tuple(reasons))
