"""The lab's raw TLS front: a faithful model of an old TLS stack, per TlsProfile.

No modern OpenSSL can accept SSL 2.0/3.0, RC4 or EXPORT suites, TLS compression, nor show
Heartbleed, ROBOT or CCS injection. The lab plays those on the wire instead: the listener of
:mod:`rempart.lab.tlsserver` peeks at each ClientHello; a hello offering TLS 1.3 goes to the
real (stdlib ``ssl``) server, every other hello comes here. The model:

- **Hello.** An SSL 2.0 CLIENT-HELLO (version 0x0002) gets an SSL 2.0 SERVER-HELLO only if
  the profile has ``sslv2``; an SSL 2.0-format hello asking for 3.0+ is treated as a TLS
  hello (RFC 5246 Appendix E.2). The version is the highest the client offers among SSL 3.0
  (``sslv3``), TLS 1.0 (``tls10``), TLS 1.1 (``tls11``) and TLS 1.2 (always), else a
  protocol_version alert.
- **Suite** by server preference: ECDHE-RSA-AES128-GCM-SHA256 and ECDHE-RSA-AES128-SHA
  always (ECDSA twins for an EC key; no ECDHE on SSL 3.0, RFC 8422 is TLS only); RSA key
  exchange AES128-SHA, AES256-SHA, AES128-GCM-SHA256 with ``no_forward_secrecy`` or
  ``robot``; RC4-SHA, DES-CBC3-SHA, EXP-RC4-MD5, NULL-SHA with ``weak_cipher``; GCM only
  on TLS 1.2. An SSL 3.0 stack also takes the RSA suites (it knows no ECDHE; this does
  not make TLS 1.2 accept them). Nothing in common: handshake_failure alert.
- **ServerHello**: DEFLATE compression if offered and ``compression`` (CRIME), else null;
  an empty renegotiation_info when the client signals RFC 5746 (extension or SCSV) unless
  ``insecure_renegotiation``; the heartbeat extension (RFC 6520) when offered. Then
  Certificate (the issued chain), ServerKeyExchange for ECDHE (x25519 or secp256r1, signed
  rsa_pkcs1_sha256 on TLS 1.2, MD5+SHA-1 before — RFC 5246 §7.4.3, RFC 4346 §7.4.3) and
  ServerHelloDone.
- **After the flight** (no handshake ever completes here: clients that want application data
  offer TLS 1.3 and reach the real server):
  - heartbeat request: a well-formed one is echoed; one whose payload_length exceeds the
    payload leaks that many bytes of "memory" with ``heartbleed`` (CVE-2014-0160), else
    the connection closes.
  - ChangeCipherSpec before ClientKeyExchange: with ``ccs_injection`` (CVE-2014-0224) it is
    accepted silently, and the next record fails its MAC (bad_record_mac), as a vulnerable
    OpenSSL that keyed itself from an empty master secret; else unexpected_message.
  - ClientKeyExchange of an RSA suite: the premaster is decrypted with raw RSA; with
    ``robot`` a malformed PKCS#1 v1.5 block gets handshake_failure at once while a
    well-formed one waits for the Finished and gets bad_record_mac — a real padding oracle
    (ROBOT, CVE-2017-13099 family); without ``robot`` every premaster gets the same
    bad_record_mac after the Finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519

from rempart.lab import tlswire as w
from rempart.lab.pki import Issued, PrivateKey
from rempart.lab.profiles import TlsProfile

FRONT_TIMEOUT = 10.0  # seconds a lab peer waits for the client's next record
X25519, SECP256R1, DEFLATE = 29, 23, 1
_LEAK_FILLER = b"\x00rempart-lab simulated server memory: session=4f2a secret=hunter2\x00"
_SSL2_SPECS = (0x010080, 0x0700C0)  # SSL_CK_RC4_128_WITH_MD5, SSL_CK_DES_192_EDE3_CBC_WITH_MD5


@dataclass(frozen=True, slots=True)
class Suite:
    id: int
    name: str
    kx: str  # "ecdhe" or "rsa"
    auth: str  # "rsa" or "ecdsa"
    tls12_only: bool = False


_ECDHE_RSA = (
    Suite(0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "ecdhe", "rsa", True),
    Suite(0xC013, "ECDHE-RSA-AES128-SHA", "ecdhe", "rsa"),
)
_ECDHE_ECDSA = (
    Suite(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "ecdhe", "ecdsa", True),
    Suite(0xC009, "ECDHE-ECDSA-AES128-SHA", "ecdhe", "ecdsa"),
)
_RSA_KX = (
    Suite(0x009C, "AES128-GCM-SHA256", "rsa", "rsa", True),
    Suite(0x002F, "AES128-SHA", "rsa", "rsa"),
    Suite(0x0035, "AES256-SHA", "rsa", "rsa"),
)
_WEAK = (
    Suite(0x000A, "DES-CBC3-SHA", "rsa", "rsa"),
    Suite(0x0005, "RC4-SHA", "rsa", "rsa"),
    Suite(0x0002, "NULL-SHA", "rsa", "rsa"),
    Suite(0x0003, "EXP-RC4-MD5", "rsa", "rsa"),
)


def server_suites(tls: TlsProfile, rsa_key: bool) -> list[Suite]:
    """The suites the modelled stack accepts, in its order of preference."""
    if not rsa_key:
        return list(_ECDHE_ECDSA)  # no RSA key: neither RSA key exchange nor RSA auth
    suites = list(_ECDHE_RSA)
    if tls.no_forward_secrecy or tls.robot:
        suites += _RSA_KX
    if tls.weak_cipher:
        suites += _WEAK
    return suites


def server_versions(tls: TlsProfile) -> list[int]:
    flags = ((w.TLS12, True), (w.TLS11, tls.tls11), (w.TLS10, tls.tls10), (w.SSL3, tls.sslv3))
    return [version for version, on in flags if on]


@dataclass(frozen=True, slots=True)
class Choice:
    version: int
    suite: Suite
    compression: int
    group: int | None  # the ECDHE curve, None for RSA key exchange


def negotiate(hello: w.ClientHello, tls: TlsProfile, rsa_key: bool) -> Choice | int:
    """What the modelled stack answers to ``hello``: a Choice, or an alert description."""
    common = [v for v in server_versions(tls) if v in hello.versions]
    if not common:
        return w.PROTOCOL_VERSION
    version = common[0]
    groups = hello.groups
    group = None if groups is None else next((g for g in (X25519, SECP256R1) if g in groups), 0)
    suites = server_suites(tls, rsa_key)
    if version == w.SSL3 and rsa_key:
        suites += [s for s in _RSA_KX if s not in suites]  # SSL 3.0 has no ECDHE at all
    for suite in suites:
        if suite.id not in hello.ciphers or (suite.tls12_only and version < w.TLS12):
            continue
        if suite.kx == "ecdhe" and (version == w.SSL3 or group == 0):
            continue
        compression = DEFLATE if tls.compression and DEFLATE in hello.compressions else 0
        chosen_group = (group or SECP256R1) if suite.kx == "ecdhe" else None
        return Choice(version, suite, compression, chosen_group)
    return w.HANDSHAKE_FAILURE


def hello_extensions(
    hello: w.ClientHello, tls: TlsProfile, choice: Choice
) -> list[tuple[int, bytes]]:
    exts = []
    secure = w.EXT_RENEGOTIATION_INFO in hello.extensions or w.SCSV_RENEGOTIATION in hello.ciphers
    if secure and not tls.insecure_renegotiation:
        exts.append((w.EXT_RENEGOTIATION_INFO, b"\x00"))  # empty: initial handshake, RFC 5746
    if w.EXT_HEARTBEAT in hello.extensions:
        exts.append((w.EXT_HEARTBEAT, b"\x01"))  # peer_allowed_to_send
    if choice.group is not None and w.EXT_EC_POINT_FORMATS in hello.extensions:
        exts.append((w.EXT_EC_POINT_FORMATS, b"\x01\x00"))  # uncompressed
    return exts


@functools.cache
def _crt(key: rsa.RSAPrivateKey) -> tuple[int, int, int, int, int, int]:
    numbers = key.private_numbers()
    return (
        numbers.public_numbers.n,
        numbers.p,
        numbers.q,
        numbers.dmp1,
        numbers.dmq1,
        numbers.iqmp,
    )


def raw_rsa_private(key: rsa.RSAPrivateKey, value: int) -> int:
    """``value ** d mod n`` by the Chinese remainder theorem.

    Measured on a 200-business lab: plain ``pow(c, d, n)`` took 24 ms per call and was
    the lab's largest CPU cost under a TLS scan; two half-size exponentiations are about
    four times cheaper.
    """
    _n, p, q, dp, dq, qinv = _crt(key)
    m1, m2 = pow(value, dp, p), pow(value, dq, q)
    return m2 + q * ((qinv * (m1 - m2)) % p)


def _raw_rsa_sign(key: rsa.RSAPrivateKey, digest: bytes) -> bytes:
    """PKCS#1 v1.5 type 1 block over a bare MD5+SHA-1 digest (no DigestInfo, RFC 4346)."""
    k = (key.key_size + 7) // 8
    block = b"\x00\x01" + b"\xff" * (k - 3 - len(digest)) + b"\x00" + digest
    return raw_rsa_private(key, int.from_bytes(block, "big")).to_bytes(k, "big")


