"""The lab's authoritative DNS server and its zones, queried over real UDP and TCP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import dns.asyncquery
import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest
import pytest_asyncio

from rempart.lab.dnsserver import start_dns
from rempart.lab.profiles import Business, DnsProfile, MailProfile, TlsProfile, WebProfile, generate
from rempart.lab.zones import build_zones

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADDRESS, PORT = "127.31.53.2", 53


def business(index: int, dnssec: str = "signed", **mail: object) -> Business:
    return Business(
        index=index,
        slug="zone",
        name="Zone",
        domain=f"zone-{index}.lab",
        address=f"127.31.5.{index}",
        dns=DnsProfile(dnssec=dnssec),  # type: ignore[arg-type]
        mail=MailProfile(**mail),  # type: ignore[arg-type]
        tls=TlsProfile(),
        web=WebProfile(),
        services=(),
    )


SIGNED, BOGUS, UNSIGNED = business(1), business(2, "bogus"), business(3, "unsigned")
LOOKUPS = business(4, spf="too_many_lookups")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[None]:
    zones = build_zones(
        [SIGNED, BOGUS, UNSIGNED, LOOKUPS],
        {"big.zone-1.lab": [("TXT", "y" * 60_000)]},
        ns_address=ADDRESS,
    )
    servers = await start_dns(ADDRESS, PORT, zones)
    yield
    for s in servers:
        s.close()
    await asyncio.gather(*(s.wait_closed() for s in servers))


async def ask(
    name: str, rdtype: str, *, dnssec: bool = False, tcp: bool = False, payload: int = 1232
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, want_dnssec=dnssec, payload=payload)
    if tcp:
        return await dns.asyncquery.tcp(query, ADDRESS, timeout=2, port=PORT)
    return await dns.asyncquery.udp(query, ADDRESS, timeout=2, port=PORT, ignore_trailing=True)


def rrset(message: dns.message.Message, rdtype: str, section: str = "answer"):  # type: ignore[no-untyped-def]
    kind = dns.rdatatype.from_text(rdtype)
    return next((r for r in getattr(message, section) if r.rdtype == kind), None)


async def test_data_is_answered_authoritatively(server: None) -> None:
    reply = await ask(SIGNED.domain, "A")
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.flags & dns.flags.AA
    assert [r.to_text() for r in rrset(reply, "A")] == [SIGNED.address]
    assert rrset(reply, "RRSIG") is None  # no DO bit, no signatures


async def test_the_profile_records_are_published(server: None) -> None:
    mx = await ask(SIGNED.domain, "MX")
    assert rrset(mx, "MX")[0].to_text() == f"10 mail.{SIGNED.domain}."
    caa = await ask(SIGNED.domain, "CAA")
    assert rrset(caa, "CAA")[0].to_text() == '0 issue "letsencrypt.org"'
    spf = await ask(SIGNED.domain, "TXT")
    assert rrset(spf, "TXT")[0].to_text() == '"v=spf1 mx -all"'
    dkim = await ask(f"default._domainkey.{SIGNED.domain}", "TXT")
    assert b"".join(rrset(dkim, "TXT")[0].strings).startswith(b"v=DKIM1; k=rsa; p=MIIB")


async def test_unknown_names_get_nxdomain_with_the_soa(server: None) -> None:
    reply = await ask(f"nothing.{SIGNED.domain}", "A")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert rrset(reply, "SOA", "authority") is not None


async def test_missing_types_get_nodata_with_the_soa(server: None) -> None:
    reply = await ask(SIGNED.domain, "AAAA", dnssec=True)
    assert reply.rcode() == dns.rcode.NOERROR and not reply.answer
    assert rrset(reply, "SOA", "authority") is not None
    assert rrset(reply, "NSEC", "authority") is not None


async def test_empty_non_terminals_exist(server: None) -> None:
    reply = await ask(f"_domainkey.{SIGNED.domain}", "TXT")
    assert reply.rcode() == dns.rcode.NOERROR and not reply.answer


async def test_names_outside_the_zones_are_refused(server: None) -> None:
    assert (await ask("example.com", "A")).rcode() == dns.rcode.REFUSED


async def test_the_do_bit_brings_signatures_that_validate(server: None) -> None:
    name = dns.name.from_text(SIGNED.domain)
    keys = await ask(SIGNED.domain, "DNSKEY", dnssec=True)
    dnskey, sig = rrset(keys, "DNSKEY"), rrset(keys, "RRSIG")
    dns.dnssec.validate(dnskey, sig, {name: dnskey})
    ds = rrset(await ask(SIGNED.domain, "DS", dnssec=True), "DS")
    assert ds is not None  # served from the parent zone
    assert dns.dnssec.make_ds(name, dnskey[0], "SHA256") == ds[0]


async def test_a_bogus_zone_is_signed_but_does_not_validate(server: None) -> None:
    name = dns.name.from_text(BOGUS.domain)
    keys = await ask(BOGUS.domain, "DNSKEY", dnssec=True)
    dnskey, sig = rrset(keys, "DNSKEY"), rrset(keys, "RRSIG")
    with pytest.raises(dns.dnssec.ValidationFailure):
        dns.dnssec.validate(dnskey, sig, {name: dnskey})


async def test_an_unsigned_zone_has_no_dnskey_and_no_ds(server: None) -> None:
    assert not (await ask(UNSIGNED.domain, "DNSKEY", dnssec=True)).answer
    assert not (await ask(UNSIGNED.domain, "DS", dnssec=True)).answer


async def test_the_parent_zone_delegates_and_is_signed(server: None) -> None:
    keys = await ask("lab", "DNSKEY", dnssec=True)
    dnskey = rrset(keys, "DNSKEY")
    dns.dnssec.validate(dnskey, rrset(keys, "RRSIG"), {dns.name.from_text("lab"): dnskey})


async def test_big_answers_are_truncated_over_udp_and_whole_over_tcp(server: None) -> None:
    udp = await ask(f"big.{SIGNED.domain}", "TXT", payload=1232)
    assert udp.flags & dns.flags.TC and not udp.answer
    tcp = await ask(f"big.{SIGNED.domain}", "TXT", tcp=True)
    assert sum(len(s) for s in rrset(tcp, "TXT")[0].strings) == 60_000


async def test_too_many_lookups_publishes_eleven_resolvable_includes(server: None) -> None:
    text = rrset(await ask(LOOKUPS.domain, "TXT"), "TXT")[0].to_text()
    includes = [t for t in text.strip('"').split() if t.startswith("include:")]
    assert len(includes) == 11
    first = includes[0].removeprefix("include:")
    assert rrset(await ask(first, "TXT"), "TXT")[0].to_text() == '"v=spf1 -all"'


async def test_garbage_datagrams_are_ignored(server: None) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=(ADDRESS, PORT)
    )
    transport.sendto(b"\x00garbage")
    transport.close()
    assert (await ask(SIGNED.domain, "A")).rcode() == dns.rcode.NOERROR


async def test_two_hundred_businesses_build_and_sign_in_a_few_seconds() -> None:
    businesses = generate(200, 7)
    started = time.monotonic()
    zones = build_zones(businesses)
    assert time.monotonic() - started < 5
    assert len(zones) == 201
    assert str(zones[0].origin) == "lab."
