"""testssl.sh reports: flat JSON (``--jsonfile``), pretty JSON (``--jsonfile-pretty``) and CSV.

All three carry the same rows: ``id``, target, ``port``, ``severity``, ``finding``, ``cve``,
``cwe`` (and ``hint`` with ``--hints``). The flat JSON is a list of rows whose ``ip`` is
``"fqdn/ip"``; the CSV has the columns ``"id","fqdn/ip","port","severity","finding","cve","cwe"``;
the pretty JSON is an object (``Invocation``, ``version``, ``startTime``…) whose ``scanResult[]``
holds one object per tested IP (``targetHost``, ``ip``, ``port``, ``service``) with its rows in
sections (``pretest``, ``protocols``, ``ciphers``, ``pfs``/``fs``, ``serverPreferences``,
``serverDefaults``, ``headerResponse``, ``vulnerabilities``, ``cipherTests``…).

testssl's severities (``fileout()`` in testssl.sh): OK and INFO say a test passed or inform;
LOW, MEDIUM, HIGH, CRITICAL rate a problem; WARN says a test could not be run or was
inconclusive; FATAL (``scanProblem``) that the scan stopped; DEBUG is diagnostics.

Rows whose id means a catalog check become that check at ``host:port`` (``https://host/`` for
HSTS), judged by the row's finding text first (``offered`` / ``not offered`` / ``VULNERABLE``),
its severity otherwise: a problem → FAIL, fine → PASS, WARN or DEBUG → ERROR ("could not tell").
Several rows can speak for one check (six cipher lists for ``tls.cipher.weak``, every IP of a
host name): they are folded into one observation per check and ``host:port`` — any FAIL wins,
then ERROR, then PASS — quoting the rows that decided (with their IP when a name has several).
testssl writes each target as one block of rows, so a block is folded and emitted as soon as
the next target starts. Other rows rated LOW or worse become ``testssl.<id>`` (the
``<cert#N>`` suffix dropped, testssl's severity kept); OK and INFO rows without a check
(hundreds per target) and WARN rows without a check are counted in the report notes.
``scanProblem`` gives an ERROR observation: the report is valid, the scan of that target
failed.

Mapping decisions, from testssl.sh 3.0 and 3.2 source:

- ``cert_chain_of_trust`` failing only because of ``(expired)``, ``(not yet valid)``,
  ``(certificate revoked)`` or ``(unsupported certificate purpose)`` means the chain itself was
  built to a trusted root (OpenSSL builds the chain before checking dates, purpose and
  revocation): ``tls.cert.untrusted`` PASS, the expiry is ``tls.cert.expired``'s business.
  ``(not yet valid)`` is also the only word testssl says about notBefore:
  ``tls.cert.not_yet_valid`` FAIL.
  When only some of testssl's stores fail, the Mozilla store decides (rempart trusts certifi,
  Mozilla's roots).
- ``cert_keySize`` is judged by the catalog thresholds (RSA/DSA below 2048 bits, EC below 256),
  not testssl's rating (which calls RSA 2048 "INFO" and EC 224 "INFO").
- ``cert_expirationStatus`` ``expires < N days (D)``: ``tls.cert.expiring`` fails when D < 30
  (the catalog's window; testssl warns from 60 days).
- Per-suite rows (``-e``/``-E``) also vote for ``tls.cipher.weak`` (NULL, anon, EXPORT, RC4,
  DES, 3DES in the suite name).
- ``tls.cipher.no_forward_secrecy`` (a suite without (EC)DHE accepted on TLS 1.2; weak suites
  are ``tls.cipher.weak``'s business and not counted twice, as in the engine): FAIL when
  ``FS``/``PFS`` says no forward-secret suite is offered, when ``cipherlist_STRONG_NOFS`` is
  offered (AEAD suites with RSA key exchange, TLS 1.2 only), or when a per-suite row (``-e``/
  ``-E``: ``cipher_x9c``, ``cipher-tls1_2_x9c``) lists a suite without ECDHE/DHE. PASS only when
  per-suite rows exist and all are forward-secret; ``FS offered`` alone cannot tell (counted in
  the notes). testssl 3.0's ``cipher_xNN`` rows do not say the protocol: they are all counted.
- ``HSTS_time`` gives ``web.hsts.missing`` PASS (a valid header) and ``web.hsts.short`` by the
  catalog's one-year minimum (testssl's own is 180 days); a header without ``max-age`` is
  ``web.hsts.missing`` FAIL, as the engine judges it.
- ``TLS1_3`` ``not offered`` → ``tls.protocol.no_tls13`` FAIL; ``offered`` → PASS.
- ``TLS1``/``TLS1_1`` "not offered, and downgraded to …" (rated MEDIUM or CRITICAL): the
  protocol PASSes, and the downgrade (a version-intolerance bug) is ``testssl.<id>`` FAIL.
- ``cert_notAfter`` repeats ``cert_expirationStatus``'s rating: counted in the notes only.
- Pretty JSON of ``--mx`` runs names the MX host in ``hostname`` (``targetHost`` is the
  domain): the location uses the MX host.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import (
    MAX_TITLE,
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
    clip,
    severity_word,
)
from rempart.importers.formats.generic import check_slug, host_port, skip_bom, walk_json

TOOL = "testssl"

# -- what a row says ---------------------------------------------------------------------

_PROBLEM = frozenset({"LOW", "MEDIUM", "HIGH", "CRITICAL"})
_FINE = frozenset({"OK", "INFO"})
_UNSURE = frozenset({"WARN", "DEBUG"})

_PROTOCOLS = {
    "SSLv2": "tls.protocol.sslv2",
    "SSLv3": "tls.protocol.sslv3",
    "TLS1": "tls.protocol.tls10",
    "TLS1_1": "tls.protocol.tls11",
}
_BY_SEVERITY = {
    "heartbleed": "tls.vuln.heartbleed",
    "CCS": "tls.vuln.ccs_injection",
    "ROBOT": "tls.vuln.robot",
    "CRIME_TLS": "tls.compression",
    "secure_renego": "tls.renegotiation.insecure",
    "secure_client_renego": "tls.renegotiation.insecure",
    "RC4": "tls.cipher.weak",
    "cert_trust": "tls.cert.hostname_mismatch",
}
_WEAK_LISTS = frozenset(
    {"cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW"}
    | {"cipherlist_3DES_IDEA"}
)
# Suite name parts (RFC "TLS_RSA_WITH_RC4_128_SHA" or OpenSSL "EXP-RC4-MD5") of a weak suite.
_WEAK_PARTS = frozenset({"NULL", "ANON", "ADH", "AECDH", "RC4", "DES", "3DES", "DES40", "CBC3"})
_CERT_SUFFIX = re.compile(r"\s*<cert#(\d+)>$")
_CIPHER_ROW = re.compile(r"^cipher(?:-(tls1_3|tls1_2|tls1_1|tls1|ssl3|ssl2))?_x[0-9a-f]+$", re.I)
_KEY = re.compile(r"\b(RSA|EC|ECDSA|DSA|DH|EdDSA|GOST)\s+(\d+)\s*bits", re.IGNORECASE)
_WEAK_HASH = re.compile(r"\b(SHA-?1|MD[245])\b", re.IGNORECASE)
_SECONDS = re.compile(r"=\s*(\d+)\s*seconds")
_DAYS_LEFT = re.compile(r"\((-?\d+)\)")
_DAYS_OK = re.compile(r"^(-?\d+)\s*>=")
# OpenSSL reports chain-building errors before date, purpose and revocation errors: these
# codes mean the chain reached a trusted root (testssl's verify_retcode_helper()).
_CHAIN_BUILT = ("(expired)", "(not yet valid)", "(certificate revoked)", "(unsupported certificate")
_ONE_YEAR = 31_536_000
# cert_notAfter carries cert_expirationStatus's rating next to the date: one verdict, not two.
_ECHOES = frozenset({"cert_notAfter"})
_EXPIRING_DAYS = 30

_TITLES = {
    "scanProblem": "testssl.sh could not complete the scan of this target",
    "BREACH": "BREACH: HTTP compression on a TLS site (CVE-2013-3587)",
    "LUCKY13": "LUCKY13: CBC suites open to a timing attack (CVE-2013-0169)",
    "SWEET32": "SWEET32: 64-bit block ciphers (CVE-2016-2183)",
    "POODLE_SSL": "POODLE: SSL 3.0 with CBC suites (CVE-2014-3566)",
    "FREAK": "FREAK: RSA export suites (CVE-2015-0204)",
    "LOGJAM": "LOGJAM: weak Diffie-Hellman groups (CVE-2015-4000)",
    "LOGJAM-common_primes": "LOGJAM: a common Diffie-Hellman prime",
    "DROWN": "DROWN: the key is usable with SSL 2.0 (CVE-2016-0800)",
    "BEAST": "BEAST: CBC suites on TLS 1.0 or older (CVE-2011-3389)",
    "ticketbleed": "Ticketbleed (CVE-2016-9244)",
    "fallback_SCSV": "No TLS_FALLBACK_SCSV downgrade protection",
    "cipherlist_AVERAGE": "Obsolete CBC suites offered",
    "cipherlist_OBSOLETED": "Obsolete CBC suites offered",
    "cipher_order": "The server does not choose the cipher order",
    "TLS1_2": "TLS 1.2 not offered",
    "cert_validityPeriod": "The certificate's validity period is too long",
    "cert_ocspRevoked": "The certificate is revoked",
    "DNS_CAArecord": "No CAA record",
    "OCSP_stapling": "OCSP stapling not offered",
}


@dataclass(frozen=True, slots=True)
class _Row:
    id: str
    host: str  # the host name when testssl had one, else the IP
    ip: str
    port: str
    severity: str
    finding: str
    cve: str = ""
    cwe: str = ""


@dataclass(frozen=True, slots=True)
class _Vote:
    check: str
    status: Status
    text: str  # "cipherlist_EXPORT (CRITICAL): offered"
    reason: str = ""


@dataclass
class _Check:
    votes: list[tuple[_Vote, _Row]] = field(default_factory=list)


@dataclass
class _Site:
    """Everything said about one host:port, folded into one observation per check."""

    host: str
    port: str
    ips: set[str] = field(default_factory=set)
    checks: dict[str, _Check] = field(default_factory=dict)

    def add(self, vote: _Vote, row: _Row) -> None:
        self.checks.setdefault(vote.check, _Check()).votes.append((vote, row))
        if row.ip:
            self.ips.add(row.ip)


def _judge(row: _Row, base: str, info: ReportInfo) -> list[_Vote] | None:
    """The votes of one row for catalog checks; None when its id maps to no check."""
    sev, text = row.severity, row.finding.strip()
    low = text.lower()
    said = f"{row.id} ({sev}): {text}" if text else f"{row.id} ({sev})"
    if base in _PROTOCOLS or base == "TLS1_3" or base in _WEAK_LISTS:
        check = _PROTOCOLS.get(base) or (
            "tls.protocol.no_tls13" if base == "TLS1_3" else "tls.cipher.weak"
        )
        if sev in _UNSURE:
            return [_Vote(check, Status.ERROR, said, f"testssl could not tell: {text}")]
        offered = low.startswith("offered") or (base == "SSLv2" and "vulnerable with" in low)
        if not offered and "not offered" in low:
            votes = [_Vote(check, Status.FAIL if base == "TLS1_3" else Status.PASS, said)]
            if "downgrad" in low and sev in _PROBLEM:  # a version-intolerance bug of its own
                votes.append(_Vote(check_slug(TOOL, base), Status.FAIL, said))
            return votes
        if offered:
            return [_Vote(check, Status.PASS if base == "TLS1_3" else Status.FAIL, said)]
        return None  # e.g. "server responded with higher version number": not this check
    if base in _BY_SEVERITY:
        return [_by_severity(_BY_SEVERITY[base], sev, said, text)]
    if base in ("FS", "PFS"):
        if low.startswith("offered"):
            info.note(
                "testssl FS/PFS 'offered' says forward-secret suites exist, not that every "
                "suite is forward-secret (run testssl with -e or -E to list the suites)"
            )
            return []
        if sev in _UNSURE:
            reason = f"testssl could not tell: {text}"
            return [_Vote("tls.cipher.no_forward_secrecy", Status.ERROR, said, reason)]
        return [_Vote("tls.cipher.no_forward_secrecy", Status.FAIL, said)]
    if base in ("cipherlist_STRONG_NOFS", "cipherlist_GOOD"):
        if base == "cipherlist_STRONG_NOFS" and low.startswith("offered"):
            return [_Vote("tls.cipher.no_forward_secrecy", Status.FAIL, said)]
        return None
    if _CIPHER_ROW.match(base):
        return _suite(base, said, text, info)
    if base.startswith("cert_"):
        return _certificate(base, sev, said, text)
    if base in ("HSTS", "HSTS_time"):
        return _hsts(base, sev, said, low)
    return None


def _by_severity(check: str, sev: str, said: str, text: str) -> _Vote:
    if sev in _PROBLEM:
        return _Vote(check, Status.FAIL, said)
    if sev in _FINE:
        return _Vote(check, Status.PASS, said)
    return _Vote(check, Status.ERROR, said, f"testssl could not tell: {text or sev}")


def _suite(base: str, said: str, text: str, info: ReportInfo) -> list[_Vote]:
    """A per-suite row of ``-e``/``-E``: a weak suite? forward secrecy on TLS 1.2?"""
    if "not a/v" in text:
        return []  # --show-each lists refused suites too
    match = _CIPHER_ROW.match(base)
    proto = (match.group(1) or "").lower() if match else ""
    tokens = text.split()
    rfc = next((t for t in tokens if t.startswith(("TLS_", "SSL_"))), "")
    names = [t for t in tokens if "-" in t or t.startswith(("TLS_", "SSL_"))]
    name = rfc or (names[0] if names else "")
    parts = set(re.split(r"[_-]", name.upper()))
    weak = bool(parts & _WEAK_PARTS) or any(p.startswith("EXP") for p in parts)
    votes = [_Vote("tls.cipher.weak", Status.FAIL if weak else Status.PASS, said)]
    if weak or proto.startswith(("tls1_1", "ssl")) or proto == "tls1":
        return votes  # forward secrecy is judged on TLS 1.2, among suites that are not weak
    if rfc:
        tls13 = rfc.startswith("TLS_") and "_WITH_" not in rfc
        forward = tls13 or "_ECDHE_" in rfc or "_DHE_" in rfc
    else:
        forward = name.startswith(("ECDHE-", "DHE-", "EDH-", "TLS_"))
    if not name:
        info.note("testssl suite rows without a suite name")
        return []
    where = "" if proto else " (testssl 3.0 does not say on which protocol)"
    status = Status.PASS if forward else Status.FAIL
    votes.append(_Vote("tls.cipher.no_forward_secrecy", status, said + where))
    return votes


def _certificate(base: str, sev: str, said: str, text: str) -> list[_Vote] | None:
    low = text.lower()
    if base == "cert_expirationStatus":
        checks = ("tls.cert.expired", "tls.cert.expiring")
        if sev in _UNSURE:
            return [_Vote(c, Status.ERROR, said, f"testssl could not tell: {text}") for c in checks]
        if low.startswith("expired"):
            return [_Vote("tls.cert.expired", Status.FAIL, said)]
        days = _DAYS_LEFT.search(text) or _DAYS_OK.search(text)
        if days is None:
            return None
        soon = int(days.group(1)) < _EXPIRING_DAYS
        return [
            _Vote("tls.cert.expired", Status.PASS, said),
            _Vote("tls.cert.expiring", Status.FAIL if soon else Status.PASS, said),
        ]
    if base == "cert_chain_of_trust":
        check = "tls.cert.untrusted"
        if sev in _UNSURE:
            return [_Vote(check, Status.ERROR, said, f"testssl could not tell: {text}")]
        if sev in _FINE or low.startswith("passed"):
            return [_Vote(check, Status.PASS, said)]
        if "some certificate trust checks failed" in low:
            trusted_by = low.partition("ok ->")[2]
            status = Status.PASS if "mozilla" in trusted_by else Status.FAIL
            return [_Vote(check, status, said + " (rempart trusts Mozilla's roots)")]
        if any(code in low for code in _CHAIN_BUILT):
            note = " (the chain reaches a trusted root; only dates, purpose or revocation failed)"
            votes = [_Vote(check, Status.PASS, said + note)]
            if "(not yet valid)" in low:  # testssl has no notBefore verdict of its own
                votes.append(_Vote("tls.cert.not_yet_valid", Status.FAIL, said))
            return votes
        return [_Vote(check, Status.FAIL, said)]
    if base == "cert_keySize":
        key = _KEY.search(text)
        if key is None:
            return [_by_severity("tls.cert.weak_key", sev, said, text)] if sev != "DEBUG" else None
        kind, bits = key.group(1).upper(), int(key.group(2))
        minimum = 256 if kind in ("EC", "ECDSA") else 2048 if kind in ("RSA", "DSA", "DH") else 0
        return [_Vote("tls.cert.weak_key", Status.FAIL if bits < minimum else Status.PASS, said)]
    if base == "cert_signatureAlgorithm":
        if _WEAK_HASH.search(text):
            return [_Vote("tls.cert.weak_signature", Status.FAIL, said)]
        if sev in _FINE:
            return [_Vote("tls.cert.weak_signature", Status.PASS, said)]
        return None
    return None


def _hsts(base: str, sev: str, said: str, low: str) -> list[_Vote] | None:
    if base == "HSTS":
        if low.startswith("not offered"):
            return [_Vote("web.hsts.missing", Status.FAIL, said)]
        if sev in _UNSURE:
            return [_Vote("web.hsts.missing", Status.ERROR, said, f"testssl could not tell: {low}")]
        return None
    if "max-age" in low and "missing" in low:
        return [_Vote("web.hsts.missing", Status.FAIL, said + " (no valid max-age)")]
    seconds = _SECONDS.search(low)
    max_age = 0 if low.startswith("0.") else int(seconds.group(1)) if seconds else None
    if max_age is None:
        return None
    short = Status.FAIL if max_age < _ONE_YEAR else Status.PASS
    return [
        _Vote("web.hsts.missing", Status.PASS, said),
        _Vote("web.hsts.short", short, f"{said} (rempart asks for at least one year)"),
    ]


# -- folding rows into observations -------------------------------------------------------


class _Folder:
    """Folds consecutive rows of one host:port (testssl writes each target in one block)."""

    def __init__(self, info: ReportInfo) -> None:
        self.info = info
        self.site: _Site | None = None

    def add(self, row: _Row) -> Iterator[Observation]:
        info = self.info
        if self.site is None or (self.site.host, self.site.port) != (row.host, row.port):
            yield from self.close()
            self.site = _Site(row.host, row.port)
        info.targets.add(row.host)
        base = _CERT_SUFFIX.sub("", row.id)
        if base in _ECHOES:
            info.note("testssl rows repeating another row's verdict (cert_notAfter)")
            return
        if base == "scanProblem" or row.severity == "FATAL":
            vote = _Vote(check_slug(TOOL, base), Status.ERROR, "", f"{row.id}: {row.finding}")
            self.site.add(vote, row)
            return
        votes = _judge(row, base, info)
        if votes is None:
            votes = self._other(row, base)
        for vote in votes:
            self.site.add(vote, row)

    def _other(self, row: _Row, base: str) -> list[_Vote]:
        sev = row.severity
        if sev in _PROBLEM:
            text = f"{row.id} ({sev}): {row.finding}"
            return [_Vote(check_slug(TOOL, base), Status.FAIL, text)]
        if base == "scanTime" and sev == "WARN":
            self.info.note("testssl says the scan was interrupted: the results are partial")
        elif sev == "WARN":
            self.info.note(f"testssl warning, a test was not conclusive: {base}")
        elif sev == "DEBUG":
            self.info.note("testssl debug rows")
        else:
            self.info.note("testssl OK/INFO rows with no rempart check (information only)")
        return []

    def close(self) -> Iterator[Observation]:
        site, self.site = self.site, None
        if site is None:
            return
        for check, folded in site.checks.items():
            yield _observation(site, check, folded)


def _observation(site: _Site, check: str, folded: _Check) -> Observation:
    statuses = {vote.status for vote, _ in folded.votes}
    status = next(s for s in (Status.FAIL, Status.ERROR, Status.PASS, Status.INFO) if s in statuses)
    chosen = [(vote, row) for vote, row in folded.votes if vote.status is status]
    several_ips = len(site.ips) > 1
    texts = _unique(
        (f"{row.ip}: {vote.text}" if several_ips and row.ip else vote.text)
        for vote, row in chosen
        if vote.text
    )
    rules = _unique(row.id for _, row in chosen)
    refs = _unique(ref for _, row in chosen for ref in (*row.cve.split(), *row.cwe.split()) if ref)
    reason = "; ".join(_unique(vote.reason for vote, _ in chosen if vote.reason))
    spec = CATALOG.get(check)
    if spec is not None:
        severity, title = spec.severity, ""
    else:
        failing = status is Status.FAIL
        severity = _worst(row.severity for _, row in chosen) if failing else Severity.INFO
        first = chosen[0][1]
        base = _CERT_SUFFIX.sub("", first.id)
        title = _TITLES.get(base) or f"testssl.sh {base}: {first.finding}"
    location = _location(site, check)
    return Observation(
        check=check,
        status=status,
        severity=severity,
        location=location,
        evidence=clip("; ".join(texts)),
        references=tuple(refs),
        reason=clip(reason, 500) if status is Status.ERROR else "",
        target=site.host,
        source=TOOL,
        rule=",".join(rules),
        title=clip(title, MAX_TITLE),
    )


def _location(site: _Site, check: str) -> str:
    if check.startswith("web."):
        port = "" if site.port in ("", "443") else f":{site.port}"
        host = f"[{site.host}]" if ":" in site.host else site.host
        return f"https://{host}{port}/"
    return host_port(site.host, site.port)


def _worst(words: Iterable[str]) -> Severity:
    found = [Severity(severity_word(w) or "info") for w in words]
    return max(found, key=lambda s: s.rank) if found else Severity.INFO


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- the three file shapes -------------------------------------------------------------------


def _target(value: str, where: str) -> tuple[str, str]:
    """``"fqdn/ip"`` → (host name or IP, IP). testssl writes ``"name/"`` when it had no IP."""
    fqdn, _, ip = value.strip().partition("/")
    fqdn, ip = fqdn.strip().strip("[]"), ip.strip().strip("[]")
    if not fqdn and not ip:
        raise ReportError("the row names no target (fqdn/ip is empty)", where=where)
    return fqdn or ip, ip


def _row(data: dict[str, Any], where: str, host: str, ip: str, port: object) -> _Row:
    rid = _text(data.get("id"))
    if not rid:
        raise ReportError("a row has no id", where=where)
    return _Row(
        id=rid,
        host=host,
        ip=ip,
        port=_text(port),
        severity=_text(data.get("severity")).upper(),
        finding=" ".join(_text(data.get("finding")).split()),
        cve=_text(data.get("cve")),
        cwe=_text(data.get("cwe")),
    )


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _parse_json(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    folder = _Folder(info)
    shape = ""
    count = 0
    results = False
    for prefix, value in walk_json(stream, frozenset({"item", "scanResult.item"})):
        if prefix == "$start":
            shape = str(value)
        elif prefix == "item" and shape == "start_array":
            count += 1
            where = f"row {count}"
            if not isinstance(value, dict):
                raise ReportError("a row is not an object", where=where)
            if "ip" not in value:
                raise ReportError('the row has no "ip" ("fqdn/ip")', where=where)
            host, ip = _target(_text(value.get("ip")), where)
            yield from folder.add(_row(value, where, host, ip, value.get("port")))
        elif prefix == "scanResult.item":
            count += 1
            yield from _pretty_result(value, f"scanResult #{count}", folder)
        elif prefix == "$open:scanResult":
            results = True
            if value != "start_array":
                raise ReportError("scanResult is not a list", where="scanResult")
        elif prefix.startswith("$open:clientProblem"):
            info.note("testssl client-side problems (the local OpenSSL or setup)")
        elif shape == "start_map":
            _header(prefix, value, info)
    if shape == "start_map" and not results:
        raise ReportError("not a testssl.sh pretty JSON report: no scanResult list")
    if shape not in ("start_array", "start_map"):
        raise ReportError("not a testssl.sh JSON report (neither a list nor an object)")
    yield from folder.close()


def _header(key: str, value: object, info: ReportInfo) -> None:
    if key == "version" and isinstance(value, str):
        info.tool_version = value.split()[0] if value.split() else ""
    elif key == "startTime" and str(value).isdigit():
        info.scanned_at = datetime.fromtimestamp(int(str(value)), UTC)
    elif key == "scanTime" and not str(value).isdigit():
        info.note("testssl says the scan was interrupted: the results are partial")


def _pretty_result(result: object, where: str, folder: _Folder) -> Iterator[Observation]:
    if not isinstance(result, dict):
        raise ReportError("a scan result is not an object", where=where)
    name = _text(result.get("hostname")) or _text(result.get("targetHost"))
    ip = _text(result.get("ip")).strip("[]")
    if not name and not ip:
        raise ReportError("the scan result names no target (targetHost, ip)", where=where)
    host, port = (name or ip).strip("[]"), result.get("port")
    for section, rows in result.items():
        if not isinstance(rows, list):
            continue
        for index, data in enumerate(rows, 1):
            row_where = f"{where}, {section} #{index}"
            if not isinstance(data, dict):
                raise ReportError("a row is not an object", where=row_where)
            yield from folder.add(_row(data, row_where, host, ip, port))


_CSV_HEADER = ("id", "fqdn/ip", "port", "severity", "finding")


def _parse_csv(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    header = [name.strip().lower() for name in reader.fieldnames or ()]
    if tuple(header[:5]) != _CSV_HEADER:
        raise ReportError(
            "not a testssl.sh CSV: the header must start with "
            '"id","fqdn/ip","port","severity","finding"',
            where="line 1",
        )
    reader.fieldnames = header
    folder = _Folder(info)
    for record in reader:
        where = f"line {reader.line_num}"
        if None in record:
            raise ReportError("the row has more cells than the header", where=where)
        host, ip = _target(record.get("fqdn/ip") or "", where)
        yield from folder.add(_row(record, where, host, ip, record.get("port")))
    yield from folder.close()


_JSON_FLAT = re.compile(rb'^\s*\[\s*\{\s*"id"\s*:\s*"[^"]*"\s*,\s*"ip"\s*:')
_JSON_PRETTY = re.compile(rb'"Invocation"\s*:\s*"[^"]*testssl')


def _sniff_json(head: bytes) -> bool:
    head = head.removeprefix(b"\xef\xbb\xbf")
    return bool(_JSON_FLAT.match(head)) or (
        head.lstrip().startswith(b"{")
        and b'"scanResult"' in head
        and _JSON_PRETTY.search(head) is not None
    )


def _sniff_csv(head: bytes) -> bool:
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return first.replace(b'"', b"").strip().lower().startswith(b"id,fqdn/ip,port,severity,finding")


SPECS = (
    FormatSpec(
        name="testssl-json",
        tool=TOOL,
        label="testssl.sh JSON (--jsonfile or --jsonfile-pretty)",
        sniff=_sniff_json,
        parse=_parse_json,
        extensions=(".json",),
    ),
    FormatSpec(
        name="testssl-csv",
        tool=TOOL,
        label="testssl.sh CSV (--csvfile)",
        sniff=_sniff_csv,
        parse=_parse_csv,
        extensions=(".csv",),
    ),
)
