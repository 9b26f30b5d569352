"""Pure TLS record and handshake building and parsing for raw probes (no I/O, no crypto).

Like sslyze and testssl.sh, the TLS checks decide what a server accepts from one hand-built
ClientHello and the ServerHello it provokes: one round trip, no key exchange, and hellos
that a modern OpenSSL client could no longer send (SSL 2.0/3.0, EXPORT or NULL suites,
DEFLATE compression). Wire formats: RFC 6101 (SSL 3.0), RFC 5246 (TLS 1.2), RFC 8446
(TLS 1.3) and the SSL 2.0 draft (draft-hickman-netscape-ssl-00).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SSL2, SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
VERSION_NAMES = {
    SSL2: "SSL 2.0",
    SSL3: "SSL 3.0",
    TLS10: "TLS 1.0",
    TLS11: "TLS 1.1",
    TLS12: "TLS 1.2",
    TLS13: "TLS 1.3",
}

# Record content types (RFC 5246 §6.2.1, RFC 6520 for heartbeat).
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24
# Handshake message types (RFC 5246 §7.4).
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE = 1, 2, 11
SERVER_KEY_EXCHANGE, SERVER_HELLO_DONE, CLIENT_KEY_EXCHANGE, FINISHED = 12, 14, 16, 20
# Extensions.
EXT_SERVER_NAME, EXT_SUPPORTED_GROUPS, EXT_EC_POINT_FORMATS = 0, 10, 11
EXT_SIGNATURE_ALGORITHMS, EXT_HEARTBEAT, EXT_SUPPORTED_VERSIONS = 13, 15, 43
EXT_KEY_SHARE, EXT_RENEGOTIATION_INFO = 51, 0xFF01
SCSV = 0x00FF  # TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3)
X25519, SECP256R1, SECP384R1 = 0x001D, 0x0017, 0x0018
MAX_FRAGMENT = 2**14 + 2048  # RFC 5246 §6.2.3: the largest legal TLSCiphertext fragment

ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
    21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
    40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
    43: "unsupported_certificate", 47: "illegal_parameter", 48: "unknown_ca",
    50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
    90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
    110: "unsupported_extension", 112: "unrecognized_name", 120: "no_application_protocol",
}  # fmt: skip

# Cipher suites by IANA code, named as OpenSSL names them (what operators grep for).
SUITE_NAMES: dict[int, str] = {
    0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
    0xC02F: "ECDHE-RSA-AES128-GCM-SHA256", 0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
    0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305", 0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305",
    0xC023: "ECDHE-ECDSA-AES128-SHA256", 0xC024: "ECDHE-ECDSA-AES256-SHA384",
    0xC027: "ECDHE-RSA-AES128-SHA256", 0xC028: "ECDHE-RSA-AES256-SHA384",
    0xC009: "ECDHE-ECDSA-AES128-SHA", 0xC00A: "ECDHE-ECDSA-AES256-SHA",
    0xC013: "ECDHE-RSA-AES128-SHA", 0xC014: "ECDHE-RSA-AES256-SHA",
    0x009E: "DHE-RSA-AES128-GCM-SHA256", 0x009F: "DHE-RSA-AES256-GCM-SHA384",
    0x0067: "DHE-RSA-AES128-SHA256", 0x006B: "DHE-RSA-AES256-SHA256",
    0x0033: "DHE-RSA-AES128-SHA", 0x0039: "DHE-RSA-AES256-SHA",
    0x009C: "AES128-GCM-SHA256", 0x009D: "AES256-GCM-SHA384",
    0x003C: "AES128-SHA256", 0x003D: "AES256-SHA256",
    0x002F: "AES128-SHA", 0x0035: "AES256-SHA",
    0x0041: "CAMELLIA128-SHA", 0x0084: "CAMELLIA256-SHA",
    # Weak: NULL, anonymous, EXPORT, RC4, DES, 3DES.
    0x0001: "NULL-MD5", 0x0002: "NULL-SHA", 0x003B: "NULL-SHA256",
    0xC006: "ECDHE-ECDSA-NULL-SHA", 0xC010: "ECDHE-RSA-NULL-SHA", 0xC015: "AECDH-NULL-SHA",
    0x0018: "ADH-RC4-MD5", 0x001B: "ADH-DES-CBC3-SHA", 0x0034: "ADH-AES128-SHA",
    0x003A: "ADH-AES256-SHA", 0x006C: "ADH-AES128-SHA256", 0x006D: "ADH-AES256-SHA256",
    0x00A6: "ADH-AES128-GCM-SHA256", 0x00A7: "ADH-AES256-GCM-SHA384",
    0xC016: "AECDH-RC4-SHA", 0xC018: "AECDH-AES128-SHA", 0xC019: "AECDH-AES256-SHA",
    0x0003: "EXP-RC4-MD5", 0x0006: "EXP-RC2-CBC-MD5", 0x0008: "EXP-DES-CBC-SHA",
    0x0011: "EXP-EDH-DSS-DES-CBC-SHA", 0x0014: "EXP-EDH-RSA-DES-CBC-SHA",
    0x0062: "EXP1024-DES-CBC-SHA", 0x0064: "EXP1024-RC4-SHA",
    0x0004: "RC4-MD5", 0x0005: "RC4-SHA",
    0xC007: "ECDHE-ECDSA-RC4-SHA", 0xC011: "ECDHE-RSA-RC4-SHA",
    0x0009: "DES-CBC-SHA", 0x0012: "EDH-DSS-DES-CBC-SHA", 0x0015: "EDH-RSA-DES-CBC-SHA",
    0x000A: "DES-CBC3-SHA", 0x0016: "EDH-RSA-DES-CBC3-SHA",
    0xC008: "ECDHE-ECDSA-DES-CBC3-SHA", 0xC012: "ECDHE-RSA-DES-CBC3-SHA",
}  # fmt: skip

TLS13_SUITES = (0x1301, 0x1302, 0x1303)
_WEAK_MARKERS = ("NULL", "ADH-", "AECDH-", "EXP", "RC4", "DES-CBC")
WEAK_SUITES = tuple(c for c, n in SUITE_NAMES.items() if any(m in n for m in _WEAK_MARKERS))
# Suites whose key exchange is RSA encryption: no forward secrecy, and the ROBOT surface.
RSA_KX_SUITES = (0x009C, 0x009D, 0x003C, 0x003D, 0x002F, 0x0035, 0x0041, 0x0084)
FS_SUITES = tuple(
    c for c, n in SUITE_NAMES.items() if n.startswith(("ECDHE-", "DHE-")) and c not in WEAK_SUITES
)
# AEAD and SHA-2 HMAC suites exist only from TLS 1.2 (RFC 5246 appendix A.5, RFC 5288).
_TLS12_MARKERS = ("GCM", "SHA256", "SHA384", "CHACHA20")


def suites_for(version: int, suites: Iterable[int]) -> list[int]:
    """The suites of ``suites`` that a server may legally pick at ``version``."""
    if version >= TLS12:
        return [c for c in suites if c not in TLS13_SUITES]
    return [
        c
        for c in suites
        if c not in TLS13_SUITES and not any(m in SUITE_NAMES[c] for m in _TLS12_MARKERS)
    ]


def suite_name(code: int) -> str:
    return SUITE_NAMES.get(code, f"0x{code:04X}")


def version_name(version: int) -> str:
    return VERSION_NAMES.get(version, f"0x{version:04X}")


class TlsParseError(ValueError):
    """Bytes from the server that are not the TLS (or SSL 2.0) we asked for."""


# -- building --------------------------------------------------------------------------


def _u8(data: bytes) -> bytes:
    return struct.pack("!B", len(data)) + data


def _u16(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _u24(data: bytes) -> bytes:
    return struct.pack("!I", len(data))[1:] + data


def record(content_type: int, version: int, fragment: bytes) -> bytes:
    return struct.pack("!BH", content_type, version) + _u16(fragment)


def handshake(msg_type: int, body: bytes) -> bytes:
    return struct.pack("!B", msg_type) + _u24(body)


def extension(ext_type: int, data: bytes) -> bytes:
    return struct.pack("!H", ext_type) + _u16(data)


# RFC 8446 §4.2.3 / RFC 5246 §7.4.1.4.1 codes: ECDSA, RSA-PSS, RSA PKCS#1, then SHA-1 for
# old servers that sign nothing else.
_SIG_ALGS = (0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
             0x0807, 0x0203, 0x0201, 0x0402, 0x0202)  # fmt: skip


@dataclass(frozen=True, slots=True)
class HelloOptions:
    server_name: str | None = None
    compression: tuple[int, ...] = (0,)
    heartbeat: bool = False
    renegotiation_info: bool = True  # empty renegotiation_info extension (RFC 5746 §3.4)
    scsv: bool = False
    key_share: bytes = b""  # x25519 public key, TLS 1.3 only


def _extensions(version: int, opts: HelloOptions) -> bytes:
    exts = []
    if opts.server_name:
        name = opts.server_name.encode("ascii")
        exts.append(extension(EXT_SERVER_NAME, _u16(b"\x00" + _u16(name))))
    groups = (X25519, SECP256R1, SECP384R1)
    exts.append(
        extension(EXT_SUPPORTED_GROUPS, _u16(b"".join(struct.pack("!H", g) for g in groups)))
    )
    exts.append(extension(EXT_EC_POINT_FORMATS, _u8(b"\x00")))
    if version >= TLS12:  # RFC 5246 §7.4.1.4.1: not for earlier versions
        sigs = b"".join(struct.pack("!H", s) for s in _SIG_ALGS)
        exts.append(extension(EXT_SIGNATURE_ALGORITHMS, _u16(sigs)))
    if opts.heartbeat:
        exts.append(extension(EXT_HEARTBEAT, b"\x01"))  # peer_allowed_to_send (RFC 6520)
    if version == TLS13:
        exts.append(extension(EXT_SUPPORTED_VERSIONS, _u8(struct.pack("!H", TLS13))))
        share = struct.pack("!H", X25519) + _u16(opts.key_share)
        exts.append(extension(EXT_KEY_SHARE, _u16(share)))
    if opts.renegotiation_info and version < TLS13:
        exts.append(extension(EXT_RENEGOTIATION_INFO, b"\x00"))
    return b"".join(exts)


def client_hello(
    version: int, suites: Sequence[int], opts: HelloOptions | None = None, random: bytes = b""
) -> bytes:
    """A ClientHello record offering exactly ``version`` with ``suites``.

    SSL 3.0 hellos carry no extensions (SSL 3.0 servers predate them). A TLS 1.3 hello
    offers only 1.3 through supported_versions (RFC 8446 §4.2.1) with ``opts.key_share``.
    """
    opts = opts or HelloOptions()
    if version == SSL2:
        return sslv2_client_hello()
    random = random or os.urandom(32)
    codes = list(suites) + ([SCSV] if opts.scsv else [])
    legacy = TLS12 if version == TLS13 else version
    session_id = os.urandom(32) if version == TLS13 else b""  # RFC 8446 §D.4 compatibility
    body = (
        struct.pack("!H", legacy)
        + random
        + _u8(session_id)
        + _u16(b"".join(struct.pack("!H", c) for c in codes))
        + _u8(bytes(opts.compression))
    )
    if version >= TLS10:
        body += _u16(_extensions(version, opts))
    # Record version TLS 1.0 for all TLS hellos: old servers reject higher ones (RFC 5246 §E.1).
    return record(HANDSHAKE, min(version, TLS10), handshake(CLIENT_HELLO, body))


SSL2_CIPHERS = (0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700C0)


def sslv2_client_hello() -> bytes:
    """An SSL 2.0 CLIENT-HELLO in the 2-byte-header record format."""
    specs = b"".join(c.to_bytes(3, "big") for c in SSL2_CIPHERS)
    challenge = os.urandom(16)
    body = struct.pack("!BHHHH", 1, SSL2, len(specs), 0, len(challenge)) + specs + challenge
    return struct.pack("!H", 0x8000 | len(body)) + body


def heartbeat_request(version: int, claimed: int = 0x4000) -> bytes:
    """A heartbeat request claiming ``claimed`` payload bytes and carrying none (as testssl.sh).

    RFC 6520 §4 says to discard such a message; a Heartbleed server copies ``claimed``
    bytes of its memory into the response (CVE-2014-0160).
    """
    return record(HEARTBEAT, version, struct.pack("!BH", 1, claimed))


def change_cipher_spec(version: int) -> bytes:
    return record(CHANGE_CIPHER_SPEC, version, b"\x01")


def client_key_exchange(version: int, encrypted_premaster: bytes) -> bytes:
    # SSL 3.0 sends the RSA ciphertext bare; TLS prefixes its length (RFC 5246 §7.4.7.1).
    body = encrypted_premaster if version == SSL3 else _u16(encrypted_premaster)
    return record(HANDSHAKE, version, handshake(CLIENT_KEY_EXCHANGE, body))


# -- parsing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    content_type: int
    version: int
    fragment: bytes


def split_records(buffer: bytes) -> tuple[list[Record], bytes]:
    """Complete TLS records at the start of ``buffer`` and the incomplete rest."""
    records: list[Record] = []
    pos = 0
    while len(buffer) - pos >= 5:
        ctype, version, length = struct.unpack_from("!BHH", buffer, pos)
        if ctype not in (20, 21, 22, 23, 24) or version >> 8 != 3 or length > MAX_FRAGMENT:
            raise TlsParseError(f"not a TLS record: {buffer[pos : pos + 5].hex()}")
        if len(buffer) - pos - 5 < length:
            break
        records.append(Record(ctype, version, buffer[pos + 5 : pos + 5 + length]))
        pos += 5 + length
    return records, buffer[pos:]


def split_handshakes(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Handshake messages (type, body) in reassembled handshake bytes, and the rest."""
    messages = []
    pos = 0
    while len(data) - pos >= 4:
        msg_type = data[pos]
        length = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if len(data) - pos - 4 < length:
            break
        messages.append((msg_type, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return messages, data[pos:]


@dataclass(frozen=True, slots=True)
class ServerHello:
    version: int  # the legacy version field
    random: bytes
    session_id: bytes
    cipher: int
    compression: int
    extensions: dict[int, bytes] = field(default_factory=dict)

    @property
    def negotiated_version(self) -> int:
        chosen = self.extensions.get(EXT_SUPPORTED_VERSIONS)
        if chosen is not None and len(chosen) == 2:
            return int.from_bytes(chosen, "big")
        return self.version


def _take(data: bytes, pos: int, n: int) -> tuple[bytes, int]:
    if pos + n > len(data):
        raise TlsParseError("truncated handshake message")
    return data[pos : pos + n], pos + n


def parse_server_hello(body: bytes) -> ServerHello:
    version_bytes, pos = _take(body, 0, 2)
    random, pos = _take(body, pos, 32)
    sid_len, pos = _take(body, pos, 1)
    session_id, pos = _take(body, pos, sid_len[0])
    cipher, pos = _take(body, pos, 2)
    compression, pos = _take(body, pos, 1)
    extensions: dict[int, bytes] = {}
    if pos < len(body):
        ext_len, pos = _take(body, pos, 2)
        ext_data, pos = _take(body, pos, int.from_bytes(ext_len, "big"))
        epos = 0
        while epos < len(ext_data):
            header, epos = _take(ext_data, epos, 4)
            ext_type, length = struct.unpack("!HH", header)
            extensions[ext_type], epos = _take(ext_data, epos, length)
    return ServerHello(
        int.from_bytes(version_bytes, "big"),
        random,
        session_id,
        int.from_bytes(cipher, "big"),
        compression[0],
        extensions,
    )


def parse_certificate(body: bytes) -> list[bytes]:
    """DER certificates of a TLS 1.0-1.2 Certificate message, leaf first (RFC 5246 §7.4.2)."""
    total, pos = _take(body, 0, 3)
    data, _ = _take(body, pos, int.from_bytes(total, "big"))
    certs = []
    pos = 0
    while pos < len(data):
        length, pos = _take(data, pos, 3)
        der, pos = _take(data, pos, int.from_bytes(length, "big"))
        certs.append(der)
    return certs


@dataclass(frozen=True, slots=True)
class Alert:
    level: int
    description: int

    @property
    def name(self) -> str:
        return ALERT_NAMES.get(self.description, f"alert {self.description}")


def parse_alert(fragment: bytes) -> Alert:
    if len(fragment) < 2:
        raise TlsParseError("truncated alert")
    return Alert(fragment[0], fragment[1])


@dataclass(frozen=True, slots=True)
class SSLv2ServerHello:
    version: int
    ciphers: tuple[int, ...]
    certificate: bytes


def sslv2_record_length(buffer: bytes) -> int | None:
    """Total length of the SSL 2.0 record starting ``buffer``, or None if not SSL 2.0."""
    if len(buffer) < 2 or not buffer[0] & 0x80:
        return None
    return 2 + (((buffer[0] & 0x7F) << 8) | buffer[1])


def parse_sslv2_server_hello(rec: bytes) -> SSLv2ServerHello:
    """Parse an SSL 2.0 SERVER-HELLO record (2-byte header included)."""
    body = rec[2:]
    if len(body) < 11 or body[0] != 4:
        raise TlsParseError("not an SSL 2.0 SERVER-HELLO")
    version, cert_len, specs_len, _conn_len = struct.unpack_from("!HHHH", body, 3)
    cert, pos = _take(body, 11, cert_len)
    specs, _ = _take(body, pos, specs_len)
    ciphers = tuple(int.from_bytes(specs[i : i + 3], "big") for i in range(0, len(specs) - 2, 3))
    return SSLv2ServerHello(version, ciphers, cert)


@dataclass(frozen=True, slots=True)
class ClientHello:
    """A parsed ClientHello: what the builders above send, and what a lab server reads."""

    version: int  # client_version (legacy_version for TLS 1.3)
    random: bytes
    session_id: bytes
    suites: tuple[int, ...]
    compression: tuple[int, ...]
    extensions: dict[int, bytes] = field(default_factory=dict)

    @property
    def offered_versions(self) -> tuple[int, ...]:
        data = self.extensions.get(EXT_SUPPORTED_VERSIONS)
        if data is None:
            return (self.version,)
        return tuple(int.from_bytes(data[i : i + 2], "big") for i in range(1, len(data) - 1, 2))


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello handshake body (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2)."""
    version, pos = _take(body, 0, 2)
    random, pos = _take(body, pos, 32)
    sid_len, pos = _take(body, pos, 1)
    session_id, pos = _take(body, pos, sid_len[0])
    suites_len, pos = _take(body, pos, 2)
    suites, pos = _take(body, pos, int.from_bytes(suites_len, "big"))
    comp_len, pos = _take(body, pos, 1)
    compression, pos = _take(body, pos, comp_len[0])
    # The extension block has the same shape as the ServerHello's: reuse that parser.
    fake_server = b"\x03\x03" + bytes(32) + b"\x00\x00\x00\x00" + body[pos:]
    return ClientHello(
        int.from_bytes(version, "big"),
        random,
        session_id,
        tuple(int.from_bytes(suites[i : i + 2], "big") for i in range(0, len(suites) - 1, 2)),
        tuple(compression),
        parse_server_hello(fake_server).extensions,
    )
