"""Ground truth of the lab: which check ids must fail, and which must pass, per business.

Derived from the profiles alone, written independently of the engine: it is what the
accuracy tests hold the engine to. A check id in neither set is "not judged" for that
business (for example SPF permissiveness when the SPF record is invalid).
"""

from __future__ import annotations

from dataclasses import dataclass

from rempart.lab.profiles import Business

DATABASE_PORTS = frozenset({3306, 5432, 1433, 1521, 27017, 6379, 9200, 5984, 11211})
KNOWN_EXPLOITED = frozenset({("elasticsearch", "1.4.2"), ("couchdb", "3.2.1")})
VULNERABLE_WORDPRESS = frozenset({"5.8.1", "4.9.8", "6.0.2"})


@dataclass(frozen=True, slots=True)
class Expectation:
    domain: str
    fail: frozenset[str]
    passes: frozenset[str]


def _judge(verdicts: dict[str, bool], check: str, failing: bool) -> None:
    verdicts[check] = failing


def expectation(b: Business) -> Expectation:
    v: dict[str, bool] = {}
    _dns(b, v)
    _mail(b, v)
    if b.dns.has_address:
        _tls(b, v)
        _web(b, v)
        _net(b, v)
    return Expectation(
        b.domain,
        frozenset(c for c, failing in v.items() if failing),
        frozenset(c for c, failing in v.items() if not failing),
    )


def _dns(b: Business, v: dict[str, bool]) -> None:
    _judge(v, "dns.resolves", not b.dns.has_address and not b.mail.has_mx)
    _judge(v, "dns.dnssec", b.dns.dnssec != "signed")
    _judge(v, "dns.caa", not b.dns.caa)


def _mail(b: Business, v: dict[str, bool]) -> None:
    m = b.mail
    _judge(v, "mail.mx", not m.has_mx)
    _judge(v, "mail.spf.missing", m.spf == "none")
    if m.spf != "none":
        invalid = m.spf in ("two_records", "syntax", "too_many_lookups")
        _judge(v, "mail.spf.invalid", invalid)
        if not invalid:
            _judge(v, "mail.spf.permissive", m.spf in ("plus_all", "qmark_all", "no_all"))
    _judge(v, "mail.dmarc.missing", m.dmarc == "none")
    if m.dmarc != "none":
        _judge(v, "mail.dmarc.invalid", m.dmarc == "invalid")
        if m.dmarc != "invalid":
            _judge(v, "mail.dmarc.policy_none", m.dmarc in ("p_none", "pct50"))
            _judge(v, "mail.dmarc.no_reporting", not m.dmarc_rua)
    if m.has_mx:
        _judge(v, "mail.dkim.missing", m.dkim_selector is None)
        _judge(v, "mail.mta_sts.missing", not m.mta_sts)
        _judge(v, "mail.starttls.missing", not m.starttls)
        if m.starttls:
            _judge(v, "mail.starttls.legacy_tls", m.legacy_tls)
    else:
        _judge(v, "mail.parked_domain", not (m.spf == "lockdown" and m.dmarc == "reject"))


def _tls(b: Business, v: dict[str, bool]) -> None:
    w, t, c = b.web, b.tls, b.tls.cert
    if not w.https:
        if w.http:
            _judge(v, "tls.missing", True)
        return
    _judge(v, "tls.missing", False)
    for check, flag in (
        ("tls.protocol.sslv2", t.sslv2),
        ("tls.protocol.sslv3", t.sslv3),
        ("tls.protocol.tls10", t.tls10),
        ("tls.protocol.tls11", t.tls11),
        ("tls.protocol.no_tls13", not t.tls13),
        ("tls.cipher.weak", t.weak_cipher),
        # The legacy stack that plays ROBOT accepts RSA key exchange by construction.
        ("tls.cipher.no_forward_secrecy", t.no_forward_secrecy or t.robot),
        ("tls.cert.expired", c.validity == "expired"),
        ("tls.cert.not_yet_valid", c.validity == "not_yet_valid"),
        ("tls.cert.hostname_mismatch", not c.matches_host),
        ("tls.cert.untrusted", c.self_signed),
        ("tls.cert.weak_key", c.key == "rsa1024"),
        ("tls.cert.weak_signature", c.signature == "sha1"),
        ("tls.vuln.heartbleed", t.heartbleed),
        ("tls.vuln.robot", t.robot),
        ("tls.vuln.ccs_injection", t.ccs_injection),
        ("tls.compression", t.compression),
        ("tls.renegotiation.insecure", t.insecure_renegotiation),
    ):
        _judge(v, check, flag)
    if c.validity != "expired":  # an expired certificate is not "expiring"
        _judge(v, "tls.cert.expiring", c.validity == "expiring")


def _web(b: Business, v: dict[str, bool]) -> None:
    w = b.web
    if not (w.http or w.https):
        return
    if w.http:
        _judge(v, "web.https_redirect.missing", not (w.https_redirect and w.https))
    if w.https:
        _judge(v, "web.hsts.missing", w.hsts == "none")
        if w.hsts != "none":
            _judge(v, "web.hsts.short", w.hsts == "short")
    _judge(v, "web.csp.missing", w.csp == "none")
    if w.csp != "none":
        _judge(v, "web.csp.unsafe", w.csp == "unsafe")
    _judge(v, "web.frame.missing", not w.frame_protection)
    _judge(v, "web.xcto.missing", not w.xcto)
    _judge(v, "web.referrer_policy.missing", not w.referrer_policy)
    insecure_cookie = any((w.https and not c.secure) or not c.httponly for c in w.cookies)
    _judge(v, "web.cookie.insecure", insecure_cookie)
    _judge(v, "web.server_version", "/" in w.server_header)
    _judge(v, "web.security_txt.missing", not w.security_txt)
    _judge(v, "web.cms.outdated", w.wordpress in VULNERABLE_WORDPRESS)


def _net(b: Business, v: dict[str, bool]) -> None:
    ports = {s.port: s for s in b.services}
    _judge(v, "net.exposed.smb", bool(ports.keys() & {445, 139}))
    _judge(v, "net.exposed.rdp", 3389 in ports)
    _judge(v, "net.exposed.telnet", 23 in ports)
    _judge(v, "net.exposed.ftp", 21 in ports)
    _judge(v, "net.exposed.database", bool(ports.keys() & DATABASE_PORTS))
    _judge(v, "net.exposed.vnc", 5900 in ports)
    _judge(v, "net.exposed.winrm", bool(ports.keys() & {5985, 5986}))
    if 445 in ports:
        _judge(v, "net.smb.v1", ports[445].smb_v1)
    if 21 in ports:
        _judge(v, "net.ftp.anonymous", ports[21].ftp_anonymous)
    _judge(v, "net.service.version", any(s.version for s in b.services))
    _judge(
        v,
        "net.service.known_exploited",
        any((s.kind, s.version) in KNOWN_EXPLOITED for s in b.services),
    )


def ground_truth(businesses: list[Business]) -> dict[str, object]:
    """The JSON document ``rempart lab`` writes: per business, its weaknesses."""
    return {
        "format": "rempart-lab-ground-truth/1",
        "businesses": [
            {
                "domain": b.domain,
                "name": b.name,
                "address": b.address,
                "fail": sorted(e.fail),
                "pass": sorted(e.passes),
            }
            for b in businesses
            for e in (expectation(b),)
        ],
    }
