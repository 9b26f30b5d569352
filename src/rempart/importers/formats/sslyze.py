"""sslyze JSON reports (``--json_out``), the schema of sslyze 5.x and 6.x.

The document is ``{"server_scan_results": [...], "invalid_server_strings": [...],
"date_scans_started", "date_scans_completed", "sslyze_version", "sslyze_url"}``. Each server
result has ``server_location`` (``hostname``, ``port``, ``ip_address``), ``scan_status``
(``COMPLETED`` or ``ERROR_NO_CONNECTIVITY`` with ``connectivity_error_trace``) and
``scan_result``: one attempt per scan command, ``{status, error_reason, error_trace, result}``
with status ``COMPLETED``, ``ERROR`` or ``NOT_SCHEDULED``.

Each completed command gives PASS or FAIL for its catalog checks at ``hostname:port``; an
attempt in ERROR gives ERROR observations with sslyze's reason; a command that was not
scheduled gives nothing. A server sslyze could not reach gives one ERROR observation
``sslyze.connectivity``.

- ``ssl_2_0_cipher_suites`` … ``tls_1_1_cipher_suites`` → ``tls.protocol.*`` (accepted → FAIL);
  ``tls_1_3_cipher_suites`` → ``tls.protocol.no_tls13``. A version is accepted when sslyze says
  ``is_tls_version_supported`` (it is derived from the accepted suites).
- accepted suites of every version → ``tls.cipher.weak`` when a name holds NULL, anon, EXPORT,
  RC4, DES or 3DES; the highest of TLS 1.2, 1.1, 1.0 and SSL 3.0 accepted → forward secrecy
  (a suite without ECDHE/DHE that is not already weak → ``tls.cipher.no_forward_secrecy``),
  as the engine judges it.
- ``heartbleed``, ``openssl_ccs_injection``, ``robot`` (``VULNERABLE_*`` → FAIL,
  ``UNKNOWN_INCONSISTENT_RESULTS`` → ERROR), ``tls_compression``, ``session_renegotiation``
  (no secure renegotiation, or client-initiated renegotiation DoS → FAIL).
- ``certificate_info``, for each certificate deployment (folded: the worst wins):
  ``hostname_mismatch`` from sslyze 5's ``leaf_certificate_subject_matches_hostname``; sslyze 6
  dropped it, so the leaf's subjectAltName is matched with the SNI name (RFC 6125: exact, or a
  wildcard in the leftmost label). ``weak_key`` from the leaf's key (RSA/DSA below 2048 bits,
  EC below 256); ``weak_signature`` when the leaf or an intermediate (not a root sent along) is
  signed with SHA-1 or MD5. ``untrusted`` from the ``path_validation_results`` of the Mozilla
  store (rempart trusts certifi, Mozilla's roots) or of a CA file given with
  ``--certinfo_ca_file``: validated → PASS; sslyze 5 (OpenSSL, which builds the chain first)
  failing only with "certificate has expired/is not yet valid" → PASS, the chain reached a
  trusted root; sslyze 6 (cryptography's verifier, which checks the leaf's dates, name, key and
  signature algorithm *before* building a chain) failing at the leaf → ERROR, trust was not
  judged; any other failure → FAIL. ``expired``, ``not_yet_valid`` and ``expiring`` (under 30
  days left) are judged at the scan date (``date_scans_completed``), which sslyze 6 writes
  after the results: those three come out at the end of the file.
- ``http_headers`` → ``web.hsts.missing`` / ``web.hsts.short`` at ``https://host/``.
- ``tls_fallback_scsv`` not supported → ``sslyze.tls_fallback_scsv`` FAIL (low);
  ``tls_1_3_early_data`` supported → ``sslyze.tls_1_3_early_data`` INFO. ``elliptic_curves``,
  ``session_resumption`` and ``tls_extended_master_secret`` are counted in the notes.

The 5.x files are large (every certificate with its PEM and modulus): one server result is
built at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import FormatSpec, Item, ReportError, ReportInfo, clip
from rempart.importers.formats.generic import host_port, origin, skip_bom, walk_json

TOOL = "sslyze"

_VERSIONS = (
    ("ssl_2_0_cipher_suites", "SSL 2.0", "tls.protocol.sslv2"),
    ("ssl_3_0_cipher_suites", "SSL 3.0", "tls.protocol.sslv3"),
    ("tls_1_0_cipher_suites", "TLS 1.0", "tls.protocol.tls10"),
    ("tls_1_1_cipher_suites", "TLS 1.1", "tls.protocol.tls11"),
    ("tls_1_2_cipher_suites", "TLS 1.2", ""),
    ("tls_1_3_cipher_suites", "TLS 1.3", "tls.protocol.no_tls13"),
)
_FS_ORDER_ALL = (
    "tls_1_2_cipher_suites",
    "tls_1_1_cipher_suites",
    "tls_1_0_cipher_suites",
    "ssl_3_0_cipher_suites",
)
# Parts of a suite name (TLS_RSA_EXPORT_WITH_RC4_40_MD5, SSL_CK_DES_192_EDE3_CBC_WITH_MD5).
_WEAK_TOKENS = frozenset({"NULL", "anon", "RC4", "DES", "3DES", "DES40"})
_SINGLE = {
    "heartbleed": ("tls.vuln.heartbleed", "is_vulnerable_to_heartbleed"),
    "openssl_ccs_injection": ("tls.vuln.ccs_injection", "is_vulnerable_to_ccs_injection"),
    "tls_compression": ("tls.compression", "supports_compression"),
}
_CERT_IDS = (
    "tls.cert.hostname_mismatch",
    "tls.cert.weak_key",
    "tls.cert.weak_signature",
    "tls.cert.untrusted",
)
_DATE_IDS = ("tls.cert.expired", "tls.cert.not_yet_valid", "tls.cert.expiring")
_NOTED = ("elliptic_curves", "session_resumption", "tls_extended_master_secret")
_PLATFORM_STORES = frozenset({"android", "apple", "java", "mozilla", "windows"})
# sslyze 5 validates with OpenSSL, which builds the chain first: a date error means the chain
# reached a trusted root. sslyze 6 validates with cryptography's verifier, which checks the leaf
# (validity dates, subjectAltName, key, signature algorithm) before building any chain: such an
# error leaves trust unjudged.
_BUILT = re.compile(r"^certificate (has expired|is not yet valid)$", re.IGNORECASE)
_LEAF_FIRST = re.compile(
    r"not valid at validation time|no matching subjectAltName|forbidden public key|"
    r"forbidden signature algorithm|key size|too small",
    re.IGNORECASE,
)
_EXPIRING = timedelta(days=30)
_ONE_YEAR = 31_536_000


@dataclass
class _Dates:
    """A server's leaf certificates, judged once the scan date is known."""

    location: str
    target: str
    leaves: list[tuple[datetime, datetime, str]] = field(default_factory=list)


