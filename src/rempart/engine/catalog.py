"""The check catalog (v1) as data: stable ids, family, default severity.

This mapping is the one source of check ids for the engine, the lab's ground truth and the
tests. Never rename an id once released: add the new one and retire the old.
"""

from __future__ import annotations

from dataclasses import dataclass

from rempart.engine.model import Severity


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    family: str
    severity: Severity
    title: str


_C, _H, _M, _L, _I = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)

_SPECS: tuple[CheckSpec, ...] = (
    # DNS
    CheckSpec("dns.resolves", "dns", _I, "The domain has no address and no mail server"),
    CheckSpec("dns.dnssec", "dns", _L, "The zone is not signed with DNSSEC, or does not validate"),
    CheckSpec("dns.caa", "dns", _I, "No CAA record restricts certificate issuance"),
    # Mail
    CheckSpec("mail.mx", "mail", _I, "No MX record"),
    CheckSpec("mail.spf.missing", "mail", _H, "No SPF record"),
    CheckSpec("mail.spf.invalid", "mail", _M, "The SPF record is invalid"),
    CheckSpec("mail.spf.permissive", "mail", _H, "The SPF policy lets anyone send"),
    CheckSpec("mail.dmarc.missing", "mail", _H, "No DMARC record"),
    CheckSpec("mail.dmarc.invalid", "mail", _M, "The DMARC record does not parse"),
    CheckSpec("mail.dmarc.policy_none", "mail", _M, "DMARC does not reject or quarantine"),
    CheckSpec("mail.dmarc.no_reporting", "mail", _L, "DMARC has no aggregate report address"),
    CheckSpec("mail.dkim.missing", "mail", _L, "No DKIM key found at the usual selectors"),
    CheckSpec("mail.starttls.missing", "mail", _H, "A mail server does not offer STARTTLS"),
    CheckSpec("mail.starttls.legacy_tls", "mail", _M, "A mail server accepts TLS 1.0 or 1.1"),
    CheckSpec("mail.mta_sts.missing", "mail", _L, "No MTA-STS policy"),
    CheckSpec(
        "mail.parked_domain", "mail", _M, "A domain without mail is not locked against spoofing"
    ),
    # TLS
    CheckSpec("tls.missing", "tls", _H, "The website offers no HTTPS"),
    CheckSpec("tls.protocol.sslv2", "tls", _C, "SSL 2.0 accepted"),
    CheckSpec("tls.protocol.sslv3", "tls", _H, "SSL 3.0 accepted"),
    CheckSpec("tls.protocol.tls10", "tls", _M, "TLS 1.0 accepted"),
    CheckSpec("tls.protocol.tls11", "tls", _M, "TLS 1.1 accepted"),
    CheckSpec("tls.protocol.no_tls13", "tls", _I, "TLS 1.3 not offered"),
    CheckSpec("tls.cipher.weak", "tls", _H, "A weak cipher suite is accepted"),
    CheckSpec(
        "tls.cipher.no_forward_secrecy", "tls", _L, "A suite without forward secrecy is accepted"
    ),
    CheckSpec("tls.cert.expired", "tls", _H, "The certificate is expired"),
    CheckSpec("tls.cert.not_yet_valid", "tls", _H, "The certificate is not valid yet"),
    CheckSpec("tls.cert.expiring", "tls", _M, "The certificate expires within 30 days"),
    CheckSpec("tls.cert.hostname_mismatch", "tls", _H, "The certificate does not name this host"),
    CheckSpec("tls.cert.untrusted", "tls", _H, "The certificate chain is not trusted"),
    CheckSpec("tls.cert.weak_key", "tls", _M, "The certificate key is too short"),
    CheckSpec("tls.cert.weak_signature", "tls", _M, "A certificate is signed with SHA-1 or MD5"),
    CheckSpec("tls.vuln.heartbleed", "tls", _C, "Vulnerable to Heartbleed"),
    CheckSpec("tls.vuln.robot", "tls", _H, "Vulnerable to ROBOT"),
    CheckSpec("tls.vuln.ccs_injection", "tls", _H, "Vulnerable to CCS injection"),
    CheckSpec("tls.compression", "tls", _M, "TLS compression enabled (CRIME)"),
    CheckSpec("tls.renegotiation.insecure", "tls", _M, "Insecure renegotiation"),
    # Web
    CheckSpec("web.https_redirect.missing", "web", _M, "HTTP does not redirect to HTTPS"),
    CheckSpec("web.hsts.missing", "web", _M, "No Strict-Transport-Security header"),
    CheckSpec("web.hsts.short", "web", _L, "HSTS max-age below one year"),
    CheckSpec("web.csp.missing", "web", _L, "No Content-Security-Policy"),
    CheckSpec("web.csp.unsafe", "web", _L, "The Content-Security-Policy allows unsafe sources"),
    CheckSpec("web.frame.missing", "web", _L, "The site can be framed by others"),
    CheckSpec("web.xcto.missing", "web", _L, "No X-Content-Type-Options: nosniff"),
    CheckSpec("web.referrer_policy.missing", "web", _I, "No safe Referrer-Policy"),
    CheckSpec("web.cookie.insecure", "web", _M, "A cookie lacks Secure or HttpOnly"),
    CheckSpec("web.server_version", "web", _L, "The server discloses its software version"),
    CheckSpec("web.security_txt.missing", "web", _I, "No security.txt"),
    CheckSpec("web.cms.outdated", "web", _H, "The CMS runs a version with known vulnerabilities"),
    # Exposed services
    CheckSpec("net.exposed.smb", "net", _H, "File sharing (SMB) reachable from the internet"),
    CheckSpec("net.smb.v1", "net", _C, "SMB accepts the SMBv1 dialect"),
    CheckSpec("net.exposed.rdp", "net", _H, "Remote desktop (RDP) reachable"),
    CheckSpec("net.exposed.telnet", "net", _H, "Telnet reachable"),
    CheckSpec("net.exposed.ftp", "net", _M, "FTP reachable"),
    CheckSpec("net.ftp.anonymous", "net", _H, "Anonymous FTP login accepted"),
    CheckSpec("net.exposed.database", "net", _H, "A database is reachable"),
    CheckSpec("net.exposed.vnc", "net", _H, "VNC reachable"),
    CheckSpec("net.exposed.winrm", "net", _M, "WinRM reachable"),
    CheckSpec("net.service.known_exploited", "net", _C, "A service runs a known exploited version"),
    CheckSpec("net.service.version", "net", _I, "A service discloses its version"),
)

CATALOG: dict[str, CheckSpec] = {spec.id: spec for spec in _SPECS}
FAMILIES: tuple[str, ...] = ("dns", "mail", "tls", "web", "net")


def spec(check_id: str) -> CheckSpec:
    return CATALOG[check_id]


def ids_of_family(family: str) -> list[str]:
    return [s.id for s in _SPECS if s.family == family]


def select(selection: str | None) -> frozenset[str]:
    """Parse ``--checks``: comma-separated families or ids (``tls,mail.spf.missing``).

    Raises ValueError naming the unknown item.
    """
    if not selection:
        return frozenset(CATALOG)
    chosen: set[str] = set()
    for raw in selection.split(","):
        item = raw.strip()
        if not item:
            continue
        if item in FAMILIES:
            chosen.update(ids_of_family(item))
        elif item in CATALOG:
            chosen.add(item)
        else:
            raise ValueError(f"unknown check or family: {item!r}")
    if not chosen:
        raise ValueError("no check selected")
    return frozenset(chosen)
