"""The lab orchestrator: start every fake business on loopback, write the ground truth.

Layout (design §5): the lab's authoritative DNS server listens on 127.53.0.1:53; business
*i* lives on 127.20.x.y (see ``profiles.business_address``) with its website on 80/443,
its mail server on 25 and its risky listeners on their standard ports. Binding those ports
on 127.x addresses needs root or a lowered ``net.ipv4.ip_unprivileged_port_start``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import resource
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rempart.lab import dnsserver, faults, listeners, smtp, tlsserver, web, zones
from rempart.lab.pki import Issued, LabPKI
from rempart.lab.profiles import Business, CertProfile, generate
from rempart.lab.truth import ground_truth

DNS_ADDRESS = "127.53.0.1"
DNS_PORT = 53


class _Closable(Protocol):
    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


class LabStartError(Exception):
    """The lab cannot start; the message says what to do."""


@dataclass
class Lab:
    size: int
    seed: int
    directory: Path
    dns_address: str = DNS_ADDRESS
    dns_port: int = DNS_PORT
    businesses: list[Business] = field(default_factory=list)
    _servers: list[_Closable] = field(default_factory=list)

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def truth_file(self) -> Path:
        return self.directory / "ground-truth.json"

    @property
    def targets_file(self) -> Path:
        return self.directory / "targets.txt"

    @property
    def wellknown_dir(self) -> Path:
        """Proof-of-control files, ``<host>.txt``, served at the sites' well-known path."""
        return self.directory / "wellknown"

    async def start(self) -> None:
        _raise_file_limit(self.size)
        # The lab is abused on purpose (refused TLS versions, half-open probes): the
        # servers' own tracebacks for those sessions are noise, not lab failures.
        for noisy in ("mail.log", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.wellknown_dir.mkdir(exist_ok=True)
        self.businesses = generate(self.size, self.seed)
        pki = LabPKI.create(self.directory, self.seed)
        try:
            lab_zones = zones.build_zones(self.businesses, faults.dns_records())
            self._servers += await dnsserver.start_dns(self.dns_address, self.dns_port, lab_zones)
            self._servers += await faults.start()
            for business in self.businesses:
                await self._start_business(business, pki)
        except PermissionError as exc:
            await self.stop()
            raise LabStartError(
                f"cannot bind a lab port ({exc}). The lab uses the standard ports (25, 53, 80, "
                "443, 445…) on 127.x.y.z: run it as root, or lower the first unprivileged "
                "port with `sysctl net.ipv4.ip_unprivileged_port_start=0`."
            ) from None
        except OSError as exc:
            await self.stop()
            raise LabStartError(f"cannot start the lab: {exc}") from None
        self._write_files()

    async def _start_business(self, b: Business, pki: LabPKI) -> None:
        if not b.dns.has_address:
            return
        title = b.name
        proofs = self.wellknown_dir
        if b.web.http:
            self._servers.append(
                await web.start_http(b.address, 80, b.web, b.domain, title, wellknown=proofs)
            )
        if b.web.https:
            issued = pki.issue([b.domain, f"www.{b.domain}"], b.tls.cert)
            handler = functools.partial(
                web.handle_http,
                profile=b.web,
                domain=b.domain,
                scheme="https",
                title=title,
                wellknown=proofs,
            )
            self._servers.append(
                await tlsserver.start_tls_service(b.address, 443, b.tls, issued, handler)
            )
        if b.mail.has_mx:
            context = None
            if b.mail.starttls:
                mail_cert = pki.issue([b.mx_host], _good_cert())
                context = _mail_context(mail_cert, legacy=b.mail.legacy_tls)
            self._servers.append(
                await smtp.start_smtp(b.address, 25, b.mx_host, b.mail.smtp_banner, context)
            )
        self._servers += await listeners.start_services(b.address, b.services)

    def _write_files(self) -> None:
        self.truth_file.write_text(
            json.dumps(ground_truth(self.businesses), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        self.targets_file.write_text(
            "".join(f"{b.domain}\n" for b in self.businesses), encoding="utf-8"
        )

    async def stop(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        await asyncio.gather(
            *(asyncio.wait_for(s.wait_closed(), 2) for s in servers), return_exceptions=True
        )


def _good_cert() -> CertProfile:
    return CertProfile()


def _mail_context(issued: Issued, *, legacy: bool) -> ssl.SSLContext:
    """STARTTLS context of a lab mail server; ``legacy`` also accepts TLS 1.0 and 1.1."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.chain_pem_path, issued.key_path)
    if legacy:
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS 1.0/1.1 above 0
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _raise_file_limit(size: int) -> None:
    """Each business holds about ten listening sockets: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, min(hard, 64 * size + 4096))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
