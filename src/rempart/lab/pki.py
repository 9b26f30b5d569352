"""The lab's certificate authority, built with ``cryptography`` directly (design §5).

A self-signed root (``ca.pem``, what scanners get as ``--ca-file``) signs an intermediate,
which signs the leaves. Every certificate is RFC 5280-clean so that strict validators
(cryptography's verifier, sslyze) accept a good chain:

- CAs: basicConstraints CA:TRUE critical, keyUsage keyCertSign+cRLSign critical, SKI, and
  AKI on the intermediate (RFC 5280 §4.2.1.1-3, §4.2.1.9).
- Leaves: subject CN = the first name and a non-critical subjectAltName with every name
  (§4.2.1.6 wants SAN critical only when the subject is empty), extendedKeyUsage serverAuth,
  basicConstraints CA:FALSE, keyUsage digitalSignature (+keyEncipherment for RSA, which the
  RSA key exchange needs, RFC 5246 §7.4.2), SKI and AKI.

A :class:`~rempart.lab.profiles.CertProfile` picks the weaknesses of one leaf: validity
window, host match, self-signature, key kind, signature hash.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from rempart.lab.profiles import CertProfile, KeyKind

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
WRONG_HOST = "wrong-host.example"
_DAY = datetime.timedelta(days=1)

# RSA key generation costs tens of milliseconds (2048 bits) and the lab issues hundreds of
# leaves: one key per kind is generated once per process and shared by every leaf of that
# kind. The lab checks certificates, not key secrecy, so sharing a key changes no verdict.
_KEYS: dict[str, PrivateKey] = {}


def _key(kind: str) -> PrivateKey:
    """The process-wide key of ``kind`` (a KeyKind, or a CA role name)."""
    key = _KEYS.get(kind)
    if key is None:
        if kind == "ec256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            bits = 1024 if kind == "rsa1024" else 2048
            key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        _KEYS[kind] = key
    return key


@dataclass(frozen=True, slots=True)
class Issued:
    """A leaf as the TLS servers use it."""

    hostnames: tuple[str, ...]  # the names in the SAN (wrong-host.example on a mismatch)
    chain_pem_path: Path  # leaf then intermediate (leaf alone when self-signed)
    key_path: Path  # the leaf's private key, PKCS#8 PEM
    chain_der: list[bytes]  # leaf, intermediate — as sent in a TLS Certificate message
    private_key: PrivateKey  # the raw TLS front signs and decrypts with it


@dataclass(frozen=True, slots=True)
class _Authority:
    name: x509.Name
    key: PrivateKey
    cert: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rempart lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    subject: x509.Name, key: PrivateKey, issuer: _Authority | None, serial: int
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.name if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - 3650 * _DAY)
        .not_valid_after(now + 3650 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    return builder.sign(signer_key, hashes.SHA256())


def _key_usage(*, cert_sign: bool = False, encipher: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=encipher,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def validity_window(
    validity: str, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """(not_before, not_after) of a leaf for a CertProfile validity."""
    match validity:
        case "expired":
            return now - 375 * _DAY, now - 10 * _DAY
        case "not_yet_valid":
            return now + 10 * _DAY, now + 375 * _DAY
        case "expiring":
            return now - 355 * _DAY, now + 10 * _DAY
        case _:
            return now - 30 * _DAY, now + 365 * _DAY


class LabPKI:
    """The lab CA: :meth:`create` it in a directory, then :meth:`issue` leaves."""

    def __init__(self, directory: Path, seed: int, root: _Authority, inter: _Authority):
        self.directory = directory
        self.seed = seed
        self.root = root.cert
        self.intermediate = inter.cert
        self._root = root
        self._inter = inter
        self._count = 0
        self._keys_written: set[str] = set()

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @classmethod
    def create(cls, directory: Path, seed: int) -> LabPKI:
        """Build the root and the intermediate; write the root to ``directory/ca.pem``."""
        directory.mkdir(parents=True, exist_ok=True)
        root_name = _name(f"rempart lab root CA {seed}")
        root_key = _key("root-ca")
        root = _Authority(root_name, root_key, _ca_cert(root_name, root_key, None, 1))
        inter_name = _name(f"rempart lab intermediate CA {seed}")
        inter_key = _key("intermediate-ca")
        inter = _Authority(inter_name, inter_key, _ca_cert(inter_name, inter_key, root, 2))
        pki = cls(directory, seed, root, inter)
        pki.ca_file.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
        (directory / "certs").mkdir(exist_ok=True)
        return pki

    def _serial(self, hostnames: list[str]) -> int:
        # Deterministic from the seed, unique per issue, positive and < 2^159 (RFC 5280).
        digest = hashlib.sha256(f"{self.seed}:{self._count}:{hostnames}".encode()).digest()
        return int.from_bytes(digest[:19], "big") | 1

    def issue(self, hostnames: list[str], profile: CertProfile) -> Issued:
        """Issue a leaf for ``hostnames`` with the weaknesses of ``profile``."""
        if not hostnames:
            raise ValueError("a leaf needs at least one host name")
        self._count += 1
        names = hostnames if profile.matches_host else [WRONG_HOST]
        key = _key(profile.key)
        cert = self._leaf(names, key, profile)
        chain = [cert] if profile.self_signed else [cert, self.intermediate]
        stem = re.sub(r"[^a-z0-9.-]", "_", hostnames[0].lower())
        chain_path = self.directory / "certs" / f"{self._count:04d}-{stem}.pem"
        key_path = self.directory / "certs" / f"key-{profile.key}.pem"
        chain_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
        if profile.key not in self._keys_written:
            # Keys live per process: a file left by an earlier lab in this folder is stale.
            self._keys_written.add(profile.key)
            key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        return Issued(
            hostnames=tuple(names),
            chain_pem_path=chain_path,
            key_path=key_path,
            chain_der=[c.public_bytes(serialization.Encoding.DER) for c in chain],
            private_key=key,
        )

    def _leaf(self, names: list[str], key: PrivateKey, profile: CertProfile) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        not_before, not_after = validity_window(profile.validity, now)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        if profile.self_signed:
            issuer_name, signer, aki_key = subject, key, key.public_key()
        else:
            issuer_name, signer = self._inter.name, self._inter.key
            aki_key = self._inter.key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(self._serial(names))
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(encipher=is_rsa(profile.key)), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key), False)
        )
        cert = builder.sign(signer, hashes.SHA256())
        return _resign_sha1(cert, signer) if profile.signature == "sha1" else cert


# DER AlgorithmIdentifiers (RFC 4055 §5 and RFC 5758 §3.2: RSA ones carry NULL parameters).
_ALG_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_ALG_SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")
_ALG_SHA256_ECDSA = bytes.fromhex("300a06082a8648ce3d040302")
_ALG_SHA1_ECDSA = bytes.fromhex("300906072a8648ce3d0401")


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def _der_content(data: bytes) -> bytes:
    """The content octets of one DER TLV (definite length, as DER requires)."""
    if data[1] < 0x80:
        return data[2 : 2 + data[1]]
    size = data[1] & 0x7F
    return data[2 + size : 2 + size + int.from_bytes(data[2 : 2 + size], "big")]


def _resign_sha1(cert: x509.Certificate, signer: PrivateKey) -> x509.Certificate:
    """The same certificate signed with SHA-1 (tls.cert.weak_signature).

    cryptography no longer signs certificates with SHA-1, so swap the AlgorithmIdentifier
    in the TBSCertificate (RFC 5280 §4.1.1.2 wants it equal to the outer one) and sign the
    new TBS with the raw key API, which still accepts SHA-1.
    """
    if isinstance(signer, rsa.RSAPrivateKey):
        old, new = _ALG_SHA256_RSA, _ALG_SHA1_RSA
    else:
        old, new = _ALG_SHA256_ECDSA, _ALG_SHA1_ECDSA
    content = _der_content(cert.tbs_certificate_bytes)
    if old not in content:
        raise ValueError("unexpected signature algorithm in the TBS certificate")
    tbs = _der(0x30, content.replace(old, new, 1))
    if isinstance(signer, rsa.RSAPrivateKey):
        signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    else:
        signature = signer.sign(tbs, ec.ECDSA(hashes.SHA1()))  # noqa: S303
    der = _der(0x30, tbs + new + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def is_rsa(kind: KeyKind) -> bool:
    return kind.startswith("rsa")