class _Out:
    """Observations of one server, folded per check (several certificate deployments)."""

    def __init__(self, location: str, target: str) -> None:
        self.location, self.target = location, target
        self.found: dict[str, tuple[Status, list[str], str, str]] = {}

    def add(
        self, check: str, status: Status, evidence: str = "", reason: str = "", rule: str = ""
    ) -> None:
        old = self.found.get(check)
        if old is None or _RANK[status] > _RANK[old[0]]:
            self.found[check] = (status, [evidence] if evidence else [], reason, rule)
        elif status is old[0] and evidence and evidence not in old[1]:
            old[1].append(evidence)

    def error(self, checks: tuple[str, ...], reason: str, rule: str) -> None:
        for check in checks:
            self.add(check, Status.ERROR, reason=reason, rule=rule)

    def observations(self) -> Iterator[Observation]:
        for check, (status, evidence, reason, rule) in self.found.items():
            spec = CATALOG.get(check)
            yield Observation(
                check=check,
                status=status,
                severity=spec.severity if spec else _OWN[check][1],
                location=self.location if not check.startswith("web.") else _web(self),
                evidence=clip("; ".join(evidence)),
                reason=clip(reason, 500) if status is Status.ERROR else "",
                target=self.target,
                source=TOOL,
                rule=rule,
                title="" if spec else _OWN[check][0],
            )


