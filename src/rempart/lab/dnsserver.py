"""The lab's authoritative DNS server: dnspython zones served over UDP and TCP.

It answers from the zones it holds and refuses everything else (no recursion):

- data: the RRset, with its RRSIGs when the query sets the DO bit (RFC 4035 §3.1.1);
- NODATA (the name exists, or is an empty non-terminal, but has no such type) and
  NXDOMAIN: the SOA in the authority section (RFC 2308 §2), with its RRSIG and the
  name's NSEC record when DO is set and the zone has them;
- DS at a child's apex comes from the parent zone (RFC 4035 §3.1.4.1);
- a name below a delegation the server does not host gets a referral;
- a UDP answer larger than the client's EDNS size (512 bytes without EDNS) is sent
  empty with the TC bit, and the client retries over TCP (RFC 7766);
- an UPDATE (RFC 2136) from a loopback client may add or delete TXT records
  (:mod:`rempart.lab.dnsupdate`); one it cannot even parse gets a bare FORMERR header.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import typing

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from rempart.lab import dnsupdate

TCP_IDLE_TIMEOUT = 10.0
_RRSIG = dns.rdatatype.RRSIG


class Authority:
    """Answers queries from a set of zones (message in, message out), and applies the
    TXT updates of loopback clients to them.

    It is used from one event loop and never awaits: an update is applied whole between
    two queries, so no lock is needed.
    """

    def __init__(self, zones: list[dns.zone.Zone]) -> None:
        self._zones = {zone.origin: zone for zone in zones if zone.origin is not None}
        # Every owner name and its ancestors inside the zone: a name in this set exists
        # (possibly as an empty non-terminal, RFC 8020) and never gets NXDOMAIN.
        self._names = {origin: dnsupdate.existing_names(z) for origin, z in self._zones.items()}

    def _zone_for(self, qname: dns.name.Name, rdtype: int) -> dns.zone.Zone | None:
        """The closest enclosing zone: a walk up the labels, O(depth) per query."""
        name = qname
        if rdtype == dns.rdatatype.DS and name in self._zones and len(name) > 1:
            # The DS of a zone cut lives in the parent (RFC 4035 §3.1.4.1).
            parent = self._zone_for(name.parent(), dns.rdatatype.A)
            if parent is not None:
                return parent
        while True:
            zone = self._zones.get(name)
            if zone is not None or len(name) <= 1:
                return zone
            name = name.parent()

    def respond(self, query: dns.message.Message, client: str | None = None) -> dns.message.Message:
        """The answer to ``query``; ``client`` is the sender's address, which an UPDATE
        needs (only loopback clients may update; without an address, none may)."""
        response = dns.message.make_response(query)
        if query.opcode() == dns.opcode.UPDATE:
            rcode, changed = dnsupdate.apply_update(self._zones, query, client)
            if changed is not None and changed.origin is not None:
                # Recomputed whole: a deletion may empty a node and its empty ancestors.
                self._names[changed.origin] = dnsupdate.existing_names(changed)
            response.set_rcode(rcode)
            return response
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            response.set_rcode(dns.rcode.NOTIMP if query.question else dns.rcode.FORMERR)
            return response
        dnssec = bool(query.ednsflags & dns.flags.DO)
        if dnssec:
            response.want_dnssec(True)
        question = query.question[0]
        qname, rdtype = question.name, question.rdtype
        zone = self._zone_for(qname, rdtype)
        if zone is None or zone.origin is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        cut = self._delegation(zone, qname, rdtype)
        if cut is not None:
            self._refer(response, zone, cut)
            return response
        response.flags |= dns.flags.AA
        if self._answer(response, zone, qname, rdtype, dnssec):
            return response
        if qname not in self._names[zone.origin]:
            response.set_rcode(dns.rcode.NXDOMAIN)
        self._negative(response, zone, qname, dnssec)
        return response

    def _delegation(
        self, zone: dns.zone.Zone, qname: dns.name.Name, rdtype: int
    ) -> dns.name.Name | None:
        """The closest zone cut above or at ``qname`` inside ``zone``, if any."""
        assert zone.origin is not None
        name = qname
        while name != zone.origin and name.is_subdomain(zone.origin):
            if zone.get_rdataset(name, dns.rdatatype.NS) is not None:
                if name == qname and rdtype == dns.rdatatype.DS:
                    return None  # the parent is authoritative for the DS
                return name
            name = name.parent()
        return None

    def _refer(
        self, response: dns.message.Message, zone: dns.zone.Zone, cut: dns.name.Name
    ) -> None:
        ns = zone.get_rdataset(cut, dns.rdatatype.NS)
        assert ns is not None
        response.authority.append(_rrset(cut, ns))
        for rdata in ns:
            for kind in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue = zone.get_rdataset(rdata.target, kind)
                if glue is not None and rdata.target.is_subdomain(cut):
                    response.additional.append(_rrset(rdata.target, glue))

    def _answer(
        self,
        response: dns.message.Message,
        zone: dns.zone.Zone,
        qname: dns.name.Name,
        rdtype: int,
        dnssec: bool,
    ) -> bool:
        node = zone.get_node(qname)
        if node is None:
            return False
        if rdtype == dns.rdatatype.ANY:
            wanted = [r for r in node.rdatasets if r.rdtype != _RRSIG or dnssec]
        else:
            found = node.get_rdataset(zone.rdclass, dns.rdatatype.RdataType.make(rdtype))
            if found is None:
                found = node.get_rdataset(zone.rdclass, dns.rdatatype.CNAME)
            wanted = [found] if found is not None else []
        for rdataset in wanted:
            response.answer.append(_rrset(qname, rdataset))
            if dnssec and rdataset.rdtype != _RRSIG:
                _add_signatures(response.answer, zone, qname, rdataset.rdtype)
        return bool(wanted)

    def _negative(
        self, response: dns.message.Message, zone: dns.zone.Zone, qname: dns.name.Name, dnssec: bool
    ) -> None:
        assert zone.origin is not None
        soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
        if soa is None:
            return
        response.authority.append(_rrset(zone.origin, soa))
        if not dnssec:
            return
        _add_signatures(response.authority, zone, zone.origin, dns.rdatatype.SOA)
        nsec = zone.get_rdataset(qname, dns.rdatatype.NSEC)
        if nsec is not None:  # NODATA proof for an existing name (RFC 4035 §3.1.3.1)
            response.authority.append(_rrset(qname, nsec))
            _add_signatures(response.authority, zone, qname, dns.rdatatype.NSEC)


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def _add_signatures(
    section: list[dns.rrset.RRset], zone: dns.zone.Zone, name: dns.name.Name, covered: int
) -> None:
    sigs = zone.get_rdataset(name, _RRSIG, covers=dns.rdatatype.RdataType.make(covered))
    if sigs is not None:
        section.append(_rrset(name, sigs))


def _respond(
    authority: Authority, query: dns.message.Message, client: str | None
) -> dns.message.Message:
    try:
        return authority.respond(query, client)
    except dns.exception.DNSException:  # a zone the server cannot render: say so
        failure = dns.message.make_response(query)
        failure.set_rcode(dns.rcode.SERVFAIL)
        return failure


def _udp_wire(authority: Authority, query: dns.message.Message, client: str) -> bytes:
    response = _respond(authority, query, client)
    limit = max(512, query.payload) if query.edns >= 0 else 512
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        truncated = dns.message.make_response(query)
        truncated.flags |= dns.flags.TC | (response.flags & dns.flags.AA)
        return truncated.to_wire(max_size=limit)


def _tcp_wire(authority: Authority, query: dns.message.Message, client: str | None) -> bytes:
    try:
        return _respond(authority, query, client).to_wire(max_size=65535)
    except dns.exception.TooBig:  # beyond what even TCP can carry: say so, do not hang
        failure = dns.message.make_response(query)
        failure.set_rcode(dns.rcode.SERVFAIL)
        return failure.to_wire()


def formerr_for_update(data: bytes) -> bytes | None:
    """A header-only FORMERR for an UPDATE request too malformed to parse (RFC 2136
    §3.1.1, §3.8: e.g. two zone RRs), None for anything else, which gets no answer."""
    if len(data) < 12:
        return None
    ident, flags = struct.unpack("!HH", data[:4])
    if flags & dns.flags.QR or dns.opcode.from_flags(flags) != dns.opcode.UPDATE:
        return None
    flags = dns.flags.QR | dns.opcode.to_flags(dns.opcode.UPDATE) | dns.rcode.FORMERR
    return struct.pack("!HHHHHH", ident, flags, 0, 0, 0, 0)


def _tcp_answer(authority: Authority, data: bytes, client: str | None) -> bytes | None:
    try:
        query = dns.message.from_wire(data)
    except dns.exception.DNSException:
        return formerr_for_update(data)
    return _tcp_wire(authority, query, client)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, authority: Authority) -> None:
        self._authority = authority
        self.transport: asyncio.DatagramTransport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is None:
            return
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            formerr = formerr_for_update(data)
            if formerr is not None:
                self.transport.sendto(formerr, addr)
            return  # otherwise not a DNS message: nothing sensible to answer
        self.transport.sendto(_udp_wire(self._authority, query, addr[0]), addr)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class UdpServer:
    """A UDP endpoint with the ``close()`` / ``wait_closed()`` of an asyncio server."""

    def __init__(self, transport: asyncio.DatagramTransport, protocol: _UdpProtocol) -> None:
        self._transport, self._protocol = transport, protocol

    def close(self) -> None:
        self._transport.close()

    async def wait_closed(self) -> None:
        await self._protocol.closed


async def _serve_tcp(
    authority: Authority, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # RFC 1035 §4.2.2 / RFC 7766 §8: two-byte length prefix, several queries per connection.
    peer = writer.get_extra_info("peername")
    client = peer[0] if isinstance(peer, tuple) else None
    with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
        while True:
            (size,) = struct.unpack(
                "!H", await asyncio.wait_for(reader.readexactly(2), TCP_IDLE_TIMEOUT)
            )
            data = await asyncio.wait_for(reader.readexactly(size), TCP_IDLE_TIMEOUT)
            wire = _tcp_answer(authority, data, client)
            if wire is None:
                break
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
    writer.close()


RECEIVE_BUFFER = 8 * 1024 * 1024


def _enlarge_receive_buffer(transport: asyncio.BaseTransport) -> None:
    """A scan of a whole lab sends thousands of queries at once: without room for them the
    kernel drops datagrams and the scanner sees timeouts. SO_RCVBUF is capped by
    net.core.rmem_max; root may go past it with SO_RCVBUFFORCE (Linux)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    for option in (force, socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
        except OSError:
            continue  # not root, or not Linux: keep what the kernel allows
        return


async def start_dns(
    address: str, port: int, zones: list[dns.zone.Zone]
) -> list[asyncio.AbstractServer | UdpServer]:
    """Serve ``zones`` authoritatively on ``address``:``port`` over UDP and TCP.

    Returns the two servers (UDP endpoint, TCP server); close each and await
    ``wait_closed()`` to stop. Raises OSError (PermissionError for port 53 without root).
    """
    authority = Authority(zones)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _UdpProtocol(authority), local_addr=(address, port)
    )
    _enlarge_receive_buffer(transport)
    udp = UdpServer(transport, protocol)
    try:
        tcp = await asyncio.start_server(
            lambda r, w: _serve_tcp(authority, r, w), address, port, reuse_address=True
        )
    except OSError:
        udp.close()
        raise
    return [udp, tcp]
