"""The lab's TLS listeners: the real server per profile, and the raw legacy front on the wire."""

from __future__ import annotations

import asyncio
import os
import ssl
import struct
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rempart.lab import tlswire as w
from rempart.lab.pki import Issued, LabPKI
from rempart.lab.profiles import CertProfile, TlsProfile
from rempart.lab.tlsfront import start_broken_tls, start_hanging_tls
from rempart.lab.tlsserver import server_context, start_tls_service

HOST = "garage-2.lab"
RSA = CertProfile(key="rsa2048")
_next_address = iter(f"127.32.{128 + i // 250}.{i % 250 + 1}" for i in range(10_000))

# Suite ids used by the hand-built hellos.
ECDHE_RSA_GCM, ECDHE_RSA_CBC, AES128_SHA, RC4_SHA = 0xC02F, 0xC013, 0x002F, 0x0005


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPKI:
    return LabPKI.create(tmp_path_factory.mktemp("tls"), seed=3)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A trivial HTTP app: answers the request line back."""
    line = await reader.readline()
    body = b"echo: " + line.strip()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()


Start = Callable[[TlsProfile], Awaitable[tuple[str, int, Issued]]]


@pytest_asyncio.fixture(loop_scope="function")  # the loop the test's servers run in
async def serve(pki: LabPKI) -> AsyncIterator[Start]:
    servers = []

    async def start(tls: TlsProfile) -> tuple[str, int, Issued]:
        issued = pki.issue([HOST], tls.cert)
        address = next(_next_address)
        server = await start_tls_service(address, 4443, tls, issued, echo)
        servers.append(server)
        return address, 4443, issued

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def client_context(
    pki: LabPKI, *, version: ssl.TLSVersion | None = None, ciphers: str | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    if version is not None:
        with warnings.catch_warnings():  # TLSv1/TLSv1_1 are deprecated: the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = version
    if ciphers or version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        context.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
    return context


async def https_get(address: str, port: int, context: ssl.SSLContext) -> tuple[str, bytes]:
    """(negotiated version, response) of one request over TLS."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(address, port, ssl=context, server_hostname=HOST), 5
    )
    ssl_object = writer.get_extra_info("ssl_object")
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return ssl_object.version(), answer


async def handshake_ok(address: str, port: int, context: ssl.SSLContext) -> bool:
    try:
        await https_get(address, port, context)
    except (ssl.SSLError, ConnectionError):
        return False
    return True


# -- the real server ------------------------------------------------------------------


async def test_good_profile_serves_https_with_a_trusted_chain(pki: LabPKI, serve: Start) -> None:
    address, port, _ = await serve(TlsProfile())
    version, answer = await https_get(address, port, client_context(pki))
    assert version == "TLSv1.3"
    assert answer.endswith(b"echo: GET / HTTP/1.0")


@pytest.mark.parametrize("flag", [True, False])
async def test_tls10_is_accepted_iff_the_flag(pki: LabPKI, serve: Start, flag: bool) -> None:
    address, port, _ = await serve(TlsProfile(tls10=flag))
    context = client_context(pki, version=ssl.TLSVersion.TLSv1)
    assert await handshake_ok(address, port, context) is flag
    tls11 = client_context(pki, version=ssl.TLSVersion.TLSv1_1)
    assert await handshake_ok(address, port, tls11) is False  # 1.0 alone, not 1.1


@pytest.mark.parametrize("flag", [True, False])
async def test_tls13_is_offered_iff_the_flag(pki: LabPKI, serve: Start, flag: bool) -> None:
    address, port, _ = await serve(TlsProfile(tls13=flag))
    version, _ = await https_get(address, port, client_context(pki))
    assert version == ("TLSv1.3" if flag else "TLSv1.2")


@pytest.mark.parametrize("flag", [True, False])
async def test_rsa_key_exchange_iff_no_forward_secrecy(
    pki: LabPKI, serve: Start, flag: bool
) -> None:
    address, port, _ = await serve(TlsProfile(no_forward_secrecy=flag, cert=RSA))
    context = client_context(pki, version=ssl.TLSVersion.TLSv1_2, ciphers="AES128-SHA")
    assert await handshake_ok(address, port, context) is flag


def test_weak_certificates_load_at_security_level_zero(pki: LabPKI) -> None:
    for cert in (CertProfile(key="rsa1024"), CertProfile(signature="sha1", key="rsa2048")):
        server_context(pki.issue([HOST], cert), TlsProfile(cert=cert))


async def test_tls13_client_is_handed_to_the_real_server_on_a_legacy_listener(
    pki: LabPKI, serve: Start
) -> None:
    address, port, _ = await serve(TlsProfile(heartbleed=True, sslv3=True, tls13=False, cert=RSA))
    version, answer = await https_get(address, port, client_context(pki))
    assert version == "TLSv1.2"  # the client offered 1.3; the profile stops at 1.2
    assert answer.endswith(b"echo: GET / HTTP/1.0")


