"""The ``tls`` family: protocols, suites, certificate and known TLS flaws of one TLS port.

Acceptance is decided from raw ClientHellos and the ServerHello they provoke (as sslyze
and testssl.sh do): one round trip per question, and hellos no modern client library can
send. A domain is scanned on 443 at each allowed address; the observations of several
addresses are merged into one per check, the worst one winning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from dataclasses import replace

from cryptography import x509

from rempart.engine.catalog import ids_of_family
from rempart.engine.checks import tls_flaws
from rempart.engine.checks.observe import MAX_EVIDENCE
from rempart.engine.checks.tls_probe import (
    ALL_SUITES,
    BASELINE_SUITES,
    NetErrors,
    Out,
    Probe,
    Subject,
    make_hello,
    send_probe,
)
from rempart.engine.context import ScanContext
from rempart.engine.model import Observation, Status
from rempart.engine.net import tlsrecords as tr
from rempart.engine.net import x509check as xc
from rempart.engine.target import Target, TargetKind

TLS_IDS = tuple(ids_of_family("tls"))
CERT_IDS = tuple(i for i in TLS_IDS if i.startswith("tls.cert."))
PROTOCOLS = {
    "tls.protocol.sslv2": tr.SSL2,
    "tls.protocol.sslv3": tr.SSL3,
    "tls.protocol.tls10": tr.TLS10,
    "tls.protocol.tls11": tr.TLS11,
}
LEGACY = (tr.TLS12, tr.TLS11, tr.TLS10, tr.SSL3)  # the versions with a plaintext flight
_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.INFO: 3, Status.SKIPPED: 4}


# -- subjects --------------------------------------------------------------------------


async def run(target: Target, ctx: ScanContext) -> list[Observation]:
    if not ctx.wants(*TLS_IDS):
        return []
    if target.kind is TargetKind.URL:
        if not (target.url or "").lower().startswith("https://"):
            return []
        port = target.port or 443
    elif target.kind is TargetKind.HOST:
        port = target.port or 443
    else:
        port = 443
    host = target.name
    location = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    resolution = await ctx.resolve(host)
    out = Out(location)
    if not resolution.exists:
        out.all(TLS_IDS, Status.SKIPPED, f"{host} does not exist: no web service")
        return list(out.found.values())
    if not resolution.allowed:
        why = resolution.error or "; ".join(resolution.refused) or f"{host} has no address"
        status = Status.SKIPPED if not resolution.error and not resolution.refused else Status.ERROR
        out.all(TLS_IDS, status, why)
        return list(out.found.values())
    subjects = [Subject(host, str(ip), port, location) for ip in resolution.allowed]
    results = await asyncio.gather(*(scan_subject(ctx, s) for s in subjects))
    return merge(results, [s.ip for s in subjects])


def merge(results: list[list[Observation]], ips: list[str]) -> list[Observation]:
    """One observation per check: the worst status wins, evidence names each address."""
    if len(results) == 1:
        return results[0]
    by_check: dict[str, list[tuple[str, Observation]]] = {}
    for ip, observations in zip(ips, results, strict=True):
        for o in observations:
            by_check.setdefault(o.check, []).append((ip, o))
    merged = []
    for seen in by_check.values():
        worst = min((o for _, o in seen), key=lambda o: _ORDER[o.status])
        same = [(ip, o) for ip, o in seen if o.status is worst.status]
        evidence = "; ".join(f"{ip}: {o.evidence}" for ip, o in same if o.evidence)
        reason = "; ".join(f"{ip}: {o.reason}" for ip, o in same if o.reason)
        merged.append(replace(worst, evidence=evidence[:MAX_EVIDENCE], reason=reason))
    return merged


async def scan_subject(ctx: ScanContext, sub: Subject) -> list[Observation]:
    """Every tls check on one (host, ip, port)."""
    out = Out(sub.location)
    base = await send_probe(ctx, sub, make_hello(tr.TLS12, BASELINE_SUITES, sub), "TLS 1.2")
    if base.unreachable:
        await _no_tls(ctx, sub, base.error, out)
        return list(out.found.values())
    versions = (tr.SSL2, tr.SSL3, tr.TLS10, tr.TLS11, tr.TLS13)
    others = await asyncio.gather(
        *(
            send_probe(ctx, sub, make_hello(v, ALL_SUITES, sub), tr.version_name(v))
            for v in versions
        )
    )
    probes = dict(zip(versions, others, strict=True))
    probes[tr.TLS12] = base
    if base.flight is not None and not base.error and not base.accepted(tr.TLS12):
        # It answered but refused our strong suites: maybe it takes only weak ones.
        probes[tr.TLS12] = await send_probe(
            ctx, sub, make_hello(tr.TLS12, ALL_SUITES, sub), "TLS 1.2"
        )
    _protocol_observations(probes, out)
    accepted = [v for v in (*LEGACY, tr.TLS13, tr.SSL2) if probes[v].accepted(v)]
    if not accepted:
        reasons = "; ".join(f"{tr.version_name(v)}: {p.describe()}" for v, p in probes.items())
        out.all(TLS_IDS, Status.ERROR, f"no TLS version was negotiated ({reasons})"[:400])
        return list(out.found.values())
    names = ", ".join(tr.version_name(v) for v in accepted)
    out.add("tls.missing", Status.PASS, f"TLS on port {sub.port}: {names}")
    legacy = [v for v in LEGACY if v in accepted]
    await asyncio.gather(
        _certificates(ctx, sub, probes, legacy, out),
        tls_flaws.suites_and_flaws(ctx, sub, legacy, out),
    )
    return list(out.found.values())


async def _no_tls(ctx: ScanContext, sub: Subject, why: str, out: Out) -> None:
    if sub.port != 443:
        out.all(TLS_IDS, Status.SKIPPED, f"no service on port {sub.port}: {why}")
        return
    http_open, http_why = await ctx.port_open(sub.ip, 80)
    if http_open:
        out.add("tls.missing", Status.FAIL, f"port 80 answers; port 443: {why}")
        out.all(TLS_IDS, Status.SKIPPED, "answers on HTTP but offers no HTTPS")
    else:
        out.all(TLS_IDS, Status.SKIPPED, f"no web service (443: {why}; 80: {http_why})")


def _protocol_observations(probes: dict[int, Probe], out: Out) -> None:
    for check, version in PROTOCOLS.items():
        probe = probes[version]
        if probe.accepted(version):
            out.add(check, Status.FAIL, probe.describe())
        elif probe.error:
            out.add(check, Status.ERROR, reason=probe.error)
        else:
            out.add(check, Status.PASS, probe.describe())
    tls13 = probes[tr.TLS13]
    if tls13.accepted(tr.TLS13):
        out.add("tls.protocol.no_tls13", Status.PASS, tls13.describe())
    elif tls13.error:
        out.add("tls.protocol.no_tls13", Status.ERROR, reason=tls13.error)
    else:
        out.add("tls.protocol.no_tls13", Status.FAIL, f"TLS 1.3 hello: {tls13.describe()}")


# -- certificates ----------------------------------------------------------------------


async def _certificates(
    ctx: ScanContext, sub: Subject, probes: dict[int, Probe], legacy: list[int], out: Out
) -> None:
    if not ctx.wants(*CERT_IDS):
        return
    ders: list[bytes] = []
    for version in legacy:
        flight = probes[version].flight
        if flight is not None and flight.certificates:
            ders = flight.certificates
            break
    leaf_only = not ders
    if leaf_only:  # TLS 1.3 encrypts the Certificate message: let OpenSSL fetch the leaf
        try:
            ders = [await _leaf_via_ssl(ctx, sub)]
        except (*NetErrors, ssl.SSLError, ValueError) as exc:
            out.all(CERT_IDS, Status.ERROR, f"could not fetch the certificate: {exc}")
            return
    try:
        chain = xc.load_chain(ders)
        roots = xc.trust_store(ctx.extra_ca_pem)
    except ValueError as exc:
        out.all(CERT_IDS, Status.ERROR, f"malformed certificate: {exc}")
        return
    _certificate_observations(chain, roots, sub.host, leaf_only, out)


def _certificate_observations(
    chain: list[x509.Certificate],
    roots: tuple[x509.Certificate, ...],
    host: str,
    leaf_only: bool,
    out: Out,
) -> None:
    leaf, now = chain[0], dt.datetime.now(dt.UTC)
    out.verdict("tls.cert.expired", xc.expired(leaf, now))
    out.verdict("tls.cert.not_yet_valid", xc.not_yet_valid(leaf, now))
    out.verdict("tls.cert.expiring", xc.expiring(leaf, now))
    out.verdict("tls.cert.hostname_mismatch", xc.hostname_mismatch(leaf, host))
    out.verdict("tls.cert.weak_key", xc.weak_key(leaf))
    out.verdict("tls.cert.weak_signature", xc.weak_signature(chain, roots))
    trust = xc.untrusted(chain, roots)
    if trust.failed and leaf_only and not xc.self_signed(leaf):
        out.add(
            "tls.cert.untrusted",
            Status.ERROR,
            reason="the server speaks only TLS 1.3 and its intermediates could not be "
            "read: " + trust.evidence,
        )
    else:
        out.verdict("tls.cert.untrusted", trust)


async def _leaf_via_ssl(ctx: ScanContext, sub: Subject) -> bytes:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we judge the certificate ourselves, id by id
    async with ctx.connect(sub.ip, sub.port, tls=context, server_hostname=sub.sni) as (_, w):
        ssl_object = w.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    if not der:
        raise ValueError("the server sent no certificate")
    return bytes(der)


# -- suites and known flaws ------------------------------------------------------------
