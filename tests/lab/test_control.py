"""Lab businesses prove control of their domains: DNS UPDATE of TXT records, well-known file.

Three layers: the Authority's UPDATE path without sockets (messages built with dnspython),
the wire (a DNS server of our own on 127.31.53.9), and the running lab (the session ``lab``
fixture: a real ``rempart lab`` process) driven through ``rempart.lab.control`` and the CLI.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import dns.asyncquery
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.resolver
import dns.update
import pytest
import pytest_asyncio

from rempart.cli.main import main
from rempart.lab.control import LabControlError, publish_txt, remove_txt, write_wellknown
from rempart.lab.dnsserver import Authority, start_dns
from rempart.lab.profiles import (
    Business,
    DnsProfile,
    MailProfile,
    TlsProfile,
    WebProfile,
    generate,
)
from rempart.lab.zones import build_zones
from tests.conftest import LAB_SEED, LAB_SIZE

LOCAL = "127.0.0.1"


def business(index: int, dnssec: str = "signed") -> Business:
    return Business(
        index=index,
        slug="proof",
        name="Proof",
        domain=f"proof-{index}.lab",
        address=f"127.31.6.{index}",
        dns=DnsProfile(dnssec=dnssec),  # type: ignore[arg-type]
        mail=MailProfile(),
        tls=TlsProfile(),
        web=WebProfile(),
        services=(),
    )


SIGNED, UNSIGNED = business(1), business(2, "unsigned")
CHALLENGE = f"_rempart-challenge.{SIGNED.domain}."


@pytest.fixture
def authority() -> Authority:
    return Authority(build_zones([SIGNED, UNSIGNED]))


def update(authority: Authority, message: dns.message.Message, client: str | None = LOCAL) -> int:
    """Send ``message`` through its wire form, as a client would, and return the rcode."""
    return authority.respond(dns.message.from_wire(message.to_wire()), client).rcode()


def ask(authority: Authority, name: str, rdtype: str = "TXT", dnssec: bool = False):  # type: ignore[no-untyped-def]
    return authority.respond(dns.message.make_query(name, rdtype, want_dnssec=dnssec), LOCAL)


def texts(reply: dns.message.Message, rdtype: str = "TXT") -> set[str]:
    kind = dns.rdatatype.from_text(rdtype)
    return {rd.to_text() for rrset in reply.answer if rrset.rdtype == kind for rd in rrset}


def add(zone: str, name: str, *values: str, ttl: int = 60) -> dns.update.UpdateMessage:
    message = dns.update.UpdateMessage(zone)
    for value in values:
        message.add(name, ttl, "TXT", f'"{value}"')
    return message


# -- the Authority, without sockets ------------------------------------------------------


def test_an_added_txt_is_answered_and_its_name_no_longer_nxdomain(authority: Authority) -> None:
    assert ask(authority, CHALLENGE).rcode() == dns.rcode.NXDOMAIN

    assert update(authority, add(SIGNED.domain, CHALLENGE, "rempart-verification=t1")) == 0

    reply = ask(authority, CHALLENGE)
    assert reply.rcode() == dns.rcode.NOERROR and reply.flags & dns.flags.AA
    assert texts(reply) == {'"rempart-verification=t1"'}


def test_deleting_one_rr_keeps_the_others_and_the_last_one_removes_the_name(
    authority: Authority,
) -> None:
    update(authority, add(SIGNED.domain, CHALLENGE, "old", "new"))
    delete = dns.update.UpdateMessage(SIGNED.domain)
    delete.delete(CHALLENGE, "TXT", '"old"')

    assert update(authority, delete) == dns.rcode.NOERROR
    assert texts(ask(authority, CHALLENGE)) == {'"new"'}

    delete = dns.update.UpdateMessage(SIGNED.domain)
    delete.delete(CHALLENGE, "TXT", '"new"')
    assert update(authority, delete) == dns.rcode.NOERROR
    assert ask(authority, CHALLENGE).rcode() == dns.rcode.NXDOMAIN


def test_deleting_the_rrset_at_a_name_with_other_data_gives_nodata(authority: Authority) -> None:
    www = f"www.{UNSIGNED.domain}."
    update(authority, add(UNSIGNED.domain, www, "a", "b"))
    delete = dns.update.UpdateMessage(UNSIGNED.domain)
    delete.delete(www, "TXT")

    assert update(authority, delete) == dns.rcode.NOERROR
    reply = ask(authority, www)
    assert reply.rcode() == dns.rcode.NOERROR and not reply.answer  # NODATA: the A remains
    assert texts(ask(authority, www, "A"), "A") == {UNSIGNED.address}


def test_empty_non_terminals_follow_the_updates(authority: Authority) -> None:
    deep, middle = f"a.b.{UNSIGNED.domain}.", f"b.{UNSIGNED.domain}."
    update(authority, add(UNSIGNED.domain, deep, "x"))
    assert ask(authority, middle).rcode() == dns.rcode.NOERROR  # RFC 8020: it exists now

    delete = dns.update.UpdateMessage(UNSIGNED.domain)
    delete.delete(deep, "TXT")
    update(authority, delete)
    assert ask(authority, middle).rcode() == dns.rcode.NXDOMAIN
    assert ask(authority, deep).rcode() == dns.rcode.NXDOMAIN


def test_an_updated_rrset_of_a_signed_zone_is_served_unsigned(authority: Authority) -> None:
    apex = f"{SIGNED.domain}."
    before = ask(authority, apex, dnssec=True)
    assert any(r.rdtype == dns.rdatatype.RRSIG for r in before.answer)

    update(authority, add(SIGNED.domain, apex, "extra"))

    after = ask(authority, apex, dnssec=True)
    assert '"extra"' in texts(after)
    assert not any(r.rdtype == dns.rdatatype.RRSIG for r in after.answer)
    signed_a = ask(authority, apex, "A", dnssec=True)  # untouched RRsets keep their RRSIG
    assert any(r.rdtype == dns.rdatatype.RRSIG for r in signed_a.answer)


def test_an_update_for_a_zone_the_lab_does_not_serve_is_notauth(authority: Authority) -> None:
    assert update(authority, add("example.com", "x.example.com.", "v")) == dns.rcode.NOTAUTH
    # The zone must be named exactly, not by a name inside it (RFC 2136 §3.1.1).
    assert update(authority, add(f"www.{SIGNED.domain}", CHALLENGE, "v")) == dns.rcode.NOTAUTH


def test_a_name_outside_the_zone_is_notzone(authority: Authority) -> None:
    message = add(SIGNED.domain, f"_rempart-challenge.{UNSIGNED.domain}.", "v")
    assert update(authority, message) == dns.rcode.NOTZONE
    assert ask(authority, f"_rempart-challenge.{UNSIGNED.domain}.").rcode() == dns.rcode.NXDOMAIN


def test_a_name_below_a_delegation_is_notzone(authority: Authority) -> None:
    # "lab." delegates every business zone: their data is not the parent's to change.
    assert update(authority, add("lab", CHALLENGE, "v")) == dns.rcode.NOTZONE


def test_other_types_are_refused_and_nothing_of_the_update_is_applied(
    authority: Authority,
) -> None:
    message = add(SIGNED.domain, CHALLENGE, "v")
    message.add(CHALLENGE, 60, "A", "192.0.2.1")

    assert update(authority, message) == dns.rcode.REFUSED
    assert ask(authority, CHALLENGE).rcode() == dns.rcode.NXDOMAIN  # all or nothing

    delete_all = dns.update.UpdateMessage(SIGNED.domain)
    delete_all.delete(f"{SIGNED.domain}.")  # every RRset of the apex, SOA and NS included
    assert update(authority, delete_all) == dns.rcode.REFUSED
    assert texts(ask(authority, f"{SIGNED.domain}.", "A"), "A") == {SIGNED.address}


def test_only_loopback_clients_may_update(authority: Authority) -> None:
    message = add(SIGNED.domain, CHALLENGE, "v")
    assert update(authority, message, client="192.0.2.10") == dns.rcode.REFUSED
    assert update(authority, message, client=None) == dns.rcode.REFUSED
    assert ask(authority, CHALLENGE).rcode() == dns.rcode.NXDOMAIN
    assert update(authority, message, client="127.200.1.1") == dns.rcode.NOERROR


def test_prerequisites_are_refused(authority: Authority) -> None:
    message = add(SIGNED.domain, CHALLENGE, "v")
    message.absent(CHALLENGE)
    assert update(authority, message) == dns.rcode.REFUSED
    assert ask(authority, CHALLENGE).rcode() == dns.rcode.NXDOMAIN


def test_a_delete_rr_with_a_ttl_is_a_format_error(authority: Authority) -> None:
    message = dns.update.UpdateMessage(SIGNED.domain)
    rrset = message.find_rrset(
        message.update,
        dns.name.from_text(CHALLENGE),
        dns.rdataclass.IN,
        dns.rdatatype.TXT,
        deleting=dns.rdataclass.NONE,
        create=True,
    )
    rrset.add(dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [b"v"]), 300)
    assert update(authority, message) == dns.rcode.FORMERR  # RFC 2136 §3.4.1.3


# -- on the wire: a server of our own ------------------------------------------------------

WIRE_ADDRESS, WIRE_PORT = "127.31.53.9", 10053


@pytest_asyncio.fixture(loop_scope="session")
async def wire_server() -> AsyncIterator[None]:
    servers = await start_dns(WIRE_ADDRESS, WIRE_PORT, build_zones([SIGNED]))
    yield
    for server in servers:
        server.close()
    await asyncio.gather(*(s.wait_closed() for s in servers))


@pytest.mark.asyncio(loop_scope="session")
async def test_updates_travel_over_udp_and_tcp(wire_server: None) -> None:
    over_udp = await dns.asyncquery.udp(
        add(SIGNED.domain, CHALLENGE, "u"), WIRE_ADDRESS, 2, WIRE_PORT
    )
    over_tcp = await dns.asyncquery.tcp(
        add(SIGNED.domain, CHALLENGE, "t"), WIRE_ADDRESS, 2, WIRE_PORT
    )
    assert over_udp.rcode() == over_tcp.rcode() == dns.rcode.NOERROR

    reply = await dns.asyncquery.udp(
        dns.message.make_query(CHALLENGE, "TXT"), WIRE_ADDRESS, 2, WIRE_PORT
    )
    assert texts(reply) == {'"u"', '"t"'}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_an_update_with_two_zones_gets_a_bare_formerr(
    wire_server: None, transport: str
) -> None:
    # dnspython will not even build it: header (UPDATE, ZOCOUNT=2) then two SOA questions.
    zone = dns.name.from_text(SIGNED.domain).to_wire()
    question = zone + struct.pack("!HH", dns.rdatatype.SOA, dns.rdataclass.IN)
    flags = 5 << 11  # opcode UPDATE
    wire = struct.pack("!HHHHHH", 4242, flags, 2, 0, 0, 0) + question * 2

    answer = await asyncio.to_thread(_exchange_raw, wire, transport)

    ident, reply_flags = struct.unpack("!HH", answer[:4])
    assert ident == 4242 and reply_flags & dns.flags.QR
    assert (reply_flags >> 11) & 0xF == 5 and reply_flags & 0xF == dns.rcode.FORMERR


def _exchange_raw(wire: bytes, transport: str) -> bytes:
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(2)
        sock.connect((WIRE_ADDRESS, WIRE_PORT))
        if transport == "udp":
            sock.send(wire)
            return sock.recv(512)
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        size = struct.unpack("!H", _recv_exactly(sock, 2))[0]
        return _recv_exactly(sock, size)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


# -- the running lab -----------------------------------------------------------------------


def a_clean_site() -> Business:
    """A lab business with a website on 80 and 443 and a certificate any client trusts."""
    for b in generate(LAB_SIZE, LAB_SEED):
        if b.dns.has_address and b.web.http and b.web.https and b.tls == TlsProfile():
            return b
    pytest.fail("no lab business with a plain, valid HTTPS site: change the lab seed")


def lab_txt(name: str, lab) -> dns.message.Message:  # type: ignore[no-untyped-def]
    query = dns.message.make_query(name, "TXT")
    return dns.query.udp(query, lab.resolver[0], timeout=2, port=lab.resolver[1])


@pytest.mark.lab
def test_a_business_publishes_then_removes_its_challenge(lab) -> None:  # type: ignore[no-untyped-def]
    site = a_clean_site()
    name = f"_rempart-challenge.{site.domain}"
    assert lab_txt(name, lab).rcode() == dns.rcode.NXDOMAIN

    publish_txt(name, "rempart-verification=tok-1", lab.resolver)
    publish_txt(name, "rempart-verification=tok-2", lab.resolver)
    assert texts(lab_txt(name, lab)) == {
        '"rempart-verification=tok-1"',
        '"rempart-verification=tok-2"',
    }

    remove_txt(name, "rempart-verification=tok-1", lab.resolver)
    assert texts(lab_txt(name, lab)) == {'"rempart-verification=tok-2"'}
    remove_txt(name, server=lab.resolver)
    assert lab_txt(name, lab).rcode() == dns.rcode.NXDOMAIN


@pytest.mark.lab
def test_a_resolver_pointed_at_the_lab_sees_the_record(lab) -> None:  # type: ignore[no-untyped-def]
    site = a_clean_site()
    name = f"_rempart-challenge.{site.domain}"
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = [lab.resolver[0]], lab.resolver[1]
    publish_txt(name, "rempart-verification=seen", lab.resolver)
    try:
        answer = resolver.resolve(name, "TXT")
        assert [b"".join(rd.strings) for rd in answer] == [b"rempart-verification=seen"]
    finally:
        remove_txt(name, server=lab.resolver)
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve(name, "TXT")


@pytest.mark.lab
def test_the_lab_refuses_foreign_zones_and_other_types(lab) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LabControlError) as foreign:
        publish_txt("_rempart-challenge.example.com", "v", lab.resolver, zone="example.com")
    assert foreign.value.rcode == dns.rcode.NOTAUTH
    with pytest.raises(LabControlError, match="does not serve"):
        publish_txt("_rempart-challenge.example.com", "v", lab.resolver)

    site = a_clean_site()
    message = dns.update.UpdateMessage(site.domain)
    message.add(f"www.{site.domain}", 60, "A", "127.9.9.9")
    reply = dns.query.udp(message, lab.resolver[0], timeout=2, port=lab.resolver[1])
    assert reply.rcode() == dns.rcode.REFUSED
    www = dns.query.udp(
        dns.message.make_query(f"www.{site.domain}", "A"), lab.resolver[0], 2, lab.resolver[1]
    )
    assert texts(www, "A") == {site.address}


@pytest.mark.lab
def test_the_cli_adds_and_removes_a_txt_record(lab, capsys) -> None:  # type: ignore[no-untyped-def]
    name = f"_rempart-challenge.{a_clean_site().domain}"
    server = ["--server", lab.resolver[0], "--port", str(lab.resolver[1])]

    assert main(["lab", "txt", "add", *server, name, "rempart-verification=cli"]) == 0
    assert texts(lab_txt(name, lab)) == {'"rempart-verification=cli"'}
    assert main(["lab", "txt", "remove", *server, name]) == 0
    assert lab_txt(name, lab).rcode() == dns.rcode.NXDOMAIN
    assert main(["lab", "txt", "add", *server, "x.example.com", "v"]) == 1
    assert "does not serve" in capsys.readouterr().err


def fetch(address: str, port: int, host: str, ca_file: Path | None) -> tuple[int, str, str]:
    """GET the verification path; HTTPS (verified against ``ca_file``) when one is given."""
    raw = socket.create_connection((address, port), timeout=5)
    if ca_file is not None:
        context = ssl.create_default_context(cafile=str(ca_file))
        raw = context.wrap_socket(raw, server_hostname=host.split(":")[0])
    with raw as sock:
        request = f"GET /.well-known/rempart-verification.txt HTTP/1.1\r\nHost: {host}\r\n\r\n"
        sock.sendall(request.encode("latin-1"))
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    content_type = next(
        (v.strip() for k, _, v in (h.partition(":") for h in lines) if k.lower() == "content-type"),
        "",
    )
    return int(status_line.split()[1]), content_type, body.decode()


@pytest.mark.lab
def test_the_well_known_file_is_served_once_written(lab) -> None:  # type: ignore[no-untyped-def]
    site = a_clean_site()
    proof = lab.directory / "wellknown" / f"{site.domain}.txt"
    proof.unlink(missing_ok=True)
    assert fetch(site.address, 443, site.domain, lab.ca_file)[0] == 404

    written = write_wellknown(lab.directory, site.domain.upper(), "rempart-verification=w1\n")
    try:
        assert written == proof
        https = fetch(site.address, 443, site.domain, lab.ca_file)
        assert https == (200, "text/plain; charset=utf-8", "rempart-verification=w1\n")
        # Over HTTP too, despite the site's redirect to HTTPS, and with a port in Host.
        assert fetch(site.address, 80, f"{site.domain.upper()}:80", None)[0] == 200
        write_wellknown(lab.directory, site.domain, "rempart-verification=w2\n")
        assert fetch(site.address, 443, site.domain, lab.ca_file)[2] == "rempart-verification=w2\n"
        # Another business's name is not this site's to prove.
        other = next(b for b in generate(LAB_SIZE, LAB_SEED) if b.domain != site.domain)
        write_wellknown(lab.directory, other.domain, "not yours")
        assert fetch(site.address, 80, other.domain, None)[0] == 404
    finally:
        for file in (lab.directory / "wellknown").glob("*.txt"):
            file.unlink()
    assert fetch(site.address, 443, site.domain, lab.ca_file)[0] == 404


@pytest.mark.lab
def test_the_well_known_file_is_capped_and_hosts_cannot_climb_out(lab) -> None:  # type: ignore[no-untyped-def]
    site = a_clean_site()
    secret = lab.directory / f"x.{site.domain}.txt"  # beside the folder, not in it
    secret.write_text("must not be served")
    big = lab.directory / "wellknown" / f"big.{site.domain}.txt"
    big.write_text("y" * 10_000)
    try:
        assert fetch(site.address, 80, f"../x.{site.domain}", None)[0] == 404
        assert fetch(site.address, 80, f"wellknown/../../x.{site.domain}", None)[0] == 404
        status, _, body = fetch(site.address, 80, f"big.{site.domain}", None)
        assert status == 200 and body == "y" * 4096
    finally:
        secret.unlink()
        big.unlink()
    with pytest.raises(LabControlError):
        write_wellknown(lab.directory, f"../x.{site.domain}", "v")
    with pytest.raises(LabControlError):
        write_wellknown(lab.directory, site.domain, "z" * 5000)