def sign_params(key: PrivateKey, version: int, signed: bytes) -> bytes:
    """The ``signed_params`` of a ServerKeyExchange (digitally-signed struct)."""
    if isinstance(key, rsa.RSAPrivateKey):
        if version >= w.TLS12:
            sig = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
            return b"\x04\x01" + struct.pack(">H", len(sig)) + sig
        digest = hashlib.md5(signed).digest() + hashlib.sha1(signed).digest()  # noqa: S324
        sig = _raw_rsa_sign(key, digest)
    elif version >= w.TLS12:
        sig = key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return b"\x04\x03" + struct.pack(">H", len(sig)) + sig
    else:
        sig = key.sign(signed, ec.ECDSA(hashes.SHA1()))  # noqa: S303 - TLS 1.0/1.1 ECDSA
    return struct.pack(">H", len(sig)) + sig


def _ephemeral_public(group: int) -> bytes:
    if group == X25519:
        return x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def server_flight(hello: w.ClientHello, tls: TlsProfile, issued: Issued, choice: Choice) -> bytes:
    """ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone as records."""
    server_random = os.urandom(32)
    messages = w.server_hello(
        choice.version,
        server_random,
        choice.suite.id,
        choice.compression,
        hello_extensions(hello, tls, choice),
        session_id=os.urandom(32),
    )
    messages += w.certificate(issued.chain_der)
    if choice.group is not None:
        params = w.ecdh_params(choice.group, _ephemeral_public(choice.group))
        signed = sign_params(
            issued.private_key, choice.version, hello.random + server_random + params
        )
        messages += w.handshake(w.SERVER_KEY_EXCHANGE, params + signed)
    messages += w.server_hello_done()
    return w.record(w.HANDSHAKE, choice.version, messages)


