"""DNS look-ups for a scan, always through the configured resolver.

Every name a scan resolves (domain, MX hosts, website, redirects) comes through here, never
through the system's ``getaddrinfo``, so the lab and a center running its own resolver get
consistent answers. Answers are cached per scan as futures: concurrent checks asking the
same question share one query.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver
import dns.rrset

AnswerStatus = Literal["ok", "nxdomain", "nodata", "error"]

# A TXT record larger than this is treated as malformed input rather than parsed: real SPF,
# DMARC and DKIM records are a few hundred bytes, and a hostile zone should not make a scan
# parse megabytes.
MAX_TXT_BYTES = 16_384


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    rdtype: str
    status: AnswerStatus
    records: tuple[str, ...] = ()
    reason: str = ""
    rrset: dns.rrset.RRset | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class DnsClient:
    def __init__(self, nameserver: tuple[str, int] | None, timeout: float) -> None:
        self.timeout = timeout
        if nameserver is None:
            resolver = dns.asyncresolver.Resolver()  # the host's resolv.conf, via dnspython
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [nameserver[0]]
            resolver.port = nameserver[1]
        resolver.cache = None
        self._resolver = resolver
        self._cache: dict[tuple[str, str], asyncio.Future[DnsAnswer]] = {}

    @property
    def nameserver(self) -> tuple[str, int]:
        return str(self._resolver.nameservers[0]), int(self._resolver.port)

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        key = (name.lower().rstrip("."), rdtype)
        task = self._cache.get(key)
        if task is None:
            # A task of its own, so that a cancelled first asker does not cancel the others.
            task = self._cache[key] = asyncio.ensure_future(self._query(key[0], rdtype))
        return await asyncio.shield(task)

    async def _query(self, name: str, rdtype: str) -> DnsAnswer:
        try:
            answer = await self._resolver.resolve(
                name, rdtype, raise_on_no_answer=False, lifetime=self.timeout, search=False
            )
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rdtype, "nxdomain", reason=f"{name} does not exist (NXDOMAIN)")
        except dns.resolver.LifetimeTimeout:
            return DnsAnswer(name, rdtype, "error", reason=f"DNS query {name} {rdtype} timed out")
        except dns.resolver.NoNameservers as exc:
            return DnsAnswer(name, rdtype, "error", reason=f"DNS server failure for {name}: {exc}")
        except dns.exception.DNSException as exc:
            return DnsAnswer(name, rdtype, "error", reason=f"DNS error for {name}: {exc}")
        if answer.rrset is None:
            return DnsAnswer(name, rdtype, "nodata")
        records = tuple(_rdata_text(rdata) for rdata in answer.rrset)
        if any(len(r) > MAX_TXT_BYTES for r in records):
            return DnsAnswer(
                name,
                rdtype,
                "error",
                reason=f"{rdtype} record of {name} exceeds {MAX_TXT_BYTES} bytes",
            )
        return DnsAnswer(name, rdtype, "ok", records, rrset=answer.rrset)

    async def message(self, name: str, rdtype: str, *, dnssec: bool = True) -> dns.message.Message:
        """A raw query (DO bit set) to the configured server, TCP when truncated.

        Raises dns.exception.DNSException / OSError / TimeoutError on failure.
        """
        host, port = self.nameserver
        query = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
        query.flags |= dns.flags.CD if dnssec else 0
        response, _used_tcp = await dns.asyncquery.udp_with_fallback(
            query, host, timeout=self.timeout, port=port
        )
        return response


def _rdata_text(rdata: object) -> str:
    strings = getattr(rdata, "strings", None)
    if strings is not None:  # TXT: concatenate the character-strings (RFC 7208 §3.3)
        return b"".join(strings).decode("utf-8", errors="replace")
    return str(rdata)
