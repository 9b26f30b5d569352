"""Certificate checks on a served chain: pure functions over ``cryptography`` objects.

Each problem is judged on its own so that each gets its own check id. That is why the
trust path is built here rather than with cryptography's ``PolicyBuilder`` verifier: that
verifier (rightly, for a client) also rejects expired, SHA-1-signed or 1024-bit chains,
so an expired certificate from a trusted CA would read as "untrusted" too.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning

EXPIRING_DAYS = 30
MAX_PATH = 8  # intermediates followed before giving up (loops, hostile chains)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One certificate property: failed or not, and what was seen."""

    failed: bool
    evidence: str


def load_chain(ders: Sequence[bytes]) -> list[x509.Certificate]:
    """Parse DER certificates (raises ValueError on a malformed one)."""
    return [x509.load_der_x509_certificate(der) for der in ders]


@functools.cache
def certifi_roots() -> tuple[x509.Certificate, ...]:
    import certifi  # the system store the brief names: certifi's Mozilla bundle

    with open(certifi.where(), "rb") as handle, warnings.catch_warnings():
        # A few old roots carry non-positive serial numbers; they are still roots.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return tuple(x509.load_pem_x509_certificates(handle.read()))


@functools.lru_cache(maxsize=8)
def trust_store(extra_pem: bytes = b"") -> tuple[x509.Certificate, ...]:
    """certifi's roots plus the configured extra CAs (``--ca-file``, the lab CA)."""
    extra = tuple(x509.load_pem_x509_certificates(extra_pem)) if extra_pem.strip() else ()
    return certifi_roots() + extra


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()[:120]


# -- validity --------------------------------------------------------------------------


def expired(leaf: x509.Certificate, now: dt.datetime) -> Verdict:
    after = leaf.not_valid_after_utc
    return Verdict(now > after, f"notAfter {after:%Y-%m-%d %H:%M} UTC")


def not_yet_valid(leaf: x509.Certificate, now: dt.datetime) -> Verdict:
    before = leaf.not_valid_before_utc
    return Verdict(now < before, f"notBefore {before:%Y-%m-%d %H:%M} UTC")


def expiring(leaf: x509.Certificate, now: dt.datetime, days: int = EXPIRING_DAYS) -> Verdict:
    """Valid now but ends within ``days`` (an expired one is reported by ``expired``)."""
    after = leaf.not_valid_after_utc
    left = after - now
    soon = dt.timedelta(0) <= left < dt.timedelta(days=days)
    return Verdict(soon, f"notAfter {after:%Y-%m-%d} UTC ({left.days} days left)")


# -- host name (RFC 6125 §6.4) ---------------------------------------------------------


def _dns_match(pattern: str, host: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if "*" not in pattern:
        return pattern == host
    # Only a whole left-most label may be a wildcard, it stands for exactly one label, and
    # it needs two labels after it ("*.com" matches nothing) — RFC 6125 §6.4.3, CA/B BR.
    first, _, rest = pattern.partition(".")
    if first != "*" or "*" in rest or rest.count(".") < 1:
        return False
    host_first, _, host_rest = host.partition(".")
    return bool(host_first) and host_rest == rest


def hostname_mismatch(leaf: x509.Certificate, host: str) -> Verdict:
    """SAN dNSName (or iPAddress for an IP host) must match; CN only when there is no SAN."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if san is None:
        cns = [str(a.value) for a in leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
        ok = ip is None and any(_dns_match(cn, host) for cn in cns)
        return Verdict(not ok, f"no subjectAltName; CN={','.join(cns)[:200]}")
    if ip is not None:
        ips = san.get_values_for_type(x509.IPAddress)
        names = [str(a) for a in ips]
        ok = ip in ips
    else:
        names = san.get_values_for_type(x509.DNSName)
        ok = any(_dns_match(n, host) for n in names)
    return Verdict(not ok, f"host {host}; SAN {', '.join(names)[:300] or '(none of this type)'}")


# -- trust -----------------------------------------------------------------------------


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except ValueError:
        # cryptography refuses SHA-1/MD5 signatures here ("Unsupported signature
        # algorithm"); check them by hand so that weak_signature, not untrusted, reports them.
        return _legacy_signature_ok(cert, issuer)
    except (TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _legacy_signature_ok(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        algorithm = cert.signature_hash_algorithm
        key = issuer.public_key()
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, algorithm)
        else:
            return False
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _anchored(cert: x509.Certificate, roots: Sequence[x509.Certificate]) -> bool:
    """The certificate is a trust anchor (same subject and key as a store entry)."""
    key = cert.public_key()
    return any(r.subject == cert.subject and r.public_key() == key for r in roots)


def _path_to_root(
    cert: x509.Certificate,
    served: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    depth: int,
) -> bool:
    if _anchored(cert, roots):
        return True
    if depth >= MAX_PATH:
        return False
    if any(_issued_by(cert, root) for root in roots):
        return True
    for candidate in served:
        if candidate != cert and _issued_by(cert, candidate):
            if _path_to_root(candidate, [c for c in served if c != candidate], roots, depth + 1):
                return True
    return False


def self_signed(cert: x509.Certificate) -> bool:
    return _issued_by(cert, cert)


def untrusted(chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]) -> Verdict:
    """No signature path from the leaf through served certificates to a store root."""
    leaf, served = chain[0], list(chain[1:])
    issuer = leaf.issuer.rfc4514_string()[:120]
    if _path_to_root(leaf, served, roots, 0):
        return Verdict(False, f"chain to a trusted root; issuer {issuer}")
    if self_signed(leaf):
        return Verdict(True, f"self-signed certificate {_subject(leaf)}")
    return Verdict(True, f"no path to a trusted root; issuer {issuer}; {len(chain)} served")


# -- keys and signatures ---------------------------------------------------------------


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__.removesuffix("PublicKey").lstrip("_"), 0


def weak_key(leaf: x509.Certificate) -> Verdict:
    kind, bits = key_description(leaf)
    minimum = {"RSA": 2048, "DSA": 2048}.get(kind, 256 if kind.startswith("EC") else 0)
    return Verdict(bits < minimum, f"{kind} {bits} bits")


def _digest_name(cert: x509.Certificate) -> str:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "unknown"
    return algorithm.name if algorithm is not None else "none"


def weak_signature(
    chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate] = ()
) -> Verdict:
    """SHA-1 or MD5 on the leaf or a served intermediate; a root's own signature is moot."""
    weak: list[str] = []
    seen: list[str] = []
    for index, cert in enumerate(chain):
        if index > 0 and (self_signed(cert) or _anchored(cert, roots)):
            continue
        digest = _digest_name(cert)
        seen.append(digest)
        if digest in (hashes.SHA1.name, hashes.MD5.name):
            weak.append(f"{'leaf' if index == 0 else 'intermediate'} {_subject(cert)}: {digest}")
    if weak:
        return Verdict(True, "; ".join(weak)[:400])
    return Verdict(False, "signatures: " + ", ".join(seen))