def premaster_well_formed(key: PrivateKey, body: bytes, version: int) -> bool:
    """Whether an RSA ClientKeyExchange decrypts to a PKCS#1 v1.5 block of a 48-byte secret.

    Raw ``pow(c, d, n)`` on purpose: the lab must see the padding to play the oracle
    (RFC 5246 §7.4.7.1 tells real servers to hide exactly this).
    """
    if not isinstance(key, rsa.RSAPrivateKey):
        return False
    cipher = body[2:] if version >= w.TLS10 else body  # SSL 3.0 has no length prefix
    n, k = _crt(key)[0], (key.key_size + 7) // 8
    c = int.from_bytes(cipher, "big")
    if len(cipher) != k or c >= n:
        return False
    block = raw_rsa_private(key, c).to_bytes(k, "big")
    if block[:2] != b"\x00\x02":
        return False
    separator = block.find(b"\x00", 2)
    return separator >= 10 and k - separator - 1 == 48


def heartbeat_answer(payload: bytes, tls: TlsProfile) -> bytes | None:
    """The heartbeat_response to a request, or None to close the connection."""
    if len(payload) < 3 or payload[0] != 1:
        return None
    claimed = struct.unpack(">H", payload[1:3])[0]
    if 3 + claimed + 16 <= len(payload):  # well-formed: echo it (RFC 6520 §4)
        return w.heartbeat_response(claimed, payload[3 : 3 + claimed])
    if not tls.heartbleed:
        return None
    memory = payload[3:] + _LEAK_FILLER * (claimed // len(_LEAK_FILLER) + 1)
    return w.heartbeat_response(claimed, memory)


class _Close(Exception):
    """End of the modelled conversation."""


async def _read_record(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    header = await asyncio.wait_for(reader.readexactly(5), FRONT_TIMEOUT)
    kind, version, length = struct.unpack(">BHH", header)
    payload = await asyncio.wait_for(reader.readexactly(length), FRONT_TIMEOUT)
    return kind, version, payload


async def _read_hello(reader: asyncio.StreamReader) -> w.ClientHello:
    data = await asyncio.wait_for(reader.readexactly(5), FRONT_TIMEOUT)
    rest = w.needed_hello_bytes(data) - len(data)
    data += await asyncio.wait_for(reader.readexactly(rest), FRONT_TIMEOUT)
    return w.parse_hello(data)


async def serve_legacy(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: TlsProfile, issued: Issued
) -> None:
    """Play the old stack of ``tls`` on one connection, then close it."""
    try:
        await _converse(reader, writer, tls, issued)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, w.WireError, _Close):
        pass
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 2)


