"""The tls family against real loopback servers: Python ssl servers and raw fakes.

The fakes play what OpenSSL 3 can no longer do (SSL 2.0/3.0, RC4, compression, missing
renegotiation_info, Heartbleed, CCS injection, a ROBOT oracle) so each detection is seen to
fail and to pass. Addresses: 127.32.0.0/16.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import ssl
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from rempart.engine.checks import tls
from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.model import Observation, Status
from rempart.engine.net import tlsrecords as tr
from rempart.engine.net import x509check as xc
from rempart.engine.target import Target, TargetKind

NOW = dt.datetime.now(dt.UTC)
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


# -- a small PKI -----------------------------------------------------------------------


def new_key(kind: str = "ec256") -> Key:
    if kind.startswith("rsa"):
        return rsa.generate_private_key(65537, int(kind[3:]))
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(
    cn: str,
    key: Key,
    issuer: tuple[x509.Certificate, Key] | None = None,
    *,
    sans: tuple[str, ...] = (),
    ca: bool = False,
    digest: hashes.HashAlgorithm | None = None,
    days: tuple[int, int] = (-1, 90),
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, signer = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        entries: list[x509.GeneralName] = []
        for san in sans:
            try:
                entries.append(x509.IPAddress(__import__("ipaddress").ip_address(san)))
            except ValueError:
                entries.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return builder.sign(signer, digest or hashes.SHA256())


SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # DER OID sha256WithRSAEncryption
SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # sha1WithRSAEncryption, same length


def resign_sha1(cert: x509.Certificate, signer: rsa.RSAPrivateKey) -> x509.Certificate:
    """cryptography no longer signs with SHA-1: swap the OID and sign the TBS by hand."""
    der = cert.public_bytes(serialization.Encoding.DER)
    tbs = cert.tbs_certificate_bytes.replace(SHA256_RSA, SHA1_RSA)
    signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    der = der.replace(cert.tbs_certificate_bytes, tbs).replace(SHA256_RSA, SHA1_RSA)
    return x509.load_der_x509_certificate(der.replace(cert.signature, signature))


@dataclass
class Pki:
    root: x509.Certificate
    root_key: Key
    inter: x509.Certificate
    inter_key: Key
    ca_file: Path

    def leaf(
        self, *sans: str, key: Key | None = None, **kw: object
    ) -> tuple[x509.Certificate, Key]:
        key = key or new_key()
        cert = make_cert(sans[0], key, (self.inter, self.inter_key), sans=sans, **kw)  # type: ignore[arg-type]
        return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root_key = new_key()
    root = make_cert("Rempart Test Root", root_key, ca=True, days=(-10, 3650))
    inter_key = new_key()
    inter = make_cert("Rempart Test Issuing CA", inter_key, (root, root_key), ca=True)
    ca_file = tmp_path_factory.mktemp("pki") / "ca.pem"
    ca_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return Pki(root, root_key, inter, inter_key, ca_file)


def pem_files(tmp: Path, chain: list[x509.Certificate], key: Key) -> tuple[str, str]:
    cert_path, key_path = tmp / f"c{os.urandom(4).hex()}.pem", tmp / f"k{os.urandom(4).hex()}.pem"
    cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


# -- servers ---------------------------------------------------------------------------


@asynccontextmanager
async def ssl_server(ip: str, context: ssl.SSLContext, port: int = 443) -> AsyncIterator[None]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.read(1024), 5)
        except (OSError, TimeoutError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, ip, port, ssl=context, ssl_handshake_timeout=5)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def tcp_server(ip: str, port: int, handler) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    server = await asyncio.start_server(handler, ip, port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


@dataclass
class Behaviour:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey | None = None
    versions: tuple[int, ...] = (tr.TLS12,)
    suites: tuple[int, ...] = (0xC02F, 0x002F)  # server preference order
    compression: bool = False
    secure_reneg: bool = True
    heartbleed: bool = False
    ccs: bool = False
    robot: bool = False
    sslv2: bool = False
    chain: tuple[x509.Certificate, ...] = ()  # served after the leaf


def _u16(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _u24(data: bytes) -> bytes:
    return len(data).to_bytes(3, "big") + data


def _alert(version: int, description: int) -> bytes:
    return tr.record(tr.ALERT, version, bytes([2, description]))


def _server_hello(b: Behaviour, hello: tr.ClientHello, version: int, suite: int) -> bytes:
    exts = b""
    wants_reneg = tr.EXT_RENEGOTIATION_INFO in hello.extensions or tr.SCSV in hello.suites
    if b.secure_reneg and wants_reneg:
        exts += tr.extension(tr.EXT_RENEGOTIATION_INFO, b"\x00")
    if tr.EXT_HEARTBEAT in hello.extensions:
        exts += tr.extension(tr.EXT_HEARTBEAT, b"\x01")
    compression = 1 if b.compression and 1 in hello.compression else 0
    body = (
        struct.pack("!H", version)
        + os.urandom(32)
        + b"\x00"
        + struct.pack("!HB", suite, compression)
    )
    body += _u16(exts) if exts else b""
    ders = [c.public_bytes(serialization.Encoding.DER) for c in (b.cert, *b.chain)]
    flight = (
        tr.handshake(tr.SERVER_HELLO, body)
        + tr.handshake(tr.CERTIFICATE, _u24(b"".join(_u24(der) for der in ders)))
        + tr.handshake(tr.SERVER_HELLO_DONE, b"")
    )
    return tr.record(tr.HANDSHAKE, version, flight)


def _sslv2_server_hello(b: Behaviour) -> bytes:
    der = b.cert.public_bytes(serialization.Encoding.DER)
    specs = (0x0700C0).to_bytes(3, "big")
    body = struct.pack("!BBBHHHH", 4, 0, 1, tr.SSL2, len(der), len(specs), 16) + der + specs
    body += os.urandom(16)
    return struct.pack("!H", 0x8000 | len(body)) + body


async def _after_flight(b: Behaviour, version: int, reader, writer) -> None:  # type: ignore[no-untyped-def]
    ccs_seen = 0
    while True:
        ctype, _, length = struct.unpack("!BHH", await reader.readexactly(5))
        fragment = await reader.readexactly(length)
        if ctype == tr.HEARTBEAT and b.heartbleed:
            claimed = int.from_bytes(fragment[1:3], "big")
            writer.write(
                tr.record(tr.HEARTBEAT, version, b"\x02" + fragment[1:3] + os.urandom(claimed))
            )
        elif ctype == tr.HEARTBEAT:
            writer.write(_alert(version, 10))
            return
        elif ctype == tr.CHANGE_CIPHER_SPEC:
            ccs_seen += 1
            if not b.ccs:
                writer.write(_alert(version, 10))
                return
            if ccs_seen >= 2:
                writer.write(_alert(version, 20))
                return
        elif ctype == tr.HANDSHAKE and fragment[:1] == bytes([tr.CLIENT_KEY_EXCHANGE]):
            ciphertext = int.from_bytes(fragment[6:], "big")
            assert b.key is not None
            numbers = b.key.private_numbers()
            size = b.key.key_size // 8
            plain = pow(ciphertext, numbers.d, numbers.public_numbers.n).to_bytes(size, "big")
            oracle = b.robot and plain[:2] != b"\x00\x02"
            writer.write(_alert(version, 40 if oracle else 20))
            return
        await writer.drain()


def fake_tls(b: Behaviour):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readexactly(2), 3)
            if head[0] & 0x80:  # SSL 2.0 CLIENT-HELLO
                await reader.readexactly(((head[0] & 0x7F) << 8) | head[1])
                if b.sslv2:
                    writer.write(_sslv2_server_hello(b))
                    await writer.drain()
                return
            rest = await reader.readexactly(3)
            fragment = await reader.readexactly(int.from_bytes(rest[1:3], "big"))
            messages, _ = tr.split_handshakes(fragment)
            hello = tr.parse_client_hello(messages[0][1])
            version = hello.version
            if tr.TLS13 in hello.offered_versions or version not in b.versions:
                writer.write(_alert(tr.TLS10, 70))
                return
            suite = next((s for s in b.suites if s in hello.suites), None)
            if suite is None:
                writer.write(_alert(version, 40))
                return
            writer.write(_server_hello(b, hello, version, suite))
            await writer.drain()
            await asyncio.wait_for(_after_flight(b, version, reader, writer), 5)
        except (asyncio.IncompleteReadError, TimeoutError, OSError):
            pass
        finally:
            writer.close()

    return handle


# -- helpers ---------------------------------------------------------------------------


def context_for(pki: Pki, **overrides: object) -> ScanContext:
    config = ScanConfig(lab=True, ca_files=(pki.ca_file,), timeout=2.0, retries=0)
    return ScanContext(config)


def by_check(observations: list[Observation]) -> dict[str, Observation]:
    found = {o.check: o for o in observations}
    assert len(found) == len(observations), "one observation per check"
    return found


def statuses(observations: list[Observation]) -> dict[str, str]:
    return {o.check: str(o.status) for o in observations}


def failing(observations: list[Observation]) -> set[str]:
    return {o.check for o in observations if o.status is Status.FAIL}


# -- Python ssl servers ----------------------------------------------------------------


async def test_a_modern_server_passes_every_check(pki: Pki, tmp_path: Path) -> None:
    ip = "127.32.0.1"
    leaf, key = pki.leaf(ip)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*pem_files(tmp_path, [leaf, pki.inter], key))
    async with ssl_server(ip, context):
        observations = await tls.run(Target(TargetKind.HOST, ip, 443), context_for(pki))
    found = by_check(observations)
    assert set(found) == set(tls.TLS_IDS)
    assert statuses(observations) == {c: "pass" for c in tls.TLS_IDS}, observations
    assert "TLS 1.3" in found["tls.missing"].evidence
    assert found["tls.cert.untrusted"].location == f"{ip}:443"


async def test_a_legacy_openssl_server_fails_protocols_suites_and_certificate(
    pki: Pki, tmp_path: Path
) -> None:
    ip = "127.32.0.2"
    key = new_key("rsa1024")
    assert isinstance(key, rsa.RSAPrivateKey)
    leaf = resign_sha1(make_cert("legacy", key, sans=("old.example",), days=(-60, -1)), key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:NULL-SHA:@SECLEVEL=0")
    context.load_cert_chain(*pem_files(tmp_path, [leaf], key))
    async with ssl_server(ip, context):
        observations = await tls.run(Target(TargetKind.HOST, ip, 443), context_for(pki))
    found = by_check(observations)
    assert failing(observations) == {
        "tls.protocol.tls10", "tls.protocol.tls11", "tls.protocol.no_tls13",
        "tls.cipher.weak", "tls.cipher.no_forward_secrecy", "tls.cert.expired",
        "tls.cert.hostname_mismatch", "tls.cert.untrusted", "tls.cert.weak_key",
        "tls.cert.weak_signature",
    }, statuses(observations)  # fmt: skip
    assert "NULL" in found["tls.cipher.weak"].evidence
    assert found["tls.vuln.robot"].status is Status.PASS  # OpenSSL answers uniformly
    assert "self-signed" in found["tls.cert.untrusted"].evidence
    assert "RSA 1024" in found["tls.cert.weak_key"].evidence


async def test_a_tls13_only_server_gets_its_leaf_through_openssl(pki: Pki, tmp_path: Path) -> None:
    ip = "127.32.0.3"
    leaf, key = pki.leaf("shop.example", days=(-1, 10))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(*pem_files(tmp_path, [leaf, pki.inter], key))
    sub = tls.Subject("shop.example", ip, 443, "shop.example:443")
    async with ssl_server(ip, context):
        found = by_check(await tls.scan_subject(context_for(pki), sub))
    assert found["tls.protocol.no_tls13"].status is Status.PASS
    assert found["tls.cert.expiring"].status is Status.FAIL
    assert found["tls.cert.hostname_mismatch"].status is Status.PASS
    # Only the leaf is readable: the chain cannot be judged, which is not a pass.
    assert found["tls.cert.untrusted"].status is Status.ERROR
    assert found["tls.cipher.weak"].status is Status.PASS


async def test_a_certificate_for_another_name_is_a_mismatch(pki: Pki, tmp_path: Path) -> None:
    ip = "127.32.0.4"
    leaf, key = pki.leaf("other.example")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*pem_files(tmp_path, [leaf, pki.inter], key))
    sub = tls.Subject("shop.example", ip, 443, "shop.example:443")
    async with ssl_server(ip, context):
        found = by_check(await tls.scan_subject(context_for(pki), sub))
    assert found["tls.cert.hostname_mismatch"].status is Status.FAIL
    assert "other.example" in found["tls.cert.hostname_mismatch"].evidence
    assert found["tls.cert.untrusted"].status is Status.PASS


# -- raw fakes -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_leaf(pki: Pki) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = new_key("rsa2048")
    assert isinstance(key, rsa.RSAPrivateKey)
    cert, _ = pki.leaf("127.32.1.1", "127.32.1.2", "127.32.1.3", key=key)
    return cert, key


async def test_a_server_with_every_legacy_flaw_fails_each_check(
    pki: Pki, rsa_leaf: tuple[x509.Certificate, rsa.RSAPrivateKey]
) -> None:
    ip = "127.32.1.1"
    b = Behaviour(
        rsa_leaf[0], rsa_leaf[1],
        versions=(tr.SSL3, tr.TLS10, tr.TLS11, tr.TLS12),
        suites=(0xC02F, 0x002F, 0x0005, 0xC013), compression=True, secure_reneg=False,
        heartbleed=True, ccs=True, robot=True, sslv2=True, chain=(pki.inter,),
    )  # fmt: skip
    async with tcp_server(ip, 443, fake_tls(b)):
        observations = await tls.run(Target(TargetKind.HOST, ip, 443), context_for(pki))
    found = by_check(observations)
    assert failing(observations) == {
        "tls.protocol.sslv2", "tls.protocol.sslv3", "tls.protocol.tls10", "tls.protocol.tls11",
        "tls.protocol.no_tls13", "tls.cipher.weak", "tls.cipher.no_forward_secrecy",
        "tls.vuln.heartbleed", "tls.vuln.robot", "tls.vuln.ccs_injection", "tls.compression",
        "tls.renegotiation.insecure",
    }, statuses(observations)  # fmt: skip
    assert "RC4-SHA" in found["tls.cipher.weak"].evidence
    assert (
        "16384" in found["tls.vuln.heartbleed"].evidence
        or "byte" in found["tls.vuln.heartbleed"].evidence
    )
    assert "wrong_first_bytes: alert handshake_failure" in found["tls.vuln.robot"].evidence
    assert found["tls.cert.untrusted"].status is Status.PASS


async def test_a_fake_without_flaws_passes_the_vulnerability_checks(
    pki: Pki, rsa_leaf: tuple[x509.Certificate, rsa.RSAPrivateKey]
) -> None:
    ip = "127.32.1.2"
    async with tcp_server(ip, 443, fake_tls(Behaviour(rsa_leaf[0], rsa_leaf[1]))):
        observations = await tls.run(Target(TargetKind.HOST, ip, 443), context_for(pki))
    found = by_check(observations)
    assert found["tls.cert.untrusted"].status is Status.FAIL  # the intermediate is not served
    # It still takes AES128-SHA (RSA key exchange) on TLS 1.2, and has no TLS 1.3.
    assert failing(observations) == {
        "tls.cipher.no_forward_secrecy",
        "tls.protocol.no_tls13",
        "tls.cert.untrusted",
    }
    assert "AES128-SHA" in found["tls.cipher.no_forward_secrecy"].evidence
    assert "alert bad_record_mac" in found["tls.vuln.robot"].evidence
    assert "unexpected_message" in found["tls.vuln.ccs_injection"].evidence


async def test_a_silent_peer_gives_errors_not_passes(pki: Pki) -> None:
    ip = "127.32.2.1"

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)
        writer.close()

    async with tcp_server(ip, 443, silent):
        start = asyncio.get_running_loop().time()
        observations = await tls.run(Target(TargetKind.HOST, ip, 443), context_for(pki))
        elapsed = asyncio.get_running_loop().time() - start
    assert {o.status for o in observations} == {Status.ERROR}
    assert len(observations) == len(tls.TLS_IDS)
    assert elapsed < 8
    assert "no answer" in observations[0].reason


async def test_plain_http_on_443_is_an_error_saying_not_tls(pki: Pki) -> None:
    ip = "127.32.2.2"

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    async with tcp_server(ip, 443, http):
        observations = await tls.run(Target(TargetKind.HOST, ip, 443), context_for(pki))
    found = by_check(observations)
    assert found["tls.missing"].status is Status.ERROR
    assert "not TLS" in found["tls.missing"].reason


async def test_http_without_https_is_tls_missing(pki: Pki) -> None:
    ip = "127.32.2.3"

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async with tcp_server(ip, 80, http):
        observations = await tls.run(Target(TargetKind.HOST, ip), context_for(pki))
    found = by_check(observations)
    assert found["tls.missing"].status is Status.FAIL
    assert found["tls.protocol.tls10"].status is Status.SKIPPED


async def test_no_web_service_at_all_skips_everything(pki: Pki) -> None:
    observations = await tls.run(Target(TargetKind.HOST, "127.32.2.4"), context_for(pki))
    assert {o.status for o in observations} == {Status.SKIPPED}
    assert "no web service" in observations[0].reason


async def test_http_urls_are_not_tls_subjects(pki: Pki) -> None:
    target = Target(TargetKind.URL, "127.32.2.5", None, "http://127.32.2.5/")
    assert await tls.run(target, context_for(pki)) == []


async def test_unselected_checks_send_no_probe_for_them(pki: Pki, tmp_path: Path) -> None:
    ip = "127.32.0.6"
    leaf, key = pki.leaf(ip)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*pem_files(tmp_path, [leaf, pki.inter], key))
    config = ScanConfig(lab=True, ca_files=(pki.ca_file,), timeout=2.0,
                        checks=frozenset({"tls.cert.untrusted"}))  # fmt: skip
    async with ssl_server(ip, context):
        found = by_check(await tls.run(Target(TargetKind.HOST, ip), ScanContext(config)))
    assert found["tls.cert.untrusted"].status is Status.PASS
    assert "tls.vuln.robot" not in found and "tls.cipher.weak" not in found


def test_merge_keeps_the_worst_status_and_names_each_address() -> None:
    a = [Observation("tls.compression", Status.PASS, tr_sev(), "x:443", "null")]
    b = [Observation("tls.compression", Status.FAIL, tr_sev(), "x:443", "DEFLATE")]
    merged = tls.merge([a, b], ["127.32.9.1", "127.32.9.2"])
    assert len(merged) == 1
    assert merged[0].status is Status.FAIL
    assert merged[0].evidence == "127.32.9.2: DEFLATE"


def tr_sev():  # type: ignore[no-untyped-def]
    from rempart.engine.catalog import CATALOG

    return CATALOG["tls.compression"].severity


# -- x509check, pure -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "host", "ok"),
    [
        ("shop.example", "shop.example", True),
        ("SHOP.example", "shop.EXAMPLE.", True),
        ("*.example.fr", "www.example.fr", True),
        ("*.example.fr", "example.fr", False),
        ("*.example.fr", "a.b.example.fr", False),
        ("w*.example.fr", "www.example.fr", False),
        ("*.fr", "example.fr", False),
        ("www.*.fr", "www.example.fr", False),
    ],
)
def test_wildcards_follow_rfc6125(pattern: str, host: str, ok: bool) -> None:
    cert = make_cert("x", new_key(), sans=(pattern,))
    assert xc.hostname_mismatch(cert, host).failed is not ok


def test_ip_hosts_need_an_ip_san_and_cn_counts_only_without_san() -> None:
    with_ip = make_cert("127.32.3.1", new_key(), sans=("127.32.3.1",))
    assert not xc.hostname_mismatch(with_ip, "127.32.3.1").failed
    assert xc.hostname_mismatch(with_ip, "127.32.3.2").failed
    cn_only = make_cert("shop.example", new_key())
    assert not xc.hostname_mismatch(cn_only, "shop.example").failed
    san_wins = make_cert("shop.example", new_key(), sans=("other.example",))
    assert xc.hostname_mismatch(san_wins, "shop.example").failed


def test_validity_window() -> None:
    cert = make_cert("x", new_key(), days=(5, 40))
    assert xc.not_yet_valid(cert, NOW).failed
    assert not xc.expired(cert, NOW).failed
    assert not xc.expiring(cert, NOW + dt.timedelta(days=6)).failed
    assert xc.expiring(cert, NOW + dt.timedelta(days=20)).failed
    assert xc.expired(cert, NOW + dt.timedelta(days=41)).failed
    assert not xc.expiring(cert, NOW + dt.timedelta(days=41)).failed  # expired, not expiring


def test_trust_needs_the_served_intermediate(pki: Pki) -> None:
    leaf, _ = pki.leaf("shop.example")
    roots = (pki.root,)
    assert not xc.untrusted([leaf, pki.inter], roots).failed
    assert xc.untrusted([leaf], roots).failed
    assert xc.untrusted([leaf, pki.inter], xc.certifi_roots()).failed
    # An expired leaf from a trusted CA is still trusted: expiry has its own id.
    old, _ = pki.leaf("shop.example", days=(-90, -1))
    assert not xc.untrusted([old, pki.inter], roots).failed


def test_a_forged_intermediate_signature_is_untrusted(pki: Pki) -> None:
    impostor_key = new_key()
    impostor = make_cert("Rempart Test Issuing CA", impostor_key, (pki.root, new_key()), ca=True)
    leaf = make_cert("shop.example", new_key(), (impostor, impostor_key), sans=("shop.example",))
    assert xc.untrusted([leaf, impostor], (pki.root,)).failed


def test_weak_signatures_count_on_intermediates_but_not_roots() -> None:
    root_key = rsa.generate_private_key(65537, 2048)
    root = resign_sha1(make_cert("Old Root", root_key, ca=True), root_key)
    inter_key = rsa.generate_private_key(65537, 2048)
    inter = make_cert("Old CA", inter_key, (root, root_key), ca=True)
    leaf = make_cert("shop.example", new_key(), (inter, inter_key))
    # A SHA-1 self-signature on the root is moot: nobody checks it.
    assert not xc.weak_signature([leaf, inter, root], (root,)).failed
    assert not xc.untrusted([leaf, inter], (root,)).failed
    sha1_inter = resign_sha1(inter, root_key)
    verdict = xc.weak_signature([leaf, sha1_inter], (root,))
    assert verdict.failed and "intermediate" in verdict.evidence
    # SHA-1 is its own finding; the chain still verifies by signature.
    assert not xc.untrusted([leaf, sha1_inter], (root,)).failed


@pytest.mark.parametrize(
    ("kind", "weak"), [("rsa1024", True), ("rsa2048", False), ("ec256", False)]
)
def test_weak_keys(kind: str, weak: bool) -> None:
    assert xc.weak_key(make_cert("x", new_key(kind))).failed is weak


def test_weak_ec_curve() -> None:
    key = ec.generate_private_key(ec.SECP192R1()) if hasattr(ec, "SECP192R1") else None
    if key is None:
        pytest.skip("no P-192 in this cryptography build")
    try:
        cert = make_cert("x", key)
    except Exception:
        pytest.skip("P-192 signing unsupported")
    assert xc.weak_key(cert).failed
