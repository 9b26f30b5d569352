"""The lab's DNS zones, built from the business profiles.

One parent zone ``lab.`` (NS and, for signed children, DS records) and one zone per
business ``<slug>-<n>.lab.``. Each business zone publishes exactly what its
:class:`~rempart.lab.profiles.MailProfile` and :class:`~rempart.lab.profiles.DnsProfile`
say, so the ground truth (lab.truth) and the engine see the same thing.

DNSSEC: each signed zone gets its own ECDSA P-256 key (algorithm 13, RFC 6605), generated
at build time and used as a combined signing key (flags 257); generating one costs well
under a millisecond, and signing (with NSEC) dominates the build time (200 businesses:
about 1.5 s). A "bogus" zone is signed, then every RRSIG signature is corrupted, so its
DS in the parent matches but nothing validates.
"""

from __future__ import annotations

import hashlib
import time

import dns.dnssec
import dns.dnssectypes
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rdtypes.ANY.TXT
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from rempart.lab.profiles import LAB_ZONE, Business, MailProfile

TTL = 300
NS_NAME = f"ns.{LAB_ZONE}."
DEFAULT_NS_ADDRESS = "127.53.0.1"
SIGNATURE_LIFETIME = 30 * 86400

# A real 2048-bit RSA public key (SubjectPublicKeyInfo, base64), published as the DKIM key
# of every business that has one: the checks only look for a non-empty p= tag, and a fixed
# key keeps zone building fast and deterministic.
DKIM_PUBLIC_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqR62VP3CQy8Z1vGRqSAaVqnFou5tjHgaAtdPugrCNi4E"
    "BXorPpQJHfzc94k9HrELP0jvpkIydKzq5P6OGRlVz873ruMvKUc8TorkXOpCvWP209UpZUIXvonCWPbfbByrb6kj"
    "XW+YMVGMnu5NmhoDkgsZUnk0SiWYxNfTdjlkOBRvNp8of/AMeQ2xHKEYo1GtD4KoJtahWEXggWNv4A3Z01uU0vNu"
    "zlY2ak3B3Mctn647Ib5MS87rlo9JFWBR114//fqBt+U8wlVBWPXKsPekemrtGuXhiyNOJRPs6r9EWuS4N+g1byUW"
    "8p025PDkqlJ1iFnhb99ixstST6rL9bb3WQIDAQAB"
)

SPF_RECORDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "good": ("v=spf1 mx -all",),
    "lockdown": ("v=spf1 -all",),
    "softfail": ("v=spf1 mx ~all",),
    "two_records": ("v=spf1 mx -all", "v=spf1 a -all"),
    "syntax": ("v=spf1 mx ip4:999.1.1.1 -all",),
    "plus_all": ("v=spf1 mx +all",),
    "qmark_all": ("v=spf1 mx ?all",),
    "no_all": ("v=spf1 mx",),
}
TOO_MANY_INCLUDES = 11  # one more than RFC 7208 §4.6.4 allows


def build_zones(
    businesses: list[Business],
    extra: dict[str, list[tuple[str, str]]] | None = None,
    *,
    ns_address: str = DEFAULT_NS_ADDRESS,
) -> list[dns.zone.Zone]:
    """The parent ``lab.`` zone first, then one zone per business, signed per profile.

    ``extra`` maps an owner name (absolute, trailing dot optional) to (type, rdata) pairs
    added to the zone that holds the name, before signing: fault records for tests. TXT
    rdata is given as plain text and split into 255-byte strings (RFC 1035 §3.3.14), so a
    60 KB TXT record is ``[("TXT", "x" * 60000)]``.
    """
    parent = _new_zone(f"{LAB_ZONE}.")
    _add(parent, NS_NAME, "A", ns_address)
    children = [(b, _business_zone(b)) for b in businesses]
    for name, records in (extra or {}).items():
        zone = _holder([parent] + [z for _, z in children], name)
        for rdtype, text in records:
            _add(zone, name, rdtype, text)
    for business, zone in children:
        _add(parent, f"{business.domain}.", "NS", NS_NAME)
        if business.dns.dnssec != "unsigned":
            ds = dns.dnssec.make_ds(business.domain + ".", _sign(zone), "SHA256")
            _add(parent, f"{business.domain}.", "DS", ds.to_text())
        if business.dns.dnssec == "bogus":
            _corrupt_signatures(zone)
    _sign(parent)
    return [parent] + [z for _, z in children]


def _new_zone(origin: str) -> dns.zone.Zone:
    zone = dns.zone.Zone(dns.name.from_text(origin))
    _add(zone, origin, "SOA", f"{NS_NAME} hostmaster.{origin} 1 3600 600 86400 {TTL}")
    _add(zone, origin, "NS", NS_NAME)
    return zone


def _holder(zones: list[dns.zone.Zone], name: str) -> dns.zone.Zone:
    owner = dns.name.from_text(name)
    candidates = [z for z in zones if z.origin is not None and owner.is_subdomain(z.origin)]
    if not candidates:
        raise ValueError(f"{name} is in none of the lab zones")
    return max(candidates, key=lambda z: len(z.origin or ()))


