"""Deterministic business profiles for the lab: what each fake business gets wrong.

A profile is plain data. The servers (dnsserver, smtp, tlsserver, web, listeners) build
themselves from it, and :mod:`rempart.lab.truth` derives from it, independently of the
engine, which check ids must fail and which must pass.

Coverage rule: for any lab of at least MIN_COVERAGE_SIZE businesses, every check id of the
catalog fails on at least one business and passes on at least one other. Each business
carries a "forced" share of weaknesses (check ids dealt round-robin) plus random extras
drawn from the seed, so a lab is varied yet reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from rempart.engine.catalog import CATALOG

MIN_COVERAGE_SIZE = 30
LAB_ZONE = "lab"

SpfKind = Literal[
    "none",
    "good",
    "lockdown",
    "softfail",
    "two_records",
    "syntax",
    "too_many_lookups",
    "plus_all",
    "qmark_all",
    "no_all",
]
DmarcKind = Literal["none", "reject", "quarantine", "p_none", "pct50", "invalid"]
Validity = Literal["ok", "expired", "not_yet_valid", "expiring"]
KeyKind = Literal["rsa2048", "ec256", "rsa1024"]
SigKind = Literal["sha256", "sha1"]
HstsKind = Literal["none", "short", "good"]
CspKind = Literal["none", "unsafe", "good"]

TRADES: tuple[tuple[str, str], ...] = (
    ("boulangerie", "Boulangerie"),
    ("garage", "Garage"),
    ("cabinet-comptable", "Cabinet comptable"),
    ("pharmacie", "Pharmacie"),
    ("menuiserie", "Menuiserie"),
    ("fromagerie", "Fromagerie"),
    ("agence-immo", "Agence immobilière"),
    ("plomberie", "Plomberie"),
    ("cave-cooperative", "Cave coopérative"),
    ("imprimerie", "Imprimerie"),
    ("transports", "Transports"),
    ("cabinet-avocats", "Cabinet d'avocats"),
    ("clinique-veto", "Clinique vétérinaire"),
    ("hotel", "Hôtel"),
    ("librairie", "Librairie"),
    ("architecte", "Atelier d'architecture"),
    ("electricite", "Électricité générale"),
    ("auto-ecole", "Auto-école"),
    ("opticien", "Opticien"),
    ("traiteur", "Traiteur"),
)
FAMILY_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Mercier",
    "Blanc",
    "Guerin",
    "Faure",
    "Rousseau",
)


@dataclass(frozen=True, slots=True)
class DnsProfile:
    has_address: bool = True  # apex A record (the website and services live there)
    dnssec: Literal["unsigned", "signed", "bogus"] = "signed"  # bogus: RRSIG does not verify
    caa: bool = True


@dataclass(frozen=True, slots=True)
class MailProfile:
    has_mx: bool = True  # MX -> mail.<domain> -> the business address, SMTP on port 25
    spf: SpfKind = "good"
    dmarc: DmarcKind = "reject"
    dmarc_rua: bool = True
    dkim_selector: str | None = "default"  # selector with a published key, or None
    mta_sts: bool = True  # _mta-sts TXT record "v=STSv1; id=..."
    starttls: bool = True
    legacy_tls: bool = False  # the STARTTLS side accepts TLS 1.0 and 1.1
    smtp_banner: str = "ESMTP Postfix"


@dataclass(frozen=True, slots=True)
class CertProfile:
    validity: Validity = "ok"
    matches_host: bool = True  # SAN names the domain (else another name)
    self_signed: bool = False  # else issued by an intermediate of the lab CA
    key: KeyKind = "ec256"
    signature: SigKind = "sha256"  # of the leaf


@dataclass(frozen=True, slots=True)
class TlsProfile:
    tls10: bool = False
    tls11: bool = False
    tls13: bool = True
    no_forward_secrecy: bool = False  # an RSA key-exchange suite accepted on TLS 1.2
    # Behaviour no modern OpenSSL server can show: played by the lab's raw TLS front
    # (lab.tlsserver) on ClientHellos that do not offer TLS 1.3.
    weak_cipher: bool = False  # accepts RC4/3DES/EXPORT/NULL suites
    sslv2: bool = False
    sslv3: bool = False
    heartbleed: bool = False
    robot: bool = False
    ccs_injection: bool = False
    compression: bool = False
    insecure_renegotiation: bool = False  # no RFC 5746 renegotiation_info in ServerHello
    cert: CertProfile = field(default_factory=CertProfile)


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool


@dataclass(frozen=True, slots=True)
class WebProfile:
    http: bool = True  # port 80 answers
    https: bool = True  # port 443 answers (else tls.missing when http is on)
    https_redirect: bool = True  # http:// answers 301 to https://<same host>/
    hsts: HstsKind = "good"
    csp: CspKind = "good"
    frame_protection: bool = True  # X-Frame-Options: DENY (else neither XFO nor frame-ancestors)
    xcto: bool = True
    referrer_policy: bool = True
    cookies: tuple[Cookie, ...] = (Cookie("sessionid", True, True),)
    server_header: str = "nginx"  # a version here discloses it
    security_txt: bool = True
    wordpress: str | None = None  # WordPress version announced in <meta name="generator">


@dataclass(frozen=True, slots=True)
class Service:
    """A risky listener on the business address."""

    port: int
    kind: str  # smb, rdp, telnet, ftp, mysql, postgres, mssql, oracle, mongodb, redis,
    #            elasticsearch, couchdb, memcached, vnc, winrm
    version: str | None = None  # disclosed in the banner when set
    smb_v1: bool = False
    ftp_anonymous: bool = False


@dataclass(frozen=True, slots=True)
class Business:
    index: int
    slug: str
    name: str
    domain: str
    address: str
    dns: DnsProfile
    mail: MailProfile
    tls: TlsProfile
    web: WebProfile
    services: tuple[Service, ...]

    @property
    def mx_host(self) -> str:
        return f"mail.{self.domain}"


def business_address(index: int) -> str:
    """127.20.x.y: 250 businesses per /24, away from 127.0.0.1 and the lab's own services."""
    return f"127.20.{index // 250}.{index % 250 + 1}"