async def _converse(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: TlsProfile, issued: Issued
) -> None:
    hello = await _read_hello(reader)
    if hello.sslv2_format and hello.version == w.SSL2:
        await _answer_sslv2(reader, writer, tls, issued, hello)
        return
    rsa_key = isinstance(issued.private_key, rsa.RSAPrivateKey)
    choice = negotiate(hello, tls, rsa_key)
    if isinstance(choice, int):
        version = min(max(hello.version, w.SSL3), w.TLS12)
        writer.write(w.alert(version, choice))
        await writer.drain()
        return
    writer.write(server_flight(hello, tls, issued, choice))
    await writer.drain()
    await _after_flight(reader, writer, tls, issued, choice)


async def _answer_sslv2(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tls: TlsProfile,
    issued: Issued,
    hello: w.ClientHello,
) -> None:
    specs = tuple(s for s in _SSL2_SPECS if s in hello.sslv2_specs)
    if not tls.sslv2 or not specs:
        return  # a stack without SSL 2.0 just drops the connection
    writer.write(w.sslv2_server_hello(issued.chain_der[0], specs, os.urandom(16)))
    await writer.drain()
    await asyncio.wait_for(reader.read(65536), FRONT_TIMEOUT)


async def _after_flight(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tls: TlsProfile,
    issued: Issued,
    choice: Choice,
) -> None:
    version = choice.version
    key_exchanged = ccs_seen = early_ccs = False

    def fail(description: int) -> _Close:
        writer.write(w.alert(version, description))
        return _Close()

    while True:
        kind, _, payload = await _read_record(reader)
        if kind == w.HEARTBEAT:
            answer = heartbeat_answer(payload, tls)
            if answer is None:
                raise _Close()
            writer.write(w.record(w.HEARTBEAT, version, answer))
            await writer.drain()
        elif kind == w.CHANGE_CIPHER_SPEC and not early_ccs and not ccs_seen:
            if key_exchanged:
                ccs_seen = True
            elif tls.ccs_injection:
                early_ccs = True  # CVE-2014-0224: accepted before any key exchange
            else:
                raise fail(w.UNEXPECTED_MESSAGE)
        elif early_ccs or (kind == w.HANDSHAKE and ccs_seen):
            raise fail(w.BAD_RECORD_MAC)  # cannot decrypt: no usable keys on our side
        elif kind == w.HANDSHAKE and payload[:1] == bytes((w.CLIENT_KEY_EXCHANGE,)):
            if key_exchanged:
                raise fail(w.UNEXPECTED_MESSAGE)
            key_exchanged = True
            if choice.suite.kx == "rsa" and tls.robot:
                if not premaster_well_formed(issued.private_key, payload[4:], version):
                    raise fail(w.HANDSHAKE_FAILURE)
        elif kind == w.ALERT:
            raise _Close()
        else:
            raise fail(w.UNEXPECTED_MESSAGE)


# -- fault listeners ----------------------------------------------------------------------

_GARBAGE = b"HTTP/1.0 400 nope\r\n\x00\xff\x17\x03\x09garbage, not TLS at all" * 4


async def start_broken_tls(address: str, port: int) -> asyncio.AbstractServer:
    """A listener that answers any ClientHello with bytes that are not TLS, then closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(reader.read(5), FRONT_TIMEOUT)
            writer.write(_GARBAGE)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, address, port)


async def start_hanging_tls(address: str, port: int) -> asyncio.AbstractServer:
    """A listener that accepts, reads and never answers (until the client gives up)."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass
        writer.close()

    return await asyncio.start_server(hang, address, port)