def _add(zone: dns.zone.Zone, name: str, rdtype: str, text: str) -> None:
    owner = dns.name.from_text(name)
    kind = dns.rdatatype.from_text(rdtype)
    if kind == dns.rdatatype.TXT:
        data = text.encode()
        chunks = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
        rdata: dns.rdata.Rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, kind, chunks)
    else:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, kind, text)
    zone.find_rdataset(owner, kind, create=True).add(rdata, TTL)


def _business_zone(b: Business) -> dns.zone.Zone:
    apex = f"{b.domain}."
    zone = _new_zone(apex)
    if b.dns.has_address:
        _add(zone, apex, "A", b.address)
        _add(zone, f"www.{apex}", "A", b.address)
    if b.dns.caa:
        _add(zone, apex, "CAA", '0 issue "letsencrypt.org"')
    m = b.mail
    if m.has_mx:
        _add(zone, apex, "MX", f"10 {b.mx_host}.")
        _add(zone, f"{b.mx_host}.", "A", b.address)
    _add_spf(zone, apex, m)
    dmarc = _dmarc_text(m, b.domain)
    if dmarc:
        _add(zone, f"_dmarc.{apex}", "TXT", dmarc)
    if m.dkim_selector:
        _add(
            zone,
            f"{m.dkim_selector}._domainkey.{apex}",
            "TXT",
            f"v=DKIM1; k=rsa; p={DKIM_PUBLIC_KEY}",
        )
    if m.mta_sts:
        _add(zone, f"_mta-sts.{apex}", "TXT", f"v=STSv1; id={_stable_id(b.domain)}")
    return zone


def _add_spf(zone: dns.zone.Zone, apex: str, m: MailProfile) -> None:
    if m.spf == "too_many_lookups":
        names = [f"spf{i}.{apex}" for i in range(TOO_MANY_INCLUDES)]
        for name in names:
            _add(zone, name, "TXT", "v=spf1 -all")
        includes = " ".join(f"include:{n}" for n in names)
        _add(zone, apex, "TXT", f"v=spf1 {includes} -all")
        return
    for text in SPF_RECORDS[m.spf]:
        _add(zone, apex, "TXT", text)


def _dmarc_text(m: MailProfile, domain: str) -> str:
    rua = f"; rua=mailto:dmarc@{domain}" if m.dmarc_rua else ""
    match m.dmarc:
        case "none":
            return ""
        case "reject" | "quarantine":
            return f"v=DMARC1; p={m.dmarc}{rua}"
        case "p_none":
            return f"v=DMARC1; p=none{rua}"
        case "pct50":
            return f"v=DMARC1; p=quarantine; pct=50{rua}"
        case "invalid":
            return f"v=DMARC1; p=bogus{rua}"
    raise ValueError(f"unknown DMARC kind {m.dmarc!r}")


def _stable_id(domain: str) -> str:
    return hashlib.sha256(domain.encode()).hexdigest()[:16]


def _sign(zone: dns.zone.Zone) -> dns.rdtypes.ANY.DNSKEY.DNSKEY:
    """Sign ``zone`` (RRSIGs and NSEC) with a fresh ECDSA P-256 combined key; return its DNSKEY.

    dnspython leaves delegation NS and glue unsigned, as RFC 4035 §2.2 requires.
    """
    private = ec.generate_private_key(ec.SECP256R1())
    dnskey = dns.dnssec.make_dnskey(
        private.public_key(), dns.dnssectypes.Algorithm.ECDSAP256SHA256, flags=257
    )
    now = int(time.time())
    dns.dnssec.sign_zone(
        zone,
        keys=[(private, dnskey)],
        inception=now - 3600,
        expiration=now + SIGNATURE_LIFETIME,
    )
    _absolute_nsec(zone)
    return dnskey


def _absolute_nsec(zone: dns.zone.Zone) -> None:
    """dnspython writes NSEC "next" names relative to the origin; a server needs them whole."""
    assert zone.origin is not None
    for node in zone.nodes.values():
        nsec = node.get_rdataset(zone.rdclass, dns.rdatatype.NSEC)
        if nsec is None:
            continue
        fixed = dns.rdataset.Rdataset(nsec.rdclass, nsec.rdtype)
        for rdata in nsec:
            fixed.add(rdata.replace(next=rdata.next.derelativize(zone.origin)), nsec.ttl)
        node.replace_rdataset(fixed)


def _corrupt_signatures(zone: dns.zone.Zone) -> None:
    """Flip a byte of every RRSIG signature: the zone stays signed but never validates."""
    for node in zone.nodes.values():
        for rdataset in list(node.rdatasets):
            if rdataset.rdtype != dns.rdatatype.RRSIG:
                continue
            broken = dns.rdataset.Rdataset(rdataset.rdclass, rdataset.rdtype, rdataset.covers)
            for rrsig in rdataset:
                signature = rrsig.signature
                broken.add(
                    rrsig.replace(signature=bytes([signature[0] ^ 0xFF]) + signature[1:]),
                    rdataset.ttl,
                )
            node.replace_rdataset(broken)