# -- generation ------------------------------------------------------------------------
# Weaknesses are named by check id; ``_apply`` turns one into profile settings.

# Every catalog id is a weakness some business gets (tests/lab/test_profiles.py).
FORCEABLE: tuple[str, ...] = tuple(CATALOG)

# Weaknesses that change the shape of a business (no website, no mail…): never drawn as
# random extras, only dealt, so most businesses keep every surface to test.
_STRUCTURAL = frozenset({"dns.resolves", "mail.mx", "mail.parked_domain", "tls.missing"})

_DATABASES = (
    (3306, "mysql", "5.7.44"),
    (5432, "postgres", None),
    (1433, "mssql", None),
    (1521, "oracle", None),
    (27017, "mongodb", None),
    (6379, "redis", None),
    (9200, "elasticsearch", "8.13.4"),
    (5984, "couchdb", "3.3.3"),
    (11211, "memcached", None),
)


_NEEDS_RSA = (
    "no_forward_secrecy",
    "weak_cipher",
    "sslv2",
    "sslv3",
    "robot",
    "heartbleed",
    "ccs_injection",
    "compression",
    "insecure_renegotiation",
)


@dataclass
class _Draft:
    dns: dict[str, object] = field(default_factory=dict)
    mail: dict[str, object] = field(default_factory=dict)
    tls: dict[str, object] = field(default_factory=dict)
    cert: dict[str, object] = field(default_factory=dict)
    web: dict[str, object] = field(default_factory=dict)
    services: dict[int, Service] = field(default_factory=dict)


