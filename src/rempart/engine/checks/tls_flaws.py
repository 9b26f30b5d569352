"""The TLS flaws that need more than one hello: weak and non-forward-secret suites, ROBOT,
Heartbleed, CCS injection, compression and RFC 5746 renegotiation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cryptography.hazmat.primitives.asymmetric import rsa

from rempart.engine.checks.tls_probe import (
    ALL_SUITES,
    NetErrors,
    Out,
    Probe,
    Subject,
    make_hello,
    send_probe,
)
from rempart.engine.context import ScanContext
from rempart.engine.model import Status
from rempart.engine.net import tlsraw
from rempart.engine.net import tlsrecords as tr
from rempart.engine.net import x509check as xc


async def suites_and_flaws(ctx: ScanContext, sub: Subject, legacy: list[int], out: Out) -> None:
    if not legacy:
        done = "only TLS 1.3 is accepted, which has none of these weaknesses"
        for check in (
            "tls.cipher.weak",
            "tls.cipher.no_forward_secrecy",
            "tls.vuln.heartbleed",
            "tls.vuln.robot",
            "tls.vuln.ccs_injection",
            "tls.compression",
            "tls.renegotiation.insecure",
        ):
            out.add(check, Status.PASS, done)
        return
    top = legacy[0]
    jobs: list[Awaitable[None]] = [
        _weak_suites(ctx, sub, legacy, out),
        _forward_secrecy_and_robot(ctx, sub, top, out),
        _compression(ctx, sub, [v for v in legacy if v in (tr.TLS12, tr.TLS10)] or [top], out),
        _renegotiation(ctx, sub, top, out),
    ]
    jobs.append(
        _vuln(
            ctx,
            sub,
            "tls.vuln.heartbleed",
            tlsraw.heartbleed,
            make_hello(top, ALL_SUITES, sub, heartbeat=True),
            out,
        )
    )
    jobs.append(
        _vuln(
            ctx,
            sub,
            "tls.vuln.ccs_injection",
            tlsraw.ccs_injection,
            make_hello(top, ALL_SUITES, sub),
            out,
        )
    )
    await asyncio.gather(*jobs)


async def _vuln(
    ctx: ScanContext,
    sub: Subject,
    check: str,
    probe: Callable[[ScanContext, str, int, bytes], Awaitable[xc.Verdict]],
    hello: bytes,
    out: Out,
) -> None:
    if not ctx.wants(check):
        return
    try:
        out.verdict(check, await probe(ctx, sub.ip, sub.port, hello))
    except NetErrors as exc:
        out.add(check, Status.ERROR, reason=f"could not tell: {exc or type(exc).__name__}")


async def _each_version(
    ctx: ScanContext, sub: Subject, versions: list[int], suites: tuple[int, ...], **opts: object
) -> list[tuple[int, Probe]]:
    usable = [v for v in versions if tr.suites_for(v, suites)]
    probes = await asyncio.gather(
        *(
            send_probe(ctx, sub, make_hello(v, suites, sub, **opts), tr.version_name(v))
            for v in usable
        )
    )
    return list(zip(usable, probes, strict=True))


def _judge(
    check: str,
    results: list[tuple[int, Probe]],
    bad: Callable[[int, Probe], str],
    out: Out,
    good: str,
) -> None:
    """Fail on the first bad answer; else error if any probe could not tell; else pass."""
    findings = [why for v, p in results if (why := bad(v, p))]
    errors = [p.error for _, p in results if p.error]
    if findings:
        out.add(check, Status.FAIL, "; ".join(findings))
    elif errors:
        out.add(check, Status.ERROR, reason="; ".join(errors))
    else:
        answers = "; ".join(f"{tr.version_name(v)}: {p.describe()}" for v, p in results)
        out.add(check, Status.PASS, f"{good} ({answers})")


def _picked(version: int, probe: Probe, among: tuple[int, ...]) -> str:
    hello = probe.flight.hello if probe.flight else None
    if probe.accepted(version) and hello is not None and hello.cipher in among:
        return f"{tr.version_name(version)}: {tr.suite_name(hello.cipher)} accepted"
    return ""


async def _weak_suites(ctx: ScanContext, sub: Subject, legacy: list[int], out: Out) -> None:
    if not ctx.wants("tls.cipher.weak"):
        return
    results = await _each_version(ctx, sub, legacy, tr.WEAK_SUITES)
    _judge(
        "tls.cipher.weak",
        results,
        lambda v, p: _picked(v, p, tr.WEAK_SUITES),
        out,
        "no NULL, anonymous, EXPORT, RC4, DES or 3DES suite accepted",
    )


async def _forward_secrecy_and_robot(ctx: ScanContext, sub: Subject, top: int, out: Out) -> None:
    if not ctx.wants("tls.cipher.no_forward_secrecy", "tls.vuln.robot"):
        return
    results = await _each_version(ctx, sub, [top], tr.RSA_KX_SUITES)
    _judge(
        "tls.cipher.no_forward_secrecy",
        results,
        lambda v, p: _picked(v, p, tr.RSA_KX_SUITES),
        out,
        "no RSA key-exchange suite accepted",
    )
    rsa_kx = [p for v, p in results if _picked(v, p, tr.RSA_KX_SUITES)]
    if not ctx.wants("tls.vuln.robot"):
        return
    if not rsa_kx:
        status = Status.ERROR if any(p.error for _, p in results) else Status.PASS
        reason = "; ".join(p.error for _, p in results if p.error)
        out.add("tls.vuln.robot", status, "no RSA key exchange accepted", reason)
        return
    flight = rsa_kx[0].flight
    try:
        leaf = xc.load_chain(flight.certificates[:1] if flight else [])[0]
    except (ValueError, IndexError):
        out.add("tls.vuln.robot", Status.ERROR, reason="no readable certificate with RSA kx")
        return
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        out.add("tls.vuln.robot", Status.ERROR, reason="RSA key exchange with a non-RSA key")
        return
    numbers = key.public_numbers()
    hello = make_hello(top, tr.RSA_KX_SUITES, sub)
    job = tlsraw.robot(ctx, sub.ip, sub.port, hello, top, (numbers.e, numbers.n))
    try:
        out.verdict("tls.vuln.robot", await job)
    except NetErrors as exc:
        out.add("tls.vuln.robot", Status.ERROR, reason=f"could not tell: {exc}")


async def _compression(ctx: ScanContext, sub: Subject, versions: list[int], out: Out) -> None:
    if not ctx.wants("tls.compression"):
        return
    results = await _each_version(ctx, sub, versions, ALL_SUITES, compression=(1, 0))

    def bad(version: int, probe: Probe) -> str:
        hello = probe.flight.hello if probe.flight else None
        if probe.accepted(version) and hello is not None and hello.compression == 1:
            return f"{tr.version_name(version)}: DEFLATE compression selected"
        return ""

    _judge("tls.compression", results, bad, out, "null compression selected")


async def _renegotiation(ctx: ScanContext, sub: Subject, top: int, out: Out) -> None:
    check = "tls.renegotiation.insecure"
    if not ctx.wants(check):
        return
    # SSL 3.0 hellos carry no extensions: signal RFC 5746 support with the SCSV instead.
    probe = await send_probe(
        ctx, sub, make_hello(top, ALL_SUITES, sub, scsv=top == tr.SSL3), "reneg"
    )
    hello = probe.flight.hello if probe.flight else None
    if hello is None or not probe.accepted(top):
        out.add(check, Status.ERROR, reason=f"no ServerHello to judge: {probe.describe()}")
    elif tr.EXT_RENEGOTIATION_INFO in hello.extensions:
        out.add(check, Status.PASS, f"{tr.version_name(top)} ServerHello has renegotiation_info")
    else:
        out.add(
            check,
            Status.FAIL,
            f"{tr.version_name(top)} ServerHello lacks renegotiation_info "
            "(no RFC 5746 secure renegotiation)",
        )
