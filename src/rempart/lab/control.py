"""Act as a lab business owner: publish a DNS TXT record or a well-known file.

The platform verifies control of an asset by a TXT record (``_rempart-challenge.<domain>``)
or an HTTPS file (``/.well-known/rempart-verification.txt``). Real owners edit their zone
or website; lab businesses do it with these helpers: RFC 2136 UPDATE messages sent to the
lab's DNS server, and files written in the folder the lab's websites read at each request.
"""

from __future__ import annotations

import os
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.update

from rempart.lab.server import DNS_ADDRESS, DNS_PORT
from rempart.lab.web import VERIFICATION_LIMIT, verification_file

Server = tuple[str, int]
DEFAULT_SERVER: Server = (DNS_ADDRESS, DNS_PORT)
TXT_TTL = 60  # short: a proof is checked soon after it is published


class LabControlError(Exception):
    """The lab refused or could not take the change; ``rcode`` is the DNS answer code."""

    def __init__(self, message: str, rcode: dns.rcode.Rcode | None = None) -> None:
        super().__init__(message)
        self.rcode = rcode


def publish_txt(
    name: str,
    value: str,
    server: Server = DEFAULT_SERVER,
    timeout: float = 2.0,
    *,
    zone: str | None = None,
) -> None:
    """Add the TXT record ``name`` = ``value`` (kept beside any other TXT of ``name``).

    ``zone`` defaults to the zone the server answers for ``name`` (found by an SOA query).
    """
    owner = dns.name.from_text(name)
    update = dns.update.UpdateMessage(_zone(owner, zone, server, timeout))
    update.add(owner, TXT_TTL, _txt(value))
    _send(update, server, timeout, f"add TXT {owner}")


def remove_txt(
    name: str,
    value: str | None = None,
    server: Server = DEFAULT_SERVER,
    timeout: float = 2.0,
    *,
    zone: str | None = None,
) -> None:
    """Delete the TXT record ``name`` = ``value``, or every TXT of ``name`` without a value.

    Deleting what does not exist succeeds, as RFC 2136 §3.4.2.3 says.
    """
    owner = dns.name.from_text(name)
    update = dns.update.UpdateMessage(_zone(owner, zone, server, timeout))
    if value is None:
        update.delete(owner, dns.rdatatype.TXT)
    else:
        update.delete(owner, _txt(value))
    _send(update, server, timeout, f"remove TXT {owner}")


def write_wellknown(lab_dir: Path | str, host: str, token_text: str) -> Path:
    """Write the proof-of-control file the lab's websites serve for ``host``; returns it.

    Written to a temporary name, then renamed: a request never reads half a file.
    """
    folder = Path(lab_dir) / "wellknown"
    target = verification_file(folder, host)
    if target is None:
        raise LabControlError(f"not a host name: {host!r}")
    body = token_text.encode("utf-8")
    if len(body) > VERIFICATION_LIMIT:
        raise LabControlError(f"the file is capped at {VERIFICATION_LIMIT} bytes")
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_bytes(body)
    partial.replace(target)
    return target


def _txt(value: str) -> dns.rdtypes.ANY.TXT.TXT:
    """One TXT rdata: the value cut into 255-byte strings (RFC 1035 §3.3.14), which a
    reader joins back (RFC 7208 §3.3 does so for SPF)."""
    data = value.encode("utf-8")
    chunks = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)


def _zone(owner: dns.name.Name, zone: str | None, server: Server, timeout: float) -> dns.name.Name:
    """The zone holding ``owner``: the owner of the SOA the server gives for it (at the
    apex in the answer, below it in the authority section of a negative answer)."""
    if zone is not None:
        return dns.name.from_text(zone)
    reply = _exchange(dns.message.make_query(owner, dns.rdatatype.SOA), server, timeout)
    for rrset in (*reply.answer, *reply.authority):
        if rrset.rdtype == dns.rdatatype.SOA and owner.is_subdomain(rrset.name):
            return rrset.name
    raise LabControlError(
        f"the lab DNS server does not serve {owner} ({dns.rcode.to_text(reply.rcode())})",
        reply.rcode(),
    )


def _send(update: dns.update.UpdateMessage, server: Server, timeout: float, what: str) -> None:
    reply = _exchange(update, server, timeout)
    if reply.rcode() != dns.rcode.NOERROR:
        raise LabControlError(
            f"{what}: the lab DNS server answered {dns.rcode.to_text(reply.rcode())}",
            reply.rcode(),
        )


def _exchange(message: dns.message.Message, server: Server, timeout: float) -> dns.message.Message:
    address, port = server
    try:
        reply, _tcp = dns.query.udp_with_fallback(message, address, timeout=timeout, port=port)
    except (dns.exception.DNSException, OSError) as exc:
        raise LabControlError(
            f"no usable answer from the lab DNS server {address}:{port} ({exc}); "
            "is `rempart lab` running?"
        ) from exc
    return reply