# Weaknesses that are one setting: (section of the draft, field, value).
_SETTINGS: dict[str, tuple[str, str, object]] = {
    "dns.caa": ("dns", "caa", False),
    "mail.spf.missing": ("mail", "spf", "none"),
    "mail.dmarc.missing": ("mail", "dmarc", "none"),
    "mail.dmarc.invalid": ("mail", "dmarc", "invalid"),
    "mail.dkim.missing": ("mail", "dkim_selector", None),
    "mail.starttls.missing": ("mail", "starttls", False),
    "mail.mta_sts.missing": ("mail", "mta_sts", False),
    "tls.missing": ("web", "https", False),
    "tls.protocol.sslv2": ("tls", "sslv2", True),
    "tls.protocol.sslv3": ("tls", "sslv3", True),
    "tls.protocol.tls10": ("tls", "tls10", True),
    "tls.protocol.tls11": ("tls", "tls11", True),
    "tls.protocol.no_tls13": ("tls", "tls13", False),
    "tls.cipher.weak": ("tls", "weak_cipher", True),
    "tls.cipher.no_forward_secrecy": ("tls", "no_forward_secrecy", True),
    "tls.cert.expired": ("cert", "validity", "expired"),
    "tls.cert.not_yet_valid": ("cert", "validity", "not_yet_valid"),
    "tls.cert.expiring": ("cert", "validity", "expiring"),
    "tls.cert.hostname_mismatch": ("cert", "matches_host", False),
    "tls.cert.untrusted": ("cert", "self_signed", True),
    "tls.cert.weak_key": ("cert", "key", "rsa1024"),
    "tls.cert.weak_signature": ("cert", "signature", "sha1"),
    "tls.vuln.heartbleed": ("tls", "heartbleed", True),
    "tls.vuln.robot": ("tls", "robot", True),
    "tls.vuln.ccs_injection": ("tls", "ccs_injection", True),
    "tls.compression": ("tls", "compression", True),
    "tls.renegotiation.insecure": ("tls", "insecure_renegotiation", True),
    "web.https_redirect.missing": ("web", "https_redirect", False),
    "web.hsts.missing": ("web", "hsts", "none"),
    "web.hsts.short": ("web", "hsts", "short"),
    "web.csp.missing": ("web", "csp", "none"),
    "web.csp.unsafe": ("web", "csp", "unsafe"),
    "web.frame.missing": ("web", "frame_protection", False),
    "web.xcto.missing": ("web", "xcto", False),
    "web.referrer_policy.missing": ("web", "referrer_policy", False),
    "web.security_txt.missing": ("web", "security_txt", False),
}


def _apply(weakness: str, d: _Draft, rng: random.Random) -> None:
    if weakness in _SETTINGS:
        section, name, value = _SETTINGS[weakness]
        getattr(d, section)[name] = value
        return
    m, w = d.mail, d.web
    match weakness:
        case "dns.resolves":
            d.dns["has_address"] = False
            m["has_mx"] = False
            w["http"] = w["https"] = False
        case "dns.dnssec":
            d.dns["dnssec"] = rng.choice(("unsigned", "bogus"))
        case "mail.mx":
            m["has_mx"] = False
            m["spf"], m["dmarc"] = "lockdown", "reject"  # a parked domain done right
        case "mail.parked_domain":
            m["has_mx"] = False
            m["spf"] = rng.choice(("good", "softfail"))  # not the lock-down "-all" alone
        case "mail.spf.invalid":
            m["spf"] = rng.choice(("two_records", "syntax", "too_many_lookups"))
        case "mail.spf.permissive":
            m["spf"] = rng.choice(("plus_all", "qmark_all", "no_all"))
        case "mail.dmarc.policy_none":
            m["dmarc"] = rng.choice(("p_none", "pct50"))
        case "mail.dmarc.no_reporting":
            m["dmarc_rua"] = False
            if m.get("dmarc") in ("none", "invalid"):
                m["dmarc"] = "quarantine"  # reporting is only judged on a valid record
        case "mail.starttls.legacy_tls":
            m["legacy_tls"] = True
            m["starttls"] = True
        case "web.cookie.insecure":
            w["cookies"] = (
                rng.choice((Cookie("sessionid", False, True), Cookie("PHPSESSID", True, False))),
            )
        case "web.server_version":
            w["server_header"] = rng.choice(("Apache/2.4.41 (Ubuntu)", "nginx/1.18.0"))
        case "web.cms.outdated":
            w["wordpress"] = rng.choice(("5.8.1", "4.9.8", "6.0.2"))
        case "net.exposed.smb":
            d.services.setdefault(445, Service(445, "smb"))
        case "net.smb.v1":
            d.services[445] = Service(445, "smb", smb_v1=True)
        case "net.exposed.rdp":
            d.services[3389] = Service(3389, "rdp")
        case "net.exposed.telnet":
            d.services[23] = Service(23, "telnet")
        case "net.exposed.ftp":
            d.services.setdefault(21, Service(21, "ftp"))
        case "net.ftp.anonymous":
            previous = d.services.get(21, Service(21, "ftp"))
            d.services[21] = Service(21, "ftp", previous.version, ftp_anonymous=True)
        case "net.exposed.database":
            port, kind, _version = rng.choice(_DATABASES)
            d.services.setdefault(port, Service(port, kind))
        case "net.exposed.vnc":
            d.services[5900] = Service(5900, "vnc")
        case "net.exposed.winrm":
            port = rng.choice((5985, 5986))
            d.services[port] = Service(port, "winrm")
        case "net.service.version":
            port, kind, version = rng.choice(
                (
                    (21, "ftp", "vsFTPd 3.0.5"),
                    (3306, "mysql", "8.0.36"),
                    (9200, "elasticsearch", "8.13.4"),
                    (5984, "couchdb", "3.3.3"),
                )
            )
            previous = d.services.get(port)
            anonymous = previous.ftp_anonymous if previous else False
            d.services[port] = Service(port, kind, version, ftp_anonymous=anonymous)
        case "net.service.known_exploited":
            # Versions inside the ranges of CISA KEV entries (CVE-2015-1427, CVE-2022-24706).
            port, kind, version = rng.choice(
                ((9200, "elasticsearch", "1.4.2"), (5984, "couchdb", "3.2.1"))
            )
            d.services[port] = Service(port, kind, version)
        case _:
            raise ValueError(f"no lab setting for {weakness}")


