"""Pure TLS builders and parsers (dense), and the raw client against a live Python ssl server.

Addresses: 127.32.0.0/16.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import struct
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519
from cryptography.x509.oid import NameOID

from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.net import tlsraw
from rempart.engine.net import tlsrecords as tr


def hello_body(record: bytes) -> bytes:
    records, rest = tr.split_records(record)
    assert rest == b"" and len(records) == 1 and records[0].content_type == tr.HANDSHAKE
    messages, rest = tr.split_handshakes(records[0].fragment)
    assert rest == b"" and messages[0][0] == tr.CLIENT_HELLO
    return messages[0][1]


# -- ClientHello round trips -----------------------------------------------------------


def test_a_tls12_hello_round_trips_with_every_extension() -> None:
    opts = tr.HelloOptions(server_name="shop.example", compression=(1, 0), heartbeat=True)
    record = tr.client_hello(tr.TLS12, [0xC02F, 0x002F], opts, random=b"R" * 32)
    assert record[:3] == b"\x16\x03\x01"  # record version TLS 1.0 for old servers
    hello = tr.parse_client_hello(hello_body(record))
    assert hello.version == tr.TLS12
    assert hello.random == b"R" * 32
    assert hello.suites == (0xC02F, 0x002F)
    assert hello.compression == (1, 0)
    assert hello.offered_versions == (tr.TLS12,)
    assert hello.extensions[tr.EXT_SERVER_NAME] == b"\x00\x0f\x00\x00\x0cshop.example"
    assert hello.extensions[tr.EXT_HEARTBEAT] == b"\x01"
    assert hello.extensions[tr.EXT_RENEGOTIATION_INFO] == b"\x00"
    assert tr.EXT_SIGNATURE_ALGORITHMS in hello.extensions
    assert tr.EXT_SUPPORTED_VERSIONS not in hello.extensions


def test_a_tls10_hello_has_no_signature_algorithms_and_scsv_goes_last() -> None:
    opts = tr.HelloOptions(renegotiation_info=False, scsv=True)
    hello = tr.parse_client_hello(hello_body(tr.client_hello(tr.TLS10, [0x002F], opts)))
    assert hello.version == tr.TLS10
    assert hello.suites == (0x002F, tr.SCSV)
    assert tr.EXT_SIGNATURE_ALGORITHMS not in hello.extensions
    assert tr.EXT_RENEGOTIATION_INFO not in hello.extensions
    assert tr.EXT_SERVER_NAME not in hello.extensions


def test_an_ssl3_hello_carries_no_extensions() -> None:
    record = tr.client_hello(tr.SSL3, [0x0005])
    assert record[:3] == b"\x16\x03\x00"
    body = hello_body(record)
    hello = tr.parse_client_hello(body)
    assert hello.version == tr.SSL3 and hello.extensions == {}
    assert body.endswith(b"\x01\x00")  # one compression method, null, and nothing after


def test_a_tls13_hello_offers_only_13_with_a_key_share() -> None:
    public = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    opts = tr.HelloOptions(key_share=public)
    hello = tr.parse_client_hello(hello_body(tr.client_hello(tr.TLS13, tr.TLS13_SUITES, opts)))
    assert hello.version == tr.TLS12  # legacy_version (RFC 8446 §4.1.2)
    assert hello.offered_versions == (tr.TLS13,)
    assert len(hello.session_id) == 32
    share = hello.extensions[tr.EXT_KEY_SHARE]
    assert share[2:4] == struct.pack("!H", tr.X25519) and share[-32:] == public
    assert tr.EXT_RENEGOTIATION_INFO not in hello.extensions


def test_the_sslv2_hello_uses_the_two_byte_header() -> None:
    record = tr.sslv2_client_hello()
    assert tr.sslv2_record_length(record) == len(record)
    assert record[2] == 1 and record[3:5] == b"\x00\x02"
    specs_len = struct.unpack("!H", record[5:7])[0]
    assert specs_len == 3 * len(tr.SSL2_CIPHERS)


# -- suite tables ----------------------------------------------------------------------


def test_suite_tables_are_consistent() -> None:
    assert set(tr.WEAK_SUITES).isdisjoint(tr.FS_SUITES)
    assert set(tr.WEAK_SUITES).isdisjoint(tr.RSA_KX_SUITES)
    assert set(tr.RSA_KX_SUITES).isdisjoint(tr.FS_SUITES)
    for name in ("RC4-SHA", "DES-CBC3-SHA", "NULL-SHA", "EXP-RC4-MD5", "ADH-AES128-SHA"):
        assert name in {tr.suite_name(c) for c in tr.WEAK_SUITES}
    assert tr.suite_name(0xBEEF) == "0xBEEF"


def test_suites_for_drops_tls12_only_suites_on_older_versions() -> None:
    old = tr.suites_for(tr.TLS10, tr.RSA_KX_SUITES)
    assert 0x002F in old and 0x009C not in old and 0x003C not in old
    assert tr.suites_for(tr.TLS12, (*tr.TLS13_SUITES, 0x009C)) == [0x009C]


# -- server flights --------------------------------------------------------------------


def test_a_server_hello_with_extensions_parses() -> None:
    exts = tr.extension(tr.EXT_RENEGOTIATION_INFO, b"\x00") + tr.extension(
        tr.EXT_SUPPORTED_VERSIONS, b"\x03\x04"
    )
    body = (
        b"\x03\x03"
        + b"r" * 32
        + b"\x20"
        + b"s" * 32
        + b"\x13\x01\x00"
        + struct.pack("!H", len(exts))
        + exts
    )
    hello = tr.parse_server_hello(body)
    assert hello.version == tr.TLS12 and hello.negotiated_version == tr.TLS13
    assert hello.cipher == 0x1301 and hello.compression == 0 and len(hello.session_id) == 32
    assert hello.extensions[tr.EXT_RENEGOTIATION_INFO] == b"\x00"


def test_a_server_hello_without_extensions_parses() -> None:
    hello = tr.parse_server_hello(b"\x03\x00" + bytes(32) + b"\x00\x00\x05\x01")
    assert hello.negotiated_version == tr.SSL3 and hello.compression == 1
    assert hello.extensions == {}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x03\x03" + bytes(31),
        b"\x03\x03" + bytes(32) + b"\x05",
        b"\x03\x03" + bytes(35) + b"\x00\x09",
    ],
)
def test_truncated_server_hellos_raise(body: bytes) -> None:
    with pytest.raises(tr.TlsParseError):
        tr.parse_server_hello(body)


def test_records_split_across_reads_and_garbage_is_refused() -> None:
    data = tr.record(tr.ALERT, tr.TLS12, b"\x02\x28") + tr.record(tr.HANDSHAKE, tr.TLS12, b"ab")
    records, rest = tr.split_records(data[:9])
    assert [r.content_type for r in records] == [tr.ALERT] and rest == data[7:9]
    records, rest = tr.split_records(data)
    assert len(records) == 2 and rest == b""
    assert tr.parse_alert(records[0].fragment).name == "handshake_failure"
    with pytest.raises(tr.TlsParseError):
        tr.split_records(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(tr.TlsParseError):
        tr.split_records(b"\x16\x03\x03\xff\xff")  # longer than any legal record


def test_handshake_messages_can_span_records() -> None:
    message = tr.handshake(tr.SERVER_HELLO_DONE, b"") + tr.handshake(tr.CERTIFICATE, b"x" * 10)
    first, rest = tr.split_handshakes(message[:7])
    assert first == [(tr.SERVER_HELLO_DONE, b"")]
    second, rest = tr.split_handshakes(rest + message[7:])
    assert second == [(tr.CERTIFICATE, b"x" * 10)] and rest == b""


def test_certificate_messages_list_ders_leaf_first() -> None:
    body = b"\x00\x00\x0a" + b"\x00\x00\x02ab" + b"\x00\x00\x02cd"
    assert tr.parse_certificate(body) == [b"ab", b"cd"]
    with pytest.raises(tr.TlsParseError):
        tr.parse_certificate(b"\x00\x00\x09\x00\x00\x05ab")


def test_sslv2_server_hello_parses() -> None:
    specs = (0x010080).to_bytes(3, "big") + (0x0700C0).to_bytes(3, "big")
    body = struct.pack("!BBBHHHH", 4, 0, 1, tr.SSL2, 3, len(specs), 16) + b"DER" + specs
    record = struct.pack("!H", 0x8000 | (len(body) + 16)) + body + bytes(16)
    hello = tr.parse_sslv2_server_hello(record)
    assert hello.version == tr.SSL2 and hello.ciphers == (0x010080, 0x0700C0)
    assert hello.certificate == b"DER"
    assert tr.sslv2_record_length(b"\x16\x03") is None


def test_heartbeat_ccs_and_key_exchange_records() -> None:
    assert tr.heartbeat_request(tr.TLS12) == b"\x18\x03\x03\x00\x03\x01\x40\x00"
    assert tr.change_cipher_spec(tr.TLS10) == b"\x14\x03\x01\x00\x01\x01"
    cke = tr.client_key_exchange(tr.TLS12, b"C" * 256)
    assert cke[5] == tr.CLIENT_KEY_EXCHANGE and cke[9:11] == b"\x01\x00"
    assert tr.client_key_exchange(tr.SSL3, b"C" * 4)[9:] == b"CCCC"


# -- ROBOT payloads --------------------------------------------------------------------


def test_robot_valid_premaster_decrypts_and_the_others_do_not() -> None:
    key = rsa.generate_private_key(65537, 2048)
    numbers = key.public_key().public_numbers()
    plaintexts = tlsraw.robot_plaintexts(256, tr.TLS12)
    assert {len(p) for p in plaintexts.values()} == {256}
    valid = tlsraw.rsa_encrypt_raw(plaintexts["valid"], numbers.e, numbers.n)
    premaster = key.decrypt(valid, padding.PKCS1v15())
    assert len(premaster) == 48 and premaster[:2] == b"\x03\x03"
    d = key.private_numbers().d
    for plain in plaintexts.values():  # textbook RSA round trip for every variant
        ciphertext = tlsraw.rsa_encrypt_raw(plain, numbers.e, numbers.n)
        assert pow(int.from_bytes(ciphertext, "big"), d, numbers.n).to_bytes(256, "big") == plain
    assert plaintexts["wrong_first_bytes"][:2] == b"\x41\x17"
    assert b"\x00" not in plaintexts["no_00_separator"][2:-46]
    assert plaintexts["wrong_version"][-48:-46] == b"\x02\x02"


# -- against a live OpenSSL server -----------------------------------------------------


@pytest.fixture(scope="module")
def server_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "raw.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("raw.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder: Path = tmp_path_factory.mktemp("raw")
    (folder / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "k.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    return str(folder / "c.pem"), str(folder / "k.pem")


async def _serve(ip: str, files: tuple[str, str]) -> asyncio.AbstractServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*files)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.read(100), 5)
        except (OSError, TimeoutError, ssl.SSLError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, ip, 443, ssl=context)


async def test_openssl_server_flights_parse(server_files: tuple[str, str]) -> None:
    ip = "127.32.10.1"
    server = await _serve(ip, server_files)
    ctx = ScanContext(ScanConfig(lab=True, timeout=2.0))
    try:
        opts = tr.HelloOptions(server_name="raw.example")
        flight = await tlsraw.hello_flight(
            ctx, ip, 443, tr.client_hello(tr.TLS12, tr.FS_SUITES, opts)
        )
        assert flight.done and flight.hello is not None
        assert flight.hello.negotiated_version == tr.TLS12
        assert tr.suite_name(flight.hello.cipher).startswith("ECDHE-ECDSA")
        assert tr.EXT_RENEGOTIATION_INFO in flight.hello.extensions
        leaf = x509.load_der_x509_certificate(flight.certificates[0])
        assert leaf.subject.rfc4514_string() == "CN=raw.example"

        public = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
        hello13 = tr.client_hello(tr.TLS13, tr.TLS13_SUITES, tr.HelloOptions(key_share=public))
        flight13 = await tlsraw.hello_flight(ctx, ip, 443, hello13)
        assert flight13.hello is not None and flight13.hello.negotiated_version == tr.TLS13
        assert not flight13.certificates  # encrypted in TLS 1.3

        old = await tlsraw.hello_flight(ctx, ip, 443, tr.client_hello(tr.TLS10, [0x002F]))
        assert old.hello is None and (old.alert is not None or old.closed)
        assert not old.describe().startswith("ServerHello")
    finally:
        server.close()
        await server.wait_closed()


async def test_the_flight_reader_gives_up_at_the_timeout() -> None:
    ip = "127.32.10.2"

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x16\x03\x03\x00\x40" + b"\x02")  # a record that never completes
        await writer.drain()
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(trickle, ip, 443)
    ctx = ScanContext(ScanConfig(lab=True, timeout=0.5))
    try:
        start = asyncio.get_running_loop().time()
        flight = await tlsraw.hello_flight(ctx, ip, 443, tr.client_hello(tr.TLS12, [0x002F]))
        assert asyncio.get_running_loop().time() - start < 2
        assert flight.timed_out and flight.hello is None
    finally:
        server.close()
        await server.wait_closed()
