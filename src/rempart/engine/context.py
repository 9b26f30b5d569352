"""What a check gets besides its target: configuration, DNS, the guard, polite connections.

``ScanContext.connect`` is the only way a check opens a socket. It checks the address with
the guard, holds a slot of the global limit and of the per-host limit for the life of the
connection (design §4: polite by construction), applies the connect timeout and retries a
timed-out connect a bounded number of times. A refused connect is final and not retried.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rempart.engine.catalog import CATALOG
from rempart.engine.dnsclient import DnsClient
from rempart.engine.guard import Guard, GuardRefusal, IPAddress


@dataclass(frozen=True, slots=True)
class ScanConfig:
    resolver: tuple[str, int] | None = None  # None: the host's resolv.conf, through dnspython
    ca_files: tuple[Path, ...] = ()
    lab: bool = False
    checks: frozenset[str] = frozenset(CATALOG)
    timeout: float = 5.0  # one network operation (connect, read, DNS query)
    family_timeout: float = 90.0  # one family on one target, all its operations together
    retries: int = 1  # extra attempts of a connect or DNS query that timed out
    concurrency: int = 256  # connections open at once, whole scan
    per_host: int = 8  # connections open at once to one address
    dkim_selectors: tuple[str, ...] = (
        "default",
        "selector1",
        "selector2",
        "google",
        "dkim",
        "mail",
        "k1",
        "s1",
        "s2",
        "smtp",
    )


@dataclass(frozen=True, slots=True)
class Resolution:
    """Addresses of a name, split into those the guard allows and those it refused."""

    name: str
    allowed: tuple[IPAddress, ...] = ()
    refused: tuple[str, ...] = ()  # one sentence per refused address
    error: str = ""  # the DNS look-up itself failed
    exists: bool = True


class ConnectError(Exception):
    """A connection could not be opened; the message is a reason for a person."""


@dataclass
class ScanContext:
    config: ScanConfig
    guard: Guard = field(init=False)
    dns: DnsClient = field(init=False)

    def __post_init__(self) -> None:
        self.guard = Guard(lab=self.config.lab)
        self.dns = DnsClient(self.config.resolver, self.config.timeout)
        self._global = asyncio.Semaphore(self.config.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def wants(self, *check_ids: str) -> bool:
        return any(c in self.config.checks for c in check_ids)

    # -- names -------------------------------------------------------------------------

    async def resolve(self, name: str) -> Resolution:
        """A and AAAA of ``name`` through the configured resolver, checked by the guard."""
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            try:
                return Resolution(name, allowed=(self.guard.check(ip),))
            except GuardRefusal as exc:
                return Resolution(name, refused=(str(exc),))
        a, aaaa = await asyncio.gather(self.dns.query(name, "A"), self.dns.query(name, "AAAA"))
        if a.status == "nxdomain":
            return Resolution(name, error=a.reason, exists=False)
        if a.status == "error" and aaaa.status != "ok":
            return Resolution(name, error=a.reason)
        allowed: list[IPAddress] = []
        refused: list[str] = []
        for record in (*a.records, *aaaa.records):
            try:
                allowed.append(self.guard.check(record))
            except GuardRefusal as exc:
                refused.append(f"{name}: {exc}")
        return Resolution(name, tuple(dict.fromkeys(allowed)), tuple(refused))

    # -- connections -------------------------------------------------------------------

    def _host_semaphore(self, ip: str) -> asyncio.Semaphore:
        sem = self._hosts.get(ip)
        if sem is None:
            sem = self._hosts[ip] = asyncio.Semaphore(self.config.per_host)
        return sem

    @asynccontextmanager
    async def slot(self, ip: IPAddress | str) -> AsyncIterator[None]:
        """Hold one global and one per-host slot (for clients that open their own sockets)."""
        async with self._global, self._host_semaphore(str(ip)):
            yield

    @asynccontextmanager
    async def connect(
        self,
        ip: IPAddress | str,
        port: int,
        *,
        tls: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        address = str(self.guard.check(ip))  # raises GuardRefusal: the caller reports it
        async with self.slot(address):
            reader, writer = await self._open(address, port, tls, server_hostname)
            try:
                yield reader, writer
            finally:
                writer.close()
                try:
                    await asyncio.wait_for(writer.wait_closed(), timeout=1.0)
                except (OSError, TimeoutError, ssl.SSLError):
                    pass  # the peer vanished or hung while closing: nothing left to read

    async def _open(
        self, address: str, port: int, tls: ssl.SSLContext | None, server_hostname: str | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        where = f"{address}:{port}"
        for attempt in range(self.config.retries + 1):
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(
                        address,
                        port,
                        ssl=tls,
                        server_hostname=server_hostname if tls else None,
                        limit=256 * 1024,
                    ),
                    timeout=self.config.timeout,
                )
            except TimeoutError:
                if attempt == self.config.retries:
                    raise ConnectError(
                        f"{where}: no answer within {self.config.timeout:g} s "
                        f"({attempt + 1} attempts)"
                    ) from None
            except ConnectionRefusedError:
                raise ConnectError(f"{where}: connection refused") from None
            except ssl.SSLError as exc:
                raise ConnectError(f"{where}: TLS handshake failed ({exc.reason or exc})") from None
            except OSError as exc:
                raise ConnectError(f"{where}: {exc.strerror or exc}") from None
        raise AssertionError("unreachable")

    async def read(self, reader: asyncio.StreamReader, n: int) -> bytes:
        """Read up to n bytes within the operation timeout (b'' on EOF)."""
        return await asyncio.wait_for(reader.read(n), timeout=self.config.timeout)

    async def readline(self, reader: asyncio.StreamReader, limit: int = 4096) -> bytes:
        line = await asyncio.wait_for(reader.readline(), timeout=self.config.timeout)
        return line[:limit]

    async def port_open(self, ip: IPAddress | str, port: int) -> tuple[bool, str]:
        """TCP connect probe: (open?, reason when not open)."""
        try:
            async with self.connect(ip, port):
                return True, ""
        except ConnectError as exc:
            return False, str(exc)

    # -- trust -------------------------------------------------------------------------

    @cached_property
    def extra_ca_pem(self) -> bytes:
        return b"".join(Path(p).read_bytes() for p in self.config.ca_files)

    def verifying_ssl_context(self) -> ssl.SSLContext:
        """System trust store plus ``--ca-file``; hostname checked."""
        context = ssl.create_default_context()
        for path in self.config.ca_files:
            context.load_verify_locations(cafile=str(path))
        return context
