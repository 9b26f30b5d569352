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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa, x25519

from rempart.engine.catalog import CATALOG, ids_of_family
from rempart.engine.context import ConnectError, ScanContext
from rempart.engine.guard import GuardRefusal
from rempart.engine.model import Observation, Status
from rempart.engine.net import tlsraw
from rempart.engine.net import tlsrecords as tr
from rempart.engine.net import x509check as xc
from rempart.engine.net.tlsraw import ServerFlight
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
ALL_SUITES = tuple(c for c in tr.SUITE_NAMES if c not in tr.TLS13_SUITES)  # strong first
BASELINE_SUITES = tr.FS_SUITES + tr.RSA_KX_SUITES
_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.INFO: 3, Status.SKIPPED: 4}
NetErrors = (ConnectError, GuardRefusal, tr.TlsParseError, tlsraw.ProbeError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Subject:
    host: str  # the name the certificate must carry (or the IP)
    ip: str
    port: int
    location: str

    @property
    def sni(self) -> str | None:
        return None if self.host == self.ip else self.host


@dataclass(slots=True)
class Out:
    """Observations of one subject, one per check id."""

    location: str
    found: dict[str, Observation] = field(default_factory=dict)

    def add(self, check: str, status: Status, evidence: str = "", reason: str = "") -> None:
        self.found[check] = Observation(
            check, status, CATALOG[check].severity, self.location, evidence[:480], (), reason
        )

    def verdict(self, check: str, verdict: xc.Verdict) -> None:
        self.add(check, Status.FAIL if verdict.failed else Status.PASS, verdict.evidence)

    def all(self, checks: tuple[str, ...], status: Status, reason: str) -> None:
        for check in checks:
            if check not in self.found:
                self.add(check, status, reason=reason)


@dataclass(frozen=True, slots=True)
class Probe:
    flight: ServerFlight | None
    error: str = ""
    unreachable: bool = False  # the connection itself failed

    def accepted(self, version: int) -> bool:
        if self.flight is None:
            return False
        if version == tr.SSL2:
            return self.flight.sslv2 is not None and bool(self.flight.sslv2.ciphers)
        hello = self.flight.hello
        return hello is not None and hello.negotiated_version == version

    def describe(self) -> str:
        return self.error or (self.flight.describe() if self.flight else "")


def _hello(version: int, suites: tuple[int, ...], sub: Subject, **opts: object) -> bytes:
    key = b""
    if version == tr.TLS13:
        key = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    options = tr.HelloOptions(server_name=sub.sni, key_share=key, **opts)  # type: ignore[arg-type]
    chosen = tr.TLS13_SUITES if version == tr.TLS13 else tuple(tr.suites_for(version, suites))
    return tr.client_hello(version, chosen, options)


async def _probe(ctx: ScanContext, sub: Subject, hello: bytes, label: str) -> Probe:
    try:
        flight = await tlsraw.hello_flight(ctx, sub.ip, sub.port, hello)
    except (ConnectError, GuardRefusal) as exc:
        return Probe(None, str(exc), unreachable=True)
    except tr.TlsParseError as exc:
        return Probe(None, f"the answer to a {label} ClientHello is not TLS ({exc})")
    except (OSError, TimeoutError) as exc:
        return Probe(None, f"{label} ClientHello: connection failed ({exc or 'timeout'})")
    if flight.timed_out and flight.hello is None and flight.alert is None:
        return Probe(flight, f"no answer to a {label} ClientHello within {ctx.config.timeout:g} s")
    return Probe(flight)


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
        merged.append(
            Observation(
                worst.check,
                worst.status,
                worst.severity,
                worst.location,
                evidence[:480],
                worst.references,
                reason,
            )
        )
    return merged


async def scan_subject(ctx: ScanContext, sub: Subject) -> list[Observation]:
    """Every tls check on one (host, ip, port)."""
    out = Out(sub.location)
    base = await _probe(ctx, sub, _hello(tr.TLS12, BASELINE_SUITES, sub), "TLS 1.2")
    if base.unreachable:
        await _no_tls(ctx, sub, base.error, out)
        return list(out.found.values())
    versions = (tr.SSL2, tr.SSL3, tr.TLS10, tr.TLS11, tr.TLS13)
    others = await asyncio.gather(
        *(_probe(ctx, sub, _hello(v, ALL_SUITES, sub), tr.version_name(v)) for v in versions)
    )
    probes = dict(zip(versions, others, strict=True))
    probes[tr.TLS12] = base
    if base.flight is not None and not base.error and not base.accepted(tr.TLS12):
        # It answered but refused our strong suites: maybe it takes only weak ones.
        probes[tr.TLS12] = await _probe(ctx, sub, _hello(tr.TLS12, ALL_SUITES, sub), "TLS 1.2")
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
        _suites_and_flaws(ctx, sub, legacy, out),
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


async def _suites_and_flaws(ctx: ScanContext, sub: Subject, legacy: list[int], out: Out) -> None:
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
            _hello(top, ALL_SUITES, sub, heartbeat=True),
            out,
        )
    )
    jobs.append(
        _vuln(
            ctx,
            sub,
            "tls.vuln.ccs_injection",
            tlsraw.ccs_injection,
            _hello(top, ALL_SUITES, sub),
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
        *(_probe(ctx, sub, _hello(v, suites, sub, **opts), tr.version_name(v)) for v in usable)
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
    hello = _hello(top, tr.RSA_KX_SUITES, sub)
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
    probe = await _probe(ctx, sub, _hello(top, ALL_SUITES, sub, scsv=top == tr.SSL3), "reneg")
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