_RANK = {Status.INFO: 0, Status.PASS: 1, Status.ERROR: 2, Status.FAIL: 3}
_OWN = {
    "sslyze.connectivity": ("sslyze could not connect to the server", Severity.INFO),
    "sslyze.tls_fallback_scsv": ("No TLS_FALLBACK_SCSV downgrade protection", Severity.LOW),
    "sslyze.tls_1_3_early_data": ("TLS 1.3 early data (0-RTT) accepted", Severity.INFO),
}


def _web(out: _Out) -> str:
    return origin(f"https://{out.location}")


# -- one server --------------------------------------------------------------------------------


def _server(server: object, where: str, info: ReportInfo, dates: list[_Dates]) -> Iterator[Item]:
    if not isinstance(server, dict):
        raise ReportError("a server result is not an object", where=where)
    location_data = server.get("server_location")
    if not isinstance(location_data, dict) or not location_data.get("hostname"):
        raise ReportError("the server result has no server_location.hostname", where=where)
    hostname = str(location_data["hostname"]).strip()
    port = location_data.get("port")
    out = _Out(host_port(hostname, port), hostname)
    info.targets.add(hostname)
    commands = server.get("scan_result")
    if server.get("scan_status") != "COMPLETED" or not isinstance(commands, dict):
        if "scan_status" not in server:
            raise ReportError(
                "the server result has no scan_status (sslyze 5 or later)", where=where
            )
        trace = _last_line(server.get("connectivity_error_trace"))
        status = server.get("scan_status") or server.get("connectivity_status")
        out.add("sslyze.connectivity", Status.ERROR, reason=f"{status}: {trace}".strip(": "))
        yield from out.observations()
        return
    _versions(commands, out)
    _suites(commands, out)
    for command, (check, key) in _SINGLE.items():
        result = _result(commands, command, (check,), out)
        if result is not None and isinstance(result.get(key), bool):
            vulnerable = result[key]
            out.add(
                check,
                Status.FAIL if vulnerable else Status.PASS,
                f"{key}: {vulnerable}",
                "",
                command,
            )
    _robot(commands, out)
    _renegotiation(commands, out)
    leaves = _certificates(commands, out, hostname)
    if leaves:
        dates.append(_Dates(out.location, hostname, leaves))
    _hsts(commands, out)
    _extras(commands, out, info)
    yield from out.observations()


def _result(
    commands: dict[str, Any], command: str, checks: tuple[str, ...], out: _Out
) -> dict[str, Any] | None:
    """A completed command's result; ERROR attempts become ERROR observations."""
    attempt = commands.get(command)
    if not isinstance(attempt, dict):
        return None
    status = attempt.get("status")
    if status == "ERROR":
        reason = attempt.get("error_reason") or "error"
        trace = _last_line(attempt.get("error_trace"))
        out.error(checks, f"sslyze {command} did not complete ({reason}) {trace}".strip(), command)
        return None
    result = attempt.get("result")
    if status != "COMPLETED" or not isinstance(result, dict):
        return None
    return result


def _accepted(result: dict[str, Any]) -> list[dict[str, Any]]:
    suites = result.get("accepted_cipher_suites") or []
    return [s.get("cipher_suite") or {} for s in suites if isinstance(s, dict)]


def _supported(result: dict[str, Any]) -> bool:
    flag = result.get("is_tls_version_supported")
    return bool(flag) if isinstance(flag, bool) else bool(_accepted(result))


