"""The explicit mapping of check families to their run functions (no auto-discovery)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rempart.engine.checks import dns, mail, services, tls, web
from rempart.engine.context import ScanContext
from rempart.engine.model import Observation
from rempart.engine.target import Target

FamilyRun = Callable[[Target, ScanContext], Awaitable[list[Observation]]]

FAMILY_RUNS: dict[str, FamilyRun] = {
    "dns": dns.run,
    "mail": mail.run,
    "tls": tls.run,
    "web": web.run,
    "net": services.run,
}
