"""Pure TLS/SSL wire formats for the lab's raw legacy front: parse hellos, build messages.

Covers what an old server's first flight needs: the TLS record layer (RFC 5246 §6.2), the
ClientHello in TLS format (§7.4.1.2, extensions RFC 6066) and in SSL 2.0 format (the
"compatible" hello of RFC 5246 Appendix E.2 and a pure SSL 2.0 CLIENT-HELLO), ServerHello,
Certificate, ServerHelloDone, alerts, heartbeat messages (RFC 6520) and the SSL 2.0
SERVER-HELLO. No I/O here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# Record content types (RFC 5246 §6.2.1, RFC 6520 §2).
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24
# Handshake types (RFC 5246 §7.4).
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE, SERVER_KEY_EXCHANGE = 1, 2, 11, 12
SERVER_HELLO_DONE, CLIENT_KEY_EXCHANGE, FINISHED = 14, 16, 20
# Alert descriptions (RFC 5246 §7.2).
UNEXPECTED_MESSAGE, BAD_RECORD_MAC, HANDSHAKE_FAILURE, PROTOCOL_VERSION = 10, 20, 40, 70
# Extensions.
EXT_SUPPORTED_GROUPS, EXT_EC_POINT_FORMATS, EXT_HEARTBEAT = 10, 11, 15
EXT_SUPPORTED_VERSIONS, EXT_RENEGOTIATION_INFO = 43, 0xFF01
SCSV_RENEGOTIATION = 0x00FF  # TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3)
SSL2, SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
MAX_FRAGMENT = 16384  # 2^14 (RFC 5246 §6.2.1)


class WireError(ValueError):
    """Bytes that are not the expected TLS/SSL structure."""


@dataclass(frozen=True, slots=True)
class ClientHello:
    version: int  # the legacy client_version (or SSL 2.0 CLIENT-HELLO version)
    random: bytes
    session_id: bytes
    ciphers: tuple[int, ...]  # TLS suite ids (SSL 2.0 specs of the V2 form are dropped)
    compressions: tuple[int, ...] = (0,)
    extensions: dict[int, bytes] = field(default_factory=dict)
    sslv2_format: bool = False
    sslv2_specs: tuple[int, ...] = ()  # 3-byte SSL 2.0 cipher kinds

    @property
    def versions(self) -> tuple[int, ...]:
        """Versions offered: supported_versions (RFC 8446 §4.2.1) or up to ``version``."""
        body = self.extensions.get(EXT_SUPPORTED_VERSIONS)
        if body:
            n = body[0]
            return tuple(struct.unpack(f">{n // 2}H", body[1 : 1 + n - n % 2]))
        if self.version == SSL2:
            return (SSL2,)
        return tuple(v for v in (SSL3, TLS10, TLS11, TLS12) if v <= self.version)

    @property
    def groups(self) -> tuple[int, ...] | None:
        body = self.extensions.get(EXT_SUPPORTED_GROUPS)
        if body is None or len(body) < 2:
            return None
        n = struct.unpack(">H", body[:2])[0]
        return tuple(struct.unpack(f">{n // 2}H", body[2 : 2 + n - n % 2]))


def record(content_type: int, version: int, payload: bytes) -> bytes:
    """One or more records carrying ``payload`` (fragmented at 2^14 as RFC 5246 §6.2.1)."""
    out = []
    for start in range(0, max(len(payload), 1), MAX_FRAGMENT):
        chunk = payload[start : start + MAX_FRAGMENT]
        out.append(struct.pack(">BHH", content_type, version, len(chunk)) + chunk)
    return b"".join(out)


def handshake(msg_type: int, body: bytes) -> bytes:
    return struct.pack(">B", msg_type) + len(body).to_bytes(3, "big") + body


def alert(version: int, description: int, level: int = 2) -> bytes:
    return record(ALERT, version, bytes((level, description)))


def _vec(data: bytes, length_bytes: int) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def server_hello(
    version: int,
    server_random: bytes,
    cipher: int,
    compression: int,
    extensions: list[tuple[int, bytes]],
    session_id: bytes = b"",
) -> bytes:
    body = struct.pack(">H", version) + server_random + _vec(session_id, 1)
    body += struct.pack(">HB", cipher, compression)
    if extensions:
        exts = b"".join(struct.pack(">H", t) + _vec(d, 2) for t, d in extensions)
        body += _vec(exts, 2)
    return handshake(SERVER_HELLO, body)


def certificate(chain_der: list[bytes]) -> bytes:
    return handshake(CERTIFICATE, _vec(b"".join(_vec(c, 3) for c in chain_der), 3))


def server_hello_done() -> bytes:
    return handshake(SERVER_HELLO_DONE, b"")


def ecdh_params(group: int, public: bytes) -> bytes:
    """ServerECDHParams with a named curve (RFC 8422 §5.4)."""
    return struct.pack(">BH", 3, group) + _vec(public, 1)


def heartbeat_response(payload_length: int, payload: bytes) -> bytes:
    """A heartbeat_response echoing ``payload_length`` bytes (RFC 6520 §4) + 16 padding."""
    body = payload[:payload_length].ljust(payload_length, b"\x00")
    return struct.pack(">BH", 2, payload_length) + body + b"\x00" * 16


def sslv2_server_hello(cert_der: bytes, specs: tuple[int, ...], connection_id: bytes) -> bytes:
    """An SSL 2.0 SERVER-HELLO (draft-hickman-netscape-ssl-00 §2.6), 2-byte header."""
    spec_bytes = b"".join(s.to_bytes(3, "big") for s in specs)
    body = struct.pack(
        ">BBBHHHH", 4, 0, 1, SSL2, len(cert_der), len(spec_bytes), len(connection_id)
    )
    body += cert_der + spec_bytes + connection_id
    return struct.pack(">H", 0x8000 | len(body)) + body


# -- parsing ------------------------------------------------------------------------------


def needed_hello_bytes(data: bytes) -> int:
    """How many bytes the first hello (TLS record or SSL 2.0 message) takes in all."""
    if len(data) < 5:
        return 5
    if data[0] & 0x80:  # SSL 2.0 two-byte header, no padding (RFC 5246 Appendix E.2)
        return 2 + (((data[0] & 0x7F) << 8) | data[1])
    return 5 + int.from_bytes(data[3:5], "big")


def parse_hello(data: bytes) -> ClientHello:
    """Parse the first hello of a connection, TLS or SSL 2.0 format."""
    if len(data) < needed_hello_bytes(data):
        raise WireError("truncated hello")
    if data[0] & 0x80:
        return _parse_v2_hello(data[2 : needed_hello_bytes(data)])
    if data[0] != HANDSHAKE:
        raise WireError(f"first record is of type {data[0]}, not a handshake")
    body = data[5 : needed_hello_bytes(data)]
    if len(body) < 4 or body[0] != CLIENT_HELLO:
        raise WireError("first handshake message is not a ClientHello")
    length = int.from_bytes(body[1:4], "big")
    if length > len(body) - 4:
        raise WireError("ClientHello spans several records")
    return _parse_tls_hello(body[4 : 4 + length])


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise WireError("truncated ClientHello")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def number(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vec(self, n: int) -> bytes:
        return self.take(self.number(n))

    def left(self) -> int:
        return len(self.data) - self.pos


def _parse_tls_hello(body: bytes) -> ClientHello:
    r = _Reader(body)
    version, random, session_id = r.number(2), r.take(32), r.vec(1)
    suites = r.vec(2)
    ciphers = struct.unpack(f">{len(suites) // 2}H", suites[: len(suites) // 2 * 2])
    compressions = tuple(r.vec(1))
    extensions: dict[int, bytes] = {}
    if r.left() >= 2:
        ext = _Reader(r.vec(2))
        while ext.left() >= 4:
            kind = ext.number(2)
            extensions[kind] = ext.vec(2)
    return ClientHello(version, random, session_id, ciphers, compressions, extensions)


def _parse_v2_hello(msg: bytes) -> ClientHello:
    r = _Reader(msg)
    if r.number(1) != 1:
        raise WireError("SSL 2.0 message is not a CLIENT-HELLO")
    version = r.number(2)
    spec_len, sid_len, challenge_len = r.number(2), r.number(2), r.number(2)
    specs_raw, session_id, challenge = r.take(spec_len), r.take(sid_len), r.take(challenge_len)
    specs = tuple(int.from_bytes(specs_raw[i : i + 3], "big") for i in range(0, spec_len, 3))
    # A V2 cipher kind 00xxyy is the TLS suite xxyy (RFC 5246 Appendix E.2).
    ciphers = tuple(s for s in specs if s >> 16 == 0)
    random = challenge.rjust(32, b"\x00")[-32:]
    v2_only = tuple(s for s in specs if s >> 16)
    return ClientHello(version, random, session_id, ciphers, (0,), {}, True, v2_only)


def split_records(data: bytes) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """Complete records in ``data`` as (type, version, payload), and the leftover bytes."""
    out = []
    while len(data) >= 5:
        kind, version, length = struct.unpack(">BHH", data[:5])
        if len(data) < 5 + length:
            break
        out.append((kind, version, data[5 : 5 + length]))
        data = data[5 + length :]
    return out, data


def offers_tls13(data: bytes) -> bool:
    """Whether the first hello in ``data`` offers TLS 1.3 (supported_versions has 0x0304)."""
    try:
        return TLS13 in parse_hello(data).versions
    except WireError:
        return False