def _versions(commands: dict[str, Any], out: _Out) -> None:
    for command, label, check in _VERSIONS:
        if not check:
            continue
        result = _result(commands, command, (check,), out)
        if result is None:
            continue
        names = [str(s.get("name", "")) for s in _accepted(result)]
        supported = _supported(result)
        said = f"{label} refused"
        if supported:
            said = (
                f"{label} accepted: {', '.join(names)}"
                if names
                else (f"{label} accepted (sslyze says is_tls_version_supported, lists no suite)")
            )
        if check == "tls.protocol.no_tls13":
            out.add(check, Status.PASS if supported else Status.FAIL, said, "", command)
        else:
            out.add(check, Status.FAIL if supported else Status.PASS, said, "", command)


def _weak(suite: dict[str, Any]) -> bool:
    name = str(suite.get("name", ""))
    tokens = set(name.split("_"))
    return (
        bool(suite.get("is_anonymous"))
        or bool(tokens & _WEAK_TOKENS)
        or any(t.startswith("EXPORT") for t in tokens)
    )


def _suites(commands: dict[str, Any], out: _Out) -> None:
    weak: list[str] = []
    errors: list[str] = []
    done: list[str] = []
    for command, label, _ in _VERSIONS:
        attempt = commands.get(command)
        if not isinstance(attempt, dict) or attempt.get("status") == "NOT_SCHEDULED":
            continue
        result = attempt.get("result") if attempt.get("status") == "COMPLETED" else None
        if not isinstance(result, dict):
            errors.append(f"{command}: {attempt.get('error_reason') or attempt.get('status')}")
            continue
        done.append(command)
        weak += [f"{label} {s.get('name')}" for s in _accepted(result) if _weak(s)]
    rule = ",".join(done)
    if weak:
        out.add(
            "tls.cipher.weak", Status.FAIL, "weak suites accepted: " + ", ".join(weak), "", rule
        )
    elif errors:
        out.add(
            "tls.cipher.weak",
            Status.ERROR,
            reason="sslyze could not list the suites of " + "; ".join(errors),
            rule=rule,
        )
    elif done:
        out.add(
            "tls.cipher.weak",
            Status.PASS,
            "no NULL, anonymous, EXPORT, RC4, DES or 3DES suite accepted",
            rule=rule,
        )
    _forward_secrecy(commands, out)


def _forward_secrecy(commands: dict[str, Any], out: _Out) -> None:
    """The engine's judgement: the suites of the highest legacy version accepted."""
    check = "tls.cipher.no_forward_secrecy"
    for command in _FS_ORDER_ALL:
        attempt = commands.get(command)
        if not isinstance(attempt, dict) or attempt.get("status") == "NOT_SCHEDULED":
            continue
        result = _result(commands, command, (check,), out)
        if result is None:
            return  # an ERROR attempt: already an ERROR observation
        if not _supported(result):
            continue
        label = next(label for c, label, _ in _VERSIONS if c == command)
        names = [str(s.get("name", "")) for s in _accepted(result)]
        static = [
            name
            for suite, name in zip(_accepted(result), names, strict=True)
            if not _weak(suite) and "_ECDHE_" not in name and "_DHE_" not in name
        ]
        if static:
            said = f"{label} suites without ECDHE/DHE: {', '.join(static)}"
            out.add(check, Status.FAIL, said, "", command)
        else:
            out.add(
                check, Status.PASS, f"all {len(names)} {label} suites use ECDHE or DHE", "", command
            )
        return
    tls13 = _result(commands, "tls_1_3_cipher_suites", (check,), out)
    if tls13 is not None and _supported(tls13):
        out.add(
            check,
            Status.PASS,
            "only TLS 1.3 is accepted (always forward-secret)",
            "",
            "tls_1_3_cipher_suites",
        )


