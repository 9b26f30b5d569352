"""Family ``net``: risky services reachable on a target's addresses (checks.md, "Exposed services").

A bounded list of ports, a TCP connect scan, then short protocol-aware probes on the open
ports: the SMB negotiation (does it accept SMBv1?), an anonymous FTP login, and banners
whose product and version feed the version-range advisories and the CISA KEV catalog.
A port that does not answer (filtered) counts as closed; a probe that cannot tell (silent,
garbage, closed) gives ``error`` for the probe-based ids while the exposure id still says
the port is open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from rempart.engine import software
from rempart.engine.catalog import ids_of_family
from rempart.engine.checks.observe import observe
from rempart.engine.context import ConnectError, ScanContext
from rempart.engine.guard import GuardRefusal
from rempart.engine.kev import kev_entry
from rempart.engine.model import Observation, Status
from rempart.engine.net.banners import PROBES, Banner, BannerError, FtpSession, probe_ftp
from rempart.engine.net.smb import SmbError, SmbV1Verdict, probe_smbv1
from rempart.engine.target import Target, TargetKind

# The only ports this family touches (checks.md: a bounded list).
RISKY_PORTS: tuple[int, ...] = (
    21,
    23,
    139,
    445,
    3389,
    1433,
    1521,
    3306,
    5432,
    27017,
    6379,
    9200,
    5984,
    11211,
    5900,
    5985,
    5986,
)
PRODUCT_BY_PORT: dict[int, str] = {
    21: "FTP",
    23: "Telnet",
    139: "SMB over NetBIOS",
    445: "SMB",
    3389: "RDP",
    1433: "Microsoft SQL Server",
    1521: "Oracle Database",
    3306: "MySQL",
    5432: "PostgreSQL",
    27017: "MongoDB",
    6379: "Redis",
    9200: "Elasticsearch",
    5984: "CouchDB",
    11211: "Memcached",
    5900: "VNC",
    5985: "WinRM (HTTP)",
    5986: "WinRM (HTTPS)",
}
EXPOSURE_PORTS: dict[str, tuple[int, ...]] = {
    "net.exposed.smb": (445, 139),
    "net.exposed.rdp": (3389,),
    "net.exposed.telnet": (23,),
    "net.exposed.ftp": (21,),
    "net.exposed.database": (3306, 5432, 1433, 1521, 27017, 6379, 9200, 5984, 11211),
    "net.exposed.vnc": (5900,),
    "net.exposed.winrm": (5985, 5986),
}
SMB_PORTS = (445, 139)
FTP_PORT = 21
# MS17-010 (EternalBlue, WannaCry): the SMBv1 server flaws that make SMBv1 critical.
SMBV1_REFERENCES = ("CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0143", "MS17-010")
NET_IDS = tuple(ids_of_family("net"))
_T = TypeVar("_T")


def where(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


async def run(target: Target, ctx: ScanContext) -> list[Observation]:
    wanted = [c for c in NET_IDS if ctx.wants(c)]
    if not wanted:
        return []
    if target.kind is TargetKind.URL:
        reason = "exposed services are checked on domain and host targets, not on URLs"
        return [observe(c, Status.SKIPPED, str(target), reason=reason) for c in wanted]
    resolution = await ctx.resolve(target.name)
    found: list[Observation] = []
    for refusal in resolution.refused:  # the guard's sentence: no traffic was sent
        found += [observe(c, Status.ERROR, target.name, reason=refusal) for c in wanted]
    if resolution.error and not resolution.allowed:
        status = Status.SKIPPED if not resolution.exists else Status.ERROR
        reason = (
            f"no address: {resolution.error}"
            if not resolution.exists
            else (f"could not resolve {target.name}: {resolution.error}")
        )
        found += [observe(c, status, target.name, reason=reason) for c in wanted]
    elif not resolution.allowed and not resolution.refused:
        found += [
            observe(
                c,
                Status.SKIPPED,
                target.name,
                reason="the name resolves to no address: no service to check",
            )
            for c in wanted
        ]
    per_address = await asyncio.gather(
        *(_scan_address(str(ip), ctx, wanted) for ip in resolution.allowed)
    )
    for observations in per_address:
        found += observations
    return found


# -- one address -------------------------------------------------------------------------


async def _scan_address(ip: str, ctx: ScanContext, wanted: list[str]) -> list[Observation]:
    states = await asyncio.gather(*(ctx.port_open(ip, port) for port in RISKY_PORTS))
    open_ports = [p for p, (is_open, _) in zip(RISKY_PORTS, states, strict=True) if is_open]
    all_silent = not open_ports and all("no answer" in why for _, why in states)
    found = _exposures(ip, open_ports, all_silent, wanted)
    if ctx.wants("net.smb.v1"):
        found += await _smb(ip, [p for p in SMB_PORTS if p in open_ports], ctx)
    banners: dict[int, Banner | str] = {}
    if ctx.wants("net.ftp.anonymous", "net.service.version", "net.service.known_exploited"):
        banners = await _banners(ip, open_ports, ctx, found)
    if ctx.wants("net.service.version"):
        found += _versions(ip, banners)
    if ctx.wants("net.service.known_exploited"):
        found += _known_exploited(ip, banners)
    return found


def _exposures(
    ip: str, open_ports: list[int], all_silent: bool, wanted: list[str]
) -> list[Observation]:
    found: list[Observation] = []
    for check, ports in EXPOSURE_PORTS.items():
        if check not in wanted:
            continue
        hits = [p for p in ports if p in open_ports]
        for port in hits:
            evidence = f"{PRODUCT_BY_PORT[port]} port {port}/tcp accepts connections"
            found.append(observe(check, Status.FAIL, where(ip, port), evidence))
        if not hits:
            listed = ", ".join(f"{p}/tcp" for p in ports)
            evidence = f"{listed} closed"
            if all_silent:
                evidence += (
                    f"; none of the {len(RISKY_PORTS)} ports answered in time "
                    "(filtered, or the host is down)"
                )
            found.append(observe(check, Status.PASS, ip, evidence))
    return found


async def _attempt(ctx: ScanContext, what: str, job: Awaitable[_T]) -> _T | str:
    """Run one probe under a deadline; return its value, or why it could not tell."""
    deadline = ctx.config.timeout * (ctx.config.retries + 4)
    try:
        return await asyncio.wait_for(job, deadline)
    except TimeoutError:
        return (
            f"{what}: no answer within {ctx.config.timeout:g} s "
            "(the service accepted the connection and stayed silent)"
        )
    except EOFError as exc:
        return f"{what}: {exc or 'the server closed the connection'}"
    except (BannerError, SmbError) as exc:
        return f"{what}: unexpected answer ({exc})"
    except (ConnectError, GuardRefusal) as exc:
        return f"{what}: {exc}"
    except OSError as exc:
        return f"{what}: {exc.strerror or exc}"


async def _smb(ip: str, ports: list[int], ctx: ScanContext) -> list[Observation]:
    if not ports:
        return [observe("net.smb.v1", Status.SKIPPED, ip, reason="no SMB port (445, 139) is open")]
    found: list[Observation] = []
    for port in ports:
        place = where(ip, port)
        verdict = await _attempt(ctx, f"SMB negotiation with {place}", probe_smbv1(ctx, ip, port))
        if isinstance(verdict, str):
            found.append(observe("net.smb.v1", Status.ERROR, place, reason=verdict))
        else:
            found.append(_smb_observation(place, verdict))
    return found


def _smb_observation(place: str, verdict: SmbV1Verdict) -> Observation:
    if verdict.accepts_v1:
        return observe(
            "net.smb.v1", Status.FAIL, place, verdict.evidence, references=SMBV1_REFERENCES
        )
    return observe("net.smb.v1", Status.PASS, place, verdict.evidence)


async def _banners(
    ip: str, open_ports: list[int], ctx: ScanContext, found: list[Observation]
) -> dict[int, Banner | str]:
    """Banner (or the reason we have none) per probed open port; adds net.ftp.anonymous."""
    probed = [p for p in open_ports if p in PROBES]
    jobs: list[Awaitable[Banner | str]] = [
        _attempt(ctx, f"banner of {where(ip, p)}", PROBES[p](ctx, ip, p)) for p in probed
    ]
    results: dict[int, Banner | str] = dict(zip(probed, await asyncio.gather(*jobs), strict=True))
    if FTP_PORT not in open_ports:
        if ctx.wants("net.ftp.anonymous"):
            found.append(
                observe("net.ftp.anonymous", Status.SKIPPED, ip, reason="FTP port 21 is closed")
            )
        return results
    place = where(ip, FTP_PORT)
    session = await _attempt(
        ctx,
        f"FTP session with {place}",
        probe_ftp(ctx, ip, FTP_PORT, try_anonymous=ctx.wants("net.ftp.anonymous")),
    )
    results[FTP_PORT] = session if isinstance(session, str) else session.banner
    if ctx.wants("net.ftp.anonymous"):
        found.append(_ftp_observation(place, session))
    return results


def _ftp_observation(place: str, session: FtpSession | str) -> Observation:
    if isinstance(session, str):
        return observe("net.ftp.anonymous", Status.ERROR, place, reason=session)
    status = Status.FAIL if session.anonymous else Status.PASS
    return observe("net.ftp.anonymous", status, place, f"USER anonymous: {session.evidence}")


def _versions(ip: str, banners: dict[int, Banner | str]) -> list[Observation]:
    if not banners:
        return [
            observe("net.service.version", Status.PASS, ip, "no open service with a banner probe")
        ]
    found: list[Observation] = []
    for port, banner in sorted(banners.items()):
        place = where(ip, port)
        if isinstance(banner, str):
            found.append(observe("net.service.version", Status.ERROR, place, reason=banner))
        elif banner.discloses_version:
            evidence = f"{banner.product} {banner.version} ({banner.evidence})"
            found.append(observe("net.service.version", Status.FAIL, place, evidence[:480]))
        else:
            found.append(observe("net.service.version", Status.PASS, place, banner.evidence))
    return found


def _known_exploited(ip: str, banners: dict[int, Banner | str]) -> list[Observation]:
    versioned = {p: b for p, b in banners.items() if isinstance(b, Banner) and b.discloses_version}
    if not versioned:
        unread = [b for b in banners.values() if isinstance(b, str)]
        if unread:
            reason = "no banner disclosed a version and some could not be read: " + unread[0]
            return [observe("net.service.known_exploited", Status.ERROR, ip, reason=reason)]
        return [
            observe(
                "net.service.known_exploited",
                Status.PASS,
                ip,
                "no service disclosed a product version to match",
            )
        ]
    return [_kev_observation(where(ip, port), banner) for port, banner in sorted(versioned.items())]


def _kev_observation(place: str, banner: Banner) -> Observation:
    name = f"{banner.product} {banner.version}"
    hits: list[str] = []
    references: list[str] = []
    advisories = software.match(banner.key, banner.version or "") if banner.key else []
    for advisory in advisories:
        for cve in advisory.cves:
            entry = kev_entry(cve)
            if entry is not None and cve not in references:  # only what CISA lists
                references.append(cve)
                hits.append(f"{cve} (CISA KEV, added {entry.date_added})")
    if hits:
        evidence = f"{name} on {place}: {'; '.join(hits)}"
        return observe(
            "net.service.known_exploited",
            Status.FAIL,
            place,
            evidence[:480],
            references=tuple(references),
        )
    return observe(
        "net.service.known_exploited",
        Status.PASS,
        place,
        f"{name} on {place}: no known exploited vulnerability in the shipped ranges",
    )
