"""What every TLS probe shares: the subject, the observations being gathered, one hello.

Split from ``checks/tls.py`` to keep each module small; see that module for the design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import x25519

from rempart.engine.checks.observe import observe
from rempart.engine.context import ConnectError, ScanContext
from rempart.engine.guard import GuardRefusal
from rempart.engine.model import Observation, Status
from rempart.engine.net import tlsraw
from rempart.engine.net import tlsrecords as tr
from rempart.engine.net import x509check as xc
from rempart.engine.net.tlsraw import ServerFlight

ALL_SUITES = tuple(c for c in tr.SUITE_NAMES if c not in tr.TLS13_SUITES)  # strong first
BASELINE_SUITES = tr.FS_SUITES + tr.RSA_KX_SUITES
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
        self.found[check] = observe(check, status, self.location, evidence, reason)

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


def make_hello(version: int, suites: tuple[int, ...], sub: Subject, **opts: object) -> bytes:
    key = b""
    if version == tr.TLS13:
        key = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    options = tr.HelloOptions(server_name=sub.sni, key_share=key, **opts)  # type: ignore[arg-type]
    chosen = tr.TLS13_SUITES if version == tr.TLS13 else tuple(tr.suites_for(version, suites))
    return tr.client_hello(version, chosen, options)


async def send_probe(ctx: ScanContext, sub: Subject, hello: bytes, label: str) -> Probe:
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