def _robot(commands: dict[str, Any], out: _Out) -> None:
    result = _result(commands, "robot", ("tls.vuln.robot",), out)
    if result is None:
        return
    verdict = str(result.get("robot_result", ""))
    if verdict.startswith("VULNERABLE"):
        out.add("tls.vuln.robot", Status.FAIL, f"robot_result: {verdict}", "", "robot")
    elif verdict.startswith("NOT_VULNERABLE"):
        out.add("tls.vuln.robot", Status.PASS, f"robot_result: {verdict}", "", "robot")
    else:
        out.add(
            "tls.vuln.robot", Status.ERROR, reason=f"sslyze could not tell: {verdict}", rule="robot"
        )


def _renegotiation(commands: dict[str, Any], out: _Out) -> None:
    check = "tls.renegotiation.insecure"
    result = _result(commands, "session_renegotiation", (check,), out)
    if result is None:
        return
    secure = result.get("supports_secure_renegotiation")
    dos = result.get("is_vulnerable_to_client_renegotiation_dos")
    said = f"supports_secure_renegotiation: {secure}, client_renegotiation_dos: {dos}"
    bad = secure is False or dos is True
    out.add(check, Status.FAIL if bad else Status.PASS, said, "", "session_renegotiation")


def _certificates(
    commands: dict[str, Any], out: _Out, hostname: str
) -> list[tuple[datetime, datetime, str]]:
    result = _result(commands, "certificate_info", _CERT_IDS + _DATE_IDS, out)
    if result is None:
        return []
    sni = str(result.get("hostname_used_for_server_name_indication") or hostname).lower()
    leaves: list[tuple[datetime, datetime, str]] = []
    rule = "certificate_info"
    for deployment in result.get("certificate_deployments") or []:
        chain = deployment.get("received_certificate_chain") or []
        if not chain:
            continue
        leaf = chain[0]
        subject = _name(leaf.get("subject"))
        san = leaf.get("subject_alternative_name") or {}
        dns = [str(n).lower() for n in san.get("dns_names") or san.get("dns") or []]
        ips = [str(n) for n in san.get("ip_addresses") or []]
        matches = deployment.get("leaf_certificate_subject_matches_hostname")  # sslyze 5 only
        if not isinstance(matches, bool):
            matches = _name_matches(sni, dns, ips)
        said = f"{subject}; SAN: {', '.join(dns + ips) or 'none'}; name checked: {sni}"
        out.add(
            "tls.cert.hostname_mismatch", Status.PASS if matches else Status.FAIL, said, "", rule
        )
        key = leaf.get("public_key") or {}
        kind, bits = str(key.get("algorithm", "")), key.get("key_size")
        if isinstance(bits, int):
            ec = "Elliptic" in kind or kind.strip("_").startswith("EC")
            minimum = 256 if ec else 2048 if ("RSA" in kind or "DSA" in kind) else 0
            shown = kind.strip("_").removesuffix("PublicKey")
            out.add(
                "tls.cert.weak_key",
                Status.FAIL if bits < minimum else Status.PASS,
                f"{shown} {bits} bits",
                "",
                rule,
            )
        _signatures(deployment, chain, out)
        _trust(deployment, out)
        before, after = _date(leaf.get("not_valid_before")), _date(leaf.get("not_valid_after"))
        if before and after:
            leaves.append((before, after, subject))
    return leaves


def _name_matches(host: str, dns: list[str], ips: list[str]) -> bool:
    """RFC 6125: an exact SAN, or a wildcard in the leftmost label only; no SAN, no match."""
    if host in ips or host in dns:
        return True
    label, _, rest = host.partition(".")
    return bool(label and rest) and f"*.{rest}" in dns