# -- hand-built hellos for the raw front ------------------------------------------------


def ext(kind: int, body: bytes) -> bytes:
    return struct.pack(">HH", kind, len(body)) + body


def client_hello(
    version: int = w.TLS12,
    ciphers: tuple[int, ...] = (ECDHE_RSA_GCM, ECDHE_RSA_CBC, AES128_SHA),
    compressions: bytes = b"\x00",
    extensions: bytes = b"",
) -> bytes:
    body = struct.pack(">H", version) + os.urandom(32) + b"\x00"
    body += struct.pack(">H", 2 * len(ciphers)) + struct.pack(f">{len(ciphers)}H", *ciphers)
    body += bytes((len(compressions),)) + compressions
    if extensions:
        body += struct.pack(">H", len(extensions)) + extensions
    return w.record(w.HANDSHAKE, w.TLS10, w.handshake(w.CLIENT_HELLO, body))


GROUPS = ext(w.EXT_SUPPORTED_GROUPS, b"\x00\x04\x00\x1d\x00\x17")
RENEGOTIATION = ext(w.EXT_RENEGOTIATION_INFO, b"\x00")
HEARTBEAT = ext(w.EXT_HEARTBEAT, b"\x01")


class Flight:
    def __init__(self, data: bytes):
        records, _ = w.split_records(data)
        self.alert = next((p[1] for t, _, p in records if t == w.ALERT), None)
        messages = b"".join(p for t, _, p in records if t == w.HANDSHAKE)
        self.types, self.hello, self.certs = [], b"", []
        while len(messages) >= 4:
            kind, length = messages[0], int.from_bytes(messages[1:4], "big")
            self.types.append(kind)
            body, messages = messages[4 : 4 + length], messages[4 + length :]
            if kind == w.SERVER_HELLO:
                self.hello = body
            if kind == w.CERTIFICATE:
                self.certs = [body[6 : 6 + int.from_bytes(body[3:6], "big")]]

    @property
    def version(self) -> int:
        return int.from_bytes(self.hello[:2], "big")

    @property
    def cipher(self) -> int:
        sid = self.hello[34]
        return int.from_bytes(self.hello[35 + sid : 37 + sid], "big")

    @property
    def compression(self) -> int:
        return self.hello[37 + self.hello[34]]

    @property
    def extensions(self) -> set[int]:
        rest, kinds = self.hello[40 + self.hello[34] :], set()
        while len(rest) >= 4:
            kinds.add(int.from_bytes(rest[:2], "big"))
            rest = rest[4 + int.from_bytes(rest[2:4], "big") :]
        return kinds


