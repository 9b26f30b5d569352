"""Product names as scanners print them, mapped to NVD CPE vendor/product names.

A banner says "OpenSSH", nmap says "Apache httpd", the engine says "Elasticsearch" (key
``elasticsearch``); NVD configurations say ``cpe:2.3:a:openbsd:openssh``,
``cpe:2.3:a:apache:http_server``, ``cpe:2.3:a:elastic:elasticsearch``. This table is the bridge
for the products the engine's banners and nmap's service detection name; the vendor/product
pairs are the ones NVD uses in its CPE dictionary. NVD renamed some vendors over the years
(``elasticsearch`` became ``elastic``, ``nginx`` became ``f5``): :func:`same_vendor` treats those
pairs as one vendor, since old CVEs keep the old name.

CPE names are parsed in both forms: the CPE 2.3 formatted string (``cpe:2.3:a:v:p:1.0:…``,
NVD, CycloneDX, SPDX) and the CPE 2.2 URI (``cpe:/a:openbsd:openssh:7.4``, nmap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True, slots=True)
class Product:
    key: str  # rempart's product key (engine banners, data/software/*.toml)
    vendor: str  # NVD CPE vendor
    product: str  # NVD CPE product
    pattern: re.Pattern[str]  # matches the lower-case name a scanner prints


def _p(key: str, vendor: str, product: str, pattern: str) -> Product:
    return Product(key, vendor, product, re.compile(pattern))


PRODUCTS: tuple[Product, ...] = (
    _p("openssh", "openbsd", "openssh", r"^openssh\b"),
    _p("apache", "apache", "http_server", r"^(apache(?: httpd| http server|/|$)|httpd$)"),
    _p("tomcat", "apache", "tomcat", r"^(apache )?tomcat\b|^apache coyote"),
    _p("nginx", "f5", "nginx", r"^nginx\b"),
    _p("iis", "microsoft", "internet_information_services", r"^(microsoft[ -])?iis\b"),
    _p("lighttpd", "lighttpd", "lighttpd", r"^lighttpd\b"),
    _p("vsftpd", "vsftpd_project", "vsftpd", r"^vsftpd\b"),
    _p("proftpd", "proftpd", "proftpd", r"^proftpd\b"),
    _p("pure-ftpd", "pureftpd", "pure-ftpd", r"^pure-?ftpd\b"),
    _p("filezilla", "filezilla-project", "filezilla_server", r"^filezilla (server|ftpd)\b"),
    _p("exim", "exim", "exim", r"^exim\b"),
    _p("postfix", "postfix", "postfix", r"^postfix\b"),
    _p("dovecot", "dovecot", "dovecot", r"^dovecot\b"),
    _p("exchange", "microsoft", "exchange_server", r"^microsoft exchange\b"),
    _p("samba", "samba", "samba", r"^samba\b"),
    _p("mysql", "oracle", "mysql", r"^mysql\b"),
    _p("mariadb", "mariadb", "mariadb", r"^mariadb\b"),
    _p("postgresql", "postgresql", "postgresql", r"^postgres(ql)?\b"),
    _p("redis", "redis", "redis", r"^redis\b"),
    _p("memcached", "memcached", "memcached", r"^memcached\b"),
    _p("elasticsearch", "elastic", "elasticsearch", r"^elasticsearch\b"),
    _p("couchdb", "apache", "couchdb", r"^(apache )?couchdb\b"),
    _p("mongodb", "mongodb", "mongodb", r"^mongodb\b"),
    _p("openssl", "openssl", "openssl", r"^openssl\b"),
    _p("wordpress", "wordpress", "wordpress", r"^wordpress\b"),
    _p("jenkins", "jenkins", "jenkins", r"^jenkins\b"),
    _p("gitlab", "gitlab", "gitlab", r"^gitlab\b"),
)
_BY_KEY = {p.key: p for p in PRODUCTS}
# Vendors NVD renamed: the CPEs of older CVEs keep the old name.
_VENDOR_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"elastic", "elasticsearch"}),
    frozenset({"f5", "nginx"}),
    frozenset({"oracle", "mysql"}),
    frozenset({"vsftpd_project", "beasts"}),
)


def by_key(key: str) -> Product | None:
    return _BY_KEY.get(key.strip().lower())


def by_name(name: str) -> Product | None:
    """The product a scanner's name designates ("OpenSSH", "Apache httpd", "vsFTPd")."""
    text = " ".join(name.strip().lower().split())
    if not text:
        return None
    known = _BY_KEY.get(text)
    if known is not None:
        return known
    return next((p for p in PRODUCTS if p.pattern.search(text)), None)


def same_vendor(one: str, other: str) -> bool:
    if one == other:
        return True
    return any(one in group and other in group for group in _VENDOR_GROUPS)


@dataclass(frozen=True, slots=True)
class CpeName:
    part: str  # "a" application, "o" operating system, "h" hardware
    vendor: str
    product: str
    version: str  # "" or "*" when any, "-" when not applicable
    update: str = ""

    def formatted(self) -> str:
        """The CPE 2.3 formatted string (components not known are ``*``)."""
        fields = [self.part, self.vendor, self.product, self.version or "*", self.update or "*"]
        escaped = [re.sub(r"([^A-Za-z0-9_\-.*])", r"\\\1", f) for f in fields]
        return "cpe:2.3:" + ":".join(escaped + ["*"] * 6)


_UNESCAPED_COLON = re.compile(r"(?<!\\):")


def parse_cpe(text: str) -> CpeName | None:
    """A CPE 2.3 formatted string or a CPE 2.2 URI, lower-cased; None when it is neither."""
    text = text.strip()
    if text.lower().startswith("cpe:2.3:"):
        fields = [re.sub(r"\\(.)", r"\1", f) for f in _UNESCAPED_COLON.split(text[8:])]
    elif text.lower().startswith("cpe:/"):
        fields = [unquote(f) for f in text[5:].split(":")]
    else:
        return None
    fields += [""] * (5 - len(fields))
    part, vendor, product, version, update = (f.strip().lower() for f in fields[:5])
    if part not in ("a", "o", "h") or not vendor or not product:
        return None
    return CpeName(part, vendor, product, version, "" if update in ("*", "-") else update)
