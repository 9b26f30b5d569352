"""RFC 2136 DNS UPDATE for the lab's zones: TXT records only, from loopback clients only.

The lab is where a business proves control of its domain (a ``_rempart-challenge`` TXT
record), so its DNS server accepts the three TXT updates an owner needs (RFC 2136 §2.5):
add an RR, delete an RRset, delete one RR. Everything else is refused:

- a client outside 127.0.0.0/8: REFUSED (the server listens on loopback only; checked anyway);
- a zone section that is not one SOA question: FORMERR (§3.1.1); a zone the lab does not
  serve: NOTAUTH;
- a prerequisite section (§2.4): REFUSED, the lab supports none;
- a malformed update RR: FORMERR (§3.4.1.3); a name outside the zone or below one of its
  delegations: NOTZONE (§3.4.1.3); any type but TXT: REFUSED (local policy).

Every RR is checked before any is applied, so an update is all or nothing (§3.4.2).
Deviations the lab accepts, on purpose: updated TXT RRsets are served unsigned (their old
RRSIG is dropped and nothing is re-signed; the NSEC chain is not rebuilt), and the SOA
serial is not incremented, so the signed SOA keeps validating for the DNSSEC checks; the
lab has no secondary server that would need the serial.
"""

from __future__ import annotations

import ipaddress

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.update
import dns.zone

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
TXT = dns.rdatatype.TXT
# Types that may never appear in an update RR, even to delete (RFC 2136 §3.4.1.3).
_NEVER = frozenset(
    {dns.rdatatype.AXFR, dns.rdatatype.IXFR, dns.rdatatype.MAILA, dns.rdatatype.MAILB}
)


def is_loopback(client: str | None) -> bool:
    if client is None:
        return False
    try:
        return ipaddress.ip_address(client) in LOOPBACK
    except ValueError:
        return False


def apply_update(
    zones: dict[dns.name.Name, dns.zone.Zone], message: dns.message.Message, client: str | None
) -> tuple[dns.rcode.Rcode, dns.zone.Zone | None]:
    """Check and apply ``message``; return the rcode and the zone it changed, if any.

    The caller runs on one event loop and calls this synchronously: no other query sees a
    half-applied update.
    """
    if not is_loopback(client):
        return dns.rcode.REFUSED, None
    if not isinstance(message, dns.update.UpdateMessage) or len(message.zone) != 1:
        return dns.rcode.FORMERR, None
    question = message.zone[0]
    if question.rdtype != dns.rdatatype.SOA:
        return dns.rcode.FORMERR, None
    zone = zones.get(question.name)
    if zone is None or zone.rdclass != question.rdclass:
        return dns.rcode.NOTAUTH, None
    if message.prerequisite:
        return dns.rcode.REFUSED, None
    for rrset in message.update:
        rcode = _prescan(zone, rrset)
        if rcode != dns.rcode.NOERROR:
            return rcode, None
    for rrset in message.update:
        _apply(zone, rrset)
    return dns.rcode.NOERROR, zone if message.update else None


def _prescan(zone: dns.zone.Zone, rrset: dns.rrset.RRset) -> dns.rcode.Rcode:
    """RFC 2136 §3.4.1.3 checks, then the lab's policy (TXT only)."""
    assert zone.origin is not None
    if not rrset.name.is_subdomain(zone.origin):
        return dns.rcode.NOTZONE
    if rrset.rdclass != zone.rdclass:
        return dns.rcode.FORMERR
    if rrset.deleting is None and dns.rdatatype.is_metatype(rrset.rdtype):
        return dns.rcode.FORMERR  # an add needs a real type
    if rrset.deleting == dns.rdataclass.NONE and (
        rrset.ttl != 0 or dns.rdatatype.is_metatype(rrset.rdtype)
    ):
        return dns.rcode.FORMERR
    if rrset.rdtype in _NEVER:
        return dns.rcode.FORMERR
    if rrset.rdtype != TXT:
        return dns.rcode.REFUSED
    if _below_cut(zone, rrset.name):
        return dns.rcode.NOTZONE  # that data belongs to the child zone, not to this one
    return dns.rcode.NOERROR


def _below_cut(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    assert zone.origin is not None
    while name != zone.origin:
        if zone.get_rdataset(name, dns.rdatatype.NS) is not None:
            return True
        name = name.parent()
    return False


def _apply(zone: dns.zone.Zone, rrset: dns.rrset.RRset) -> None:
    name = rrset.name
    if rrset.deleting is None:
        node = zone.get_node(name)
        if node is not None and node.get_rdataset(zone.rdclass, dns.rdatatype.CNAME):
            return  # RFC 2136 §3.4.2.2: no other data beside a CNAME, silently ignored
        added = zone.find_rdataset(name, TXT, create=True)
        for rdata in rrset:
            added.add(rdata)
        added.ttl = rrset.ttl  # one TTL per RRset (RFC 2181 §5.2): the latest update sets it
    elif rrset.deleting == dns.rdataclass.ANY:
        zone.delete_rdataset(name, TXT)
    else:
        current = zone.get_rdataset(name, TXT)
        if current is not None:
            for rdata in rrset:
                current.discard(rdata)  # type: ignore[no-untyped-call]
            if not current:
                zone.delete_rdataset(name, TXT)
    # The old signature no longer covers the RRset; the lab does not re-sign (see above).
    zone.delete_rdataset(name, dns.rdatatype.RRSIG, covers=TXT)


def existing_names(zone: dns.zone.Zone) -> set[dns.name.Name]:
    """Every owner name of ``zone`` and its ancestors up to the apex: the names that exist,
    possibly as empty non-terminals (RFC 8020), and never get NXDOMAIN."""
    assert zone.origin is not None
    names: set[dns.name.Name] = set()
    for relative in zone.nodes:
        name = relative.derelativize(zone.origin)
        while name.is_subdomain(zone.origin) and name not in names:
            names.add(name)
            name = name.parent()
    return names