def _signatures(deployment: dict[str, Any], chain: list[dict[str, Any]], out: _Out) -> None:
    weak = []
    for index, cert in enumerate(chain):
        subject = _name(cert.get("subject"))
        if index and subject and subject == _name(cert.get("issuer")):
            continue  # a root sent along: its self-signature is never checked
        algo = str((cert.get("signature_hash_algorithm") or {}).get("name", "")).lower()
        if algo in ("sha1", "md5"):
            weak.append(f"{_name(cert.get('subject'))} signed with {algo.upper()}")
    if deployment.get("verified_chain_has_sha1_signature") is True and not weak:
        weak.append("sslyze: the verified chain has a SHA-1 signature")
    if weak:
        out.add("tls.cert.weak_signature", Status.FAIL, "; ".join(weak), "", "certificate_info")
    else:
        out.add(
            "tls.cert.weak_signature",
            Status.PASS,
            "leaf and intermediates signed with SHA-256 or better",
            "",
            "certificate_info",
        )


def _trust(deployment: dict[str, Any], out: _Out) -> None:
    results = [r for r in deployment.get("path_validation_results") or [] if isinstance(r, dict)]
    ours = [r for r in results if _store(r) == "mozilla" or _store(r) not in _PLATFORM_STORES]
    if not ours:
        return
    check, rule = "tls.cert.untrusted", "certificate_info"
    trusted = [r for r in ours if r.get("was_validation_successful")]
    if trusted:
        names = ", ".join(_store_name(r) for r in trusted)
        out.add(check, Status.PASS, f"chain validated by {names}", "", rule)
        return
    said = "; ".join(f"{_store_name(r)}: {_validation_error(r)}" for r in ours)
    errors = [_validation_error(r) for r in ours]
    if all(_BUILT.search(e) for e in errors):
        out.add(
            check,
            Status.PASS,
            f"{said} (OpenSSL built the chain to a trusted root before checking the dates)",
            "",
            rule,
        )
    elif all(_LEAF_FIRST.search(e) for e in errors):
        out.add(
            check,
            Status.ERROR,
            said,
            f"sslyze's validation stopped at the leaf certificate "
            f"before building the chain, so trust was not judged: {errors[0]}",
            rule,
        )
    else:
        out.add(check, Status.FAIL, said, "", rule)


def _store(result: dict[str, Any]) -> str:
    return _store_name(result).lower()


def _store_name(result: dict[str, Any]) -> str:
    store = result.get("trust_store") or {}
    return str(store.get("name", "")) if isinstance(store, dict) else ""


def _validation_error(result: dict[str, Any]) -> str:
    return str(result.get("validation_error") or result.get("openssl_error_string") or "")


def _hsts(commands: dict[str, Any], out: _Out) -> None:
    ids = ("web.hsts.missing", "web.hsts.short")
    result = _result(commands, "http_headers", ids, out)
    if result is None:
        return
    if result.get("http_error_trace"):
        out.error(
            ids[:1],
            "sslyze got no HTTP answer: " + _last_line(result["http_error_trace"]),
            "http_headers",
        )
        return
    header = result.get("strict_transport_security_header")
    max_age = header.get("max_age") if isinstance(header, dict) else None
    if not isinstance(max_age, int):
        said = "no Strict-Transport-Security header" if header is None else "no valid max-age"
        out.add(ids[0], Status.FAIL, said, "", "http_headers")
        return
    out.add(ids[0], Status.PASS, f"max-age={max_age}", "", "http_headers")
    short = Status.FAIL if max_age < _ONE_YEAR else Status.PASS
    out.add(
        ids[1], short, f"max-age={max_age} (rempart asks for at least one year)", "", "http_headers"
    )


def _extras(commands: dict[str, Any], out: _Out, info: ReportInfo) -> None:
    result = _result(commands, "tls_fallback_scsv", (), out)
    if result is not None and isinstance(result.get("supports_fallback_scsv"), bool):
        ok = result["supports_fallback_scsv"]
        out.add(
            "sslyze.tls_fallback_scsv",
            Status.PASS if ok else Status.FAIL,
            f"supports_fallback_scsv: {ok}",
            "",
            "tls_fallback_scsv",
        )
    result = _result(commands, "tls_1_3_early_data", (), out)
    if result is not None:
        if result.get("supports_early_data"):
            out.add(
                "sslyze.tls_1_3_early_data",
                Status.INFO,
                "supports_early_data: True",
                "",
                "tls_1_3_early_data",
            )
        else:
            info.note("sslyze results with no rempart check (information only)")
    for command in _NOTED:
        attempt = commands.get(command)
        if isinstance(attempt, dict) and attempt.get("status") == "COMPLETED":
            info.note("sslyze results with no rempart check (information only)")