class Raw:
    """A plain TCP client speaking hand-built records."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, address: str, port: int) -> Raw:
        return cls(*await asyncio.open_connection(address, port))

    async def hello(self, data: bytes) -> Flight:
        self.writer.write(data)
        received = b""
        while w.SERVER_HELLO_DONE not in Flight(received).types:
            chunk = await asyncio.wait_for(self.reader.read(65536), 5)
            if not chunk:
                break
            received += chunk
        return Flight(received)

    async def answer(self, data: bytes, wait: float = 2.0) -> bytes | None:
        """What the server sends back (b"" for a close), None when it stays silent."""
        self.writer.write(data)
        try:
            return await asyncio.wait_for(self.reader.read(65536), wait)
        except TimeoutError:
            return None

    def close(self) -> None:
        self.writer.close()


async def front_flight(start: Start, tls: TlsProfile, hello: bytes) -> Flight:
    address, port, _ = await start(tls)
    raw = await Raw.connect(address, port)
    try:
        return await raw.hello(hello)
    finally:
        raw.close()


@pytest.mark.parametrize("flag", [True, False])
async def test_sslv3_hello_is_answered_with_sslv3_iff_the_flag(serve: Start, flag: bool) -> None:
    tls = TlsProfile(sslv3=flag, weak_cipher=not flag, cert=RSA)
    flight = await front_flight(serve, tls, client_hello(w.SSL3, (AES128_SHA, RC4_SHA)))
    if flag:
        assert flight.version == w.SSL3 and flight.cipher == AES128_SHA
        assert flight.types == [w.SERVER_HELLO, w.CERTIFICATE, w.SERVER_HELLO_DONE]
    else:
        assert flight.alert == w.PROTOCOL_VERSION


async def test_tls12_hello_gets_an_ecdhe_flight_with_the_chain(serve: Start) -> None:
    flight = await front_flight(
        serve, TlsProfile(robot=True, cert=RSA), client_hello(extensions=GROUPS)
    )
    assert (flight.version, flight.cipher) == (w.TLS12, ECDHE_RSA_GCM)
    assert flight.types == [
        w.SERVER_HELLO,
        w.CERTIFICATE,
        w.SERVER_KEY_EXCHANGE,
        w.SERVER_HELLO_DONE,
    ]
    assert x509.load_der_x509_certificate(flight.certs[0]).subject.rfc4514_string() == f"CN={HOST}"


@pytest.mark.parametrize("flag", [True, False])
async def test_weak_suite_is_chosen_iff_the_flag(serve: Start, flag: bool) -> None:
    tls = TlsProfile(weak_cipher=flag, compression=not flag, cert=RSA)
    flight = await front_flight(serve, tls, client_hello(ciphers=(RC4_SHA,)))
    assert (bool(flight.hello) and flight.cipher == RC4_SHA) is flag
    assert (flight.alert == w.HANDSHAKE_FAILURE) is not flag


@pytest.mark.parametrize("flag", [True, False])
async def test_deflate_is_selected_iff_the_flag(serve: Start, flag: bool) -> None:
    tls = TlsProfile(compression=flag, heartbleed=not flag, cert=RSA)
    flight = await front_flight(serve, tls, client_hello(compressions=b"\x01\x00"))
    assert flight.compression == (1 if flag else 0)


@pytest.mark.parametrize("insecure", [True, False])
async def test_renegotiation_info_is_echoed_unless_insecure(serve: Start, insecure: bool) -> None:
    tls = TlsProfile(insecure_renegotiation=insecure, heartbleed=not insecure, cert=RSA)
    flight = await front_flight(serve, tls, client_hello(extensions=RENEGOTIATION))
    assert (w.EXT_RENEGOTIATION_INFO in flight.extensions) is not insecure
    scsv = client_hello(ciphers=(ECDHE_RSA_GCM, w.SCSV_RENEGOTIATION))
    flight = await front_flight(serve, tls, scsv)
    assert (w.EXT_RENEGOTIATION_INFO in flight.extensions) is not insecure


@pytest.mark.parametrize("flag", [True, False])
async def test_heartbeat_leaks_memory_iff_heartbleed(serve: Start, flag: bool) -> None:
    address, port, _ = await serve(TlsProfile(heartbleed=flag, compression=not flag, cert=RSA))
    raw = await Raw.connect(address, port)
    flight = await raw.hello(client_hello(extensions=HEARTBEAT))
    assert w.EXT_HEARTBEAT in flight.extensions
    request = w.record(w.HEARTBEAT, w.TLS12, b"\x01\x40\x00" + b"A")  # claims 16384 bytes
    raw.writer.write(request)
    received = b""
    while True:
        chunk = await asyncio.wait_for(raw.reader.read(65536), 5)
        if not chunk:
            break
        received += chunk
        if len(received) > 16384:
            break
    raw.close()
    if flag:
        records, _ = w.split_records(received)
        payload = b"".join(p for t, _, p in records if t == w.HEARTBEAT)
        assert payload[:3] == b"\x02\x40\x00" and len(payload) == 3 + 16384 + 16
        assert payload[3:4] == b"A" and b"rempart-lab" in payload
    else:
        assert received == b""


def _encrypted_premaster(flight: Flight, well_formed: bool) -> bytes:
    key = x509.load_der_x509_certificate(flight.certs[0]).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    if well_formed:
        cipher = key.encrypt(b"\x03\x03" + os.urandom(46), padding.PKCS1v15())
    else:  # 00 02 then no zero separator: a malformed PKCS#1 v1.5 block
        k, n = key.key_size // 8, key.public_numbers().n
        block = b"\x00\x02" + b"\x11" * (k - 2)
        cipher = pow(int.from_bytes(block, "big"), key.public_numbers().e, n).to_bytes(k, "big")
    body = struct.pack(">H", len(cipher)) + cipher
    return w.record(w.HANDSHAKE, w.TLS12, w.handshake(w.CLIENT_KEY_EXCHANGE, body))


async def _robot_answer(start: Start, tls: TlsProfile, well_formed: bool) -> bytes | None:
    address, port, _ = await start(tls)
    raw = await Raw.connect(address, port)
    flight = await raw.hello(client_hello(ciphers=(AES128_SHA,)))
    assert flight.cipher == AES128_SHA
    ccs = w.record(w.CHANGE_CIPHER_SPEC, w.TLS12, b"\x01")
    finished = w.record(w.HANDSHAKE, w.TLS12, os.urandom(40))  # encrypted, as far as we know
    answer = await raw.answer(_encrypted_premaster(flight, well_formed) + ccs + finished)
    raw.close()
    return answer


@pytest.mark.parametrize("flag", [True, False])
async def test_robot_is_a_padding_oracle_iff_the_flag(serve: Start, flag: bool) -> None:
    tls = TlsProfile(robot=flag, no_forward_secrecy=True, weak_cipher=not flag, cert=RSA)
    good = await _robot_answer(serve, tls, well_formed=True)
    bad = await _robot_answer(serve, tls, well_formed=False)
    assert good == w.alert(w.TLS12, w.BAD_RECORD_MAC)
    if flag:
        assert bad == w.alert(w.TLS12, w.HANDSHAKE_FAILURE)
    else:
        assert bad == good


@pytest.mark.parametrize("flag", [True, False])
async def test_early_ccs_is_accepted_iff_ccs_injection(serve: Start, flag: bool) -> None:
    address, port, _ = await serve(TlsProfile(ccs_injection=flag, weak_cipher=not flag, cert=RSA))
    raw = await Raw.connect(address, port)
    await raw.hello(client_hello(extensions=GROUPS))
    ccs = w.record(w.CHANGE_CIPHER_SPEC, w.TLS12, b"\x01")
    answer = await raw.answer(ccs, wait=0.5)
    if flag:
        assert answer is None  # silently accepted
        assert await raw.answer(ccs) == w.alert(w.TLS12, w.BAD_RECORD_MAC)
    else:
        assert answer == w.alert(w.TLS12, w.UNEXPECTED_MESSAGE)
    raw.close()


def sslv2_client_hello() -> bytes:
    specs = bytes.fromhex("010080 0700c0 00002f")
    body = struct.pack(">BHHHH", 1, w.SSL2, len(specs), 0, 16) + specs + os.urandom(16)
    return struct.pack(">H", 0x8000 | len(body)) + body


@pytest.mark.parametrize("flag", [True, False])
async def test_sslv2_hello_gets_a_server_hello_iff_the_flag(serve: Start, flag: bool) -> None:
    address, port, issued = await serve(TlsProfile(sslv2=flag, sslv3=not flag, cert=RSA))
    raw = await Raw.connect(address, port)
    answer = await raw.answer(sslv2_client_hello())
    raw.close()
    if flag:
        assert answer is not None and answer[2] == 4  # SERVER-HELLO
        assert answer[5:7] == b"\x00\x02" and issued.chain_der[0] in answer
    else:
        assert answer == b""


async def test_legacy_listener_closes_on_a_silent_client_quickly_enough(serve: Start) -> None:
    address, port, _ = await serve(TlsProfile(weak_cipher=True, cert=RSA))
    raw = await Raw.connect(address, port)
    raw.writer.write_eof()
    assert await asyncio.wait_for(raw.reader.read(), 5) == b""
    raw.close()


# -- fault listeners ------------------------------------------------------------------


async def test_broken_listener_answers_garbage(pki: LabPKI) -> None:
    server = await start_broken_tls(next(_next_address), 4443)
    address = server.sockets[0].getsockname()[0]
    try:
        with pytest.raises(ssl.SSLError):
            await https_get(address, 4443, client_context(pki))
    finally:
        server.close()


async def test_hanging_listener_never_answers(pki: LabPKI) -> None:
    server = await start_hanging_tls(next(_next_address), 4443)
    address = server.sockets[0].getsockname()[0]
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                asyncio.open_connection(
                    address, 4443, ssl=client_context(pki), server_hostname=HOST
                ),
                0.5,
            )
    finally:
        server.close()


# -- pure wire parsing ------------------------------------------------------------------


def test_parse_tls_hello_reads_versions_groups_and_extensions() -> None:
    versions = ext(w.EXT_SUPPORTED_VERSIONS, b"\x04\x03\x04\x03\x03")
    hello = w.parse_hello(client_hello(extensions=versions + GROUPS + HEARTBEAT))
    assert hello.versions == (w.TLS13, w.TLS12)
    assert hello.groups == (29, 23)
    assert w.EXT_HEARTBEAT in hello.extensions
    assert w.offers_tls13(client_hello(extensions=versions))
    assert not w.offers_tls13(client_hello(w.TLS11))


def test_parse_sslv2_hellos() -> None:
    hello = w.parse_hello(sslv2_client_hello())
    assert hello.sslv2_format and hello.version == w.SSL2 and hello.versions == (w.SSL2,)
    assert hello.ciphers == (AES128_SHA,) and 0x010080 in hello.sslv2_specs
    assert not w.offers_tls13(sslv2_client_hello())


@pytest.mark.parametrize(
    "data", [b"", b"\x16\x03", b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\x01\x02"]
)
def test_garbage_is_not_a_hello(data: bytes) -> None:
    assert not w.offers_tls13(data)
    with pytest.raises(w.WireError):
        w.parse_hello(data)


def test_big_records_are_fragmented() -> None:
    records, rest = w.split_records(w.record(w.HEARTBEAT, w.TLS12, b"x" * 40000))
    assert [len(p) for _, _, p in records] == [16384, 16384, 7232] and rest == b""
