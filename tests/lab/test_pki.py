"""The lab CA: a good leaf passes a strict RFC 5280 verifier, each bad kind fails as designed."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError

from rempart.lab.pki import WRONG_HOST, LabPKI
from rempart.lab.profiles import CertProfile

HOST = "boulangerie-1.lab"
NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPKI:
    return LabPKI.create(tmp_path_factory.mktemp("pki"), seed=7)


def _chain(pki: LabPKI, profile: CertProfile) -> list[x509.Certificate]:
    issued = pki.issue([HOST, f"www.{HOST}"], profile)
    return [x509.load_der_x509_certificate(der) for der in issued.chain_der]


def _verify(
    pki: LabPKI, chain: list[x509.Certificate], host: str = HOST, when: datetime.datetime = NOW
) -> None:
    root = x509.load_pem_x509_certificate(pki.ca_file.read_bytes())
    verifier = PolicyBuilder().store(Store([root])).time(when).build_server_verifier(DNSName(host))
    verifier.verify(chain[0], chain[1:])


def test_create_writes_the_root_as_ca_pem(pki: LabPKI) -> None:
    root = x509.load_pem_x509_certificate(pki.ca_file.read_bytes())
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert root.subject == root.issuer


def test_a_good_leaf_validates_under_the_strict_verifier(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile())
    _verify(pki, chain)
    _verify(pki, chain, host=f"www.{HOST}")
    leaf = chain[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.DNSName) == [HOST, f"www.{HOST}"]
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)


def test_good_rsa_leaf_has_key_encipherment(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile(key="rsa2048"))
    _verify(pki, chain)
    assert chain[0].extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment


@pytest.mark.parametrize(
    ("validity", "inside"),
    [("expired", -20), ("not_yet_valid", 20), ("expiring", 0)],
)
def test_validity_kinds(pki: LabPKI, validity: str, inside: int) -> None:
    chain = _chain(pki, CertProfile(validity=validity))  # type: ignore[arg-type]
    leaf = chain[0]
    if validity == "expiring":
        _verify(pki, chain)  # still valid today, ends within 30 days
        assert leaf.not_valid_after_utc - NOW < datetime.timedelta(days=11)
        return
    with pytest.raises(VerificationError):
        _verify(pki, chain)
    _verify(pki, chain, when=NOW + datetime.timedelta(days=inside))  # valid then
    if validity == "expired":
        assert leaf.not_valid_after_utc < NOW
    else:
        assert leaf.not_valid_before_utc > NOW


def test_mismatched_leaf_names_another_host(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile(matches_host=False))
    with pytest.raises(VerificationError):
        _verify(pki, chain)
    _verify(pki, chain, host=WRONG_HOST)


def test_self_signed_leaf_is_alone_and_untrusted(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile(self_signed=True))
    assert len(chain) == 1 and chain[0].subject == chain[0].issuer
    with pytest.raises(VerificationError):
        _verify(pki, chain)


def test_weak_key_is_rsa_1024(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile(key="rsa1024"))
    key = chain[0].public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    _verify(pki, chain)  # trusted and valid: only the key size is weak


def test_weak_signature_is_sha1_by_the_intermediate(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile(signature="sha1"))
    assert isinstance(chain[0].signature_hash_algorithm, hashes.SHA1)
    assert chain[0].issuer == chain[1].subject
    issuer_key = chain[1].public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey)  # cryptography won't check SHA-1 itself
    issuer_key.verify(
        chain[0].signature, chain[0].tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1()
    )
    with pytest.raises(VerificationError):
        _verify(pki, chain)


def test_self_signed_ec_leaf_can_be_sha1_too(pki: LabPKI) -> None:
    chain = _chain(pki, CertProfile(self_signed=True, signature="sha1"))
    leaf = chain[0]
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA1)
    key = leaf.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(leaf.signature, leaf.tbs_certificate_bytes, ec.ECDSA(hashes.SHA1()))


def test_issued_files_hold_the_chain_and_key(pki: LabPKI) -> None:
    issued = pki.issue([HOST], CertProfile())
    assert issued.chain_pem_path.read_bytes().count(b"BEGIN CERTIFICATE") == 2
    assert b"PRIVATE KEY" in issued.key_path.read_bytes()
    assert len(issued.chain_der) == 2


def test_issuing_hundreds_of_leaves_is_fast(tmp_path: Path) -> None:
    pki = LabPKI.create(tmp_path, seed=1)
    kinds = [CertProfile(), CertProfile(key="rsa2048"), CertProfile(key="rsa1024")]
    start = time.monotonic()
    serials = {pki.issue([f"b{i}.lab"], kinds[i % 3]).chain_der[0] for i in range(200)}
    assert len(serials) == 200
    assert time.monotonic() - start < 5