def _validity(item: _Dates, scanned: datetime, assumed: bool) -> Iterator[Observation]:
    out = _Out(item.location, item.target)
    when = f"at the scan date {scanned:%Y-%m-%d}" + (
        " (the report has none: import time)" if assumed else ""
    )
    for before, after, subject in item.leaves:
        expired = scanned > after
        out.add(
            "tls.cert.expired",
            Status.FAIL if expired else Status.PASS,
            f"{subject}: notAfter {after:%Y-%m-%d %H:%M} UTC, {when}",
            "",
            "certificate_info",
        )
        early = scanned < before
        out.add(
            "tls.cert.not_yet_valid",
            Status.FAIL if early else Status.PASS,
            f"{subject}: notBefore {before:%Y-%m-%d %H:%M} UTC, {when}",
            "",
            "certificate_info",
        )
        if not expired:
            soon = after - scanned < _EXPIRING
            out.add(
                "tls.cert.expiring",
                Status.FAIL if soon else Status.PASS,
                f"{subject}: {(after - scanned).days} days left {when}",
                "",
                "certificate_info",
            )
    yield from out.observations()


# -- small readers ------------------------------------------------------------------------------


def _name(value: object) -> str:
    return str(value.get("rfc4514_string", "")) if isinstance(value, dict) else ""


def _date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _last_line(trace: object) -> str:
    lines = [line.strip() for line in str(trace or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    dates: list[_Dates] = []
    started = completed = None
    seen = False
    count = 0
    build = frozenset({"server_scan_results.item", "invalid_server_strings.item"})
    for prefix, value in walk_json(stream, build):
        if prefix == "$start" and value != "start_map":
            raise ReportError("not an sslyze JSON report (the document is not an object)")
        if prefix == "$open:server_scan_results":
            seen = True
            if value != "start_array":
                raise ReportError("server_scan_results is not a list", where="server_scan_results")
        elif prefix == "server_scan_results.item":
            count += 1
            yield from _server(value, f"server #{count}", info, dates)
        elif prefix == "invalid_server_strings.item":
            yield _invalid(value)
        elif prefix == "sslyze_version":
            info.tool_version = str(value)
        elif prefix == "date_scans_started":
            started = _date(value)
        elif prefix == "date_scans_completed":
            completed = _date(value)
    if not seen:
        raise ReportError("no server_scan_results list: not an sslyze 5+ JSON report")
    info.scanned_at = started or completed
    scanned = completed or started
    for item in dates:
        yield from _validity(item, scanned or datetime.now(UTC), scanned is None)


def _invalid(value: object) -> Observation:
    data = value if isinstance(value, dict) else {}
    server = str(data.get("server_string", "")).split("{")[0].strip() or "?"
    return Observation(
        check="sslyze.connectivity",
        status=Status.ERROR,
        severity=Severity.INFO,
        location=server,
        reason=clip(f"sslyze could not use this target: {data.get('error_message', '')}", 500),
        target=server.rsplit(":", 1)[0] if server.count(":") == 1 else server,
        source=TOOL,
        rule="invalid_server_strings",
        title=_OWN["sslyze.connectivity"][0],
    )


_SNIFF = re.compile(rb'"(server_scan_results|sslyze_url)"\s*:')


def _sniff(head: bytes) -> bool:
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and _SNIFF.search(head) is not None


SPEC = FormatSpec(
    name="sslyze-json",
    tool=TOOL,
    label="sslyze JSON (--json_out, sslyze 5 and 6)",
    sniff=_sniff,
    parse=_parse,
    extensions=(".json",),
)