def generate(size: int, seed: int, extra_rate: float = 0.12) -> list[Business]:
    """Build ``size`` businesses, deterministic from ``seed``.

    The last businesses of the lab each carry one structural weakness alone (no address,
    no mail, parked domain, no HTTPS), so that no dealt weakness hides behind a missing
    surface; the others are dealt round-robin over the rest, random extras first and
    dealt weaknesses last so that a dealt weakness is never overridden.
    """
    if size < 1:
        raise ValueError("a lab needs at least one business")
    structural = [w for w in FORCEABLE if w in _STRUCTURAL] if size >= 2 * len(_STRUCTURAL) else []
    regular = [w for w in FORCEABLE if w not in _STRUCTURAL]
    normal_count = size - len(structural)
    dealt: dict[int, list[str]] = {i: [] for i in range(size)}
    for k, weakness in enumerate(regular):
        dealt[k % normal_count].append(weakness)
    for k, weakness in enumerate(structural):
        dealt[normal_count + k].append(weakness)
    rng = random.Random(seed)
    businesses = []
    for index in range(size):
        brng = random.Random(f"{seed}:{index}")
        draft = _Draft()
        if index < normal_count:
            for weakness in regular:
                if brng.random() < extra_rate and weakness not in dealt[index]:
                    _apply(weakness, draft, brng)
        for weakness in dealt[index]:
            _apply(weakness, draft, brng)
        businesses.append(_build(index, draft, rng))
    return businesses


def _build(index: int, d: _Draft, rng: random.Random) -> Business:
    slug, trade = TRADES[index % len(TRADES)]
    family = FAMILY_NAMES[rng.randrange(len(FAMILY_NAMES))]
    domain = f"{slug}-{index + 1}.{LAB_ZONE}"
    if d.cert.get("key", "ec256") == "ec256" and any(d.tls.get(flag) for flag in _NEEDS_RSA):
        d.cert["key"] = "rsa2048"  # RSA key exchange and SSL 2/3 need an RSA certificate
    cert = CertProfile(**d.cert)  # type: ignore[arg-type]
    return Business(
        index=index,
        slug=slug,
        name=f"{trade} {family}",
        domain=domain,
        address=business_address(index),
        dns=DnsProfile(**d.dns),  # type: ignore[arg-type]
        mail=MailProfile(**d.mail),  # type: ignore[arg-type]
        tls=TlsProfile(**d.tls, cert=cert),  # type: ignore[arg-type]
        web=WebProfile(**d.web),  # type: ignore[arg-type]
        services=tuple(sorted(d.services.values(), key=lambda s: s.port)),
    )
