"""Short protocol-aware banner probes and the pure parsers behind them.

Each probe opens one connection through ``ctx.connect``, says as little as the protocol needs
(often nothing), reads within the operation timeout and hands the bytes to a pure parser.
A parser returns a :class:`Banner` or raises :class:`BannerError` when the bytes are not the
protocol the port promises (garbage, an HTML page on a database port…).
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rempart.engine.context import ScanContext

MAX_READ = 64 * 1024


class BannerError(ValueError):
    """Bytes that are not the expected protocol; the message says what was seen."""


@dataclass(frozen=True, slots=True)
class Banner:
    product: str  # display name, "" when the banner names none
    key: str  # product key for software.match ("elasticsearch"), "" when none
    version: str | None  # the disclosed version, None when the banner hides it
    evidence: str  # what was seen, short

    @property
    def discloses_version(self) -> bool:
        return bool(self.product and self.version)


def _short(text: str, limit: int = 200) -> str:
    """One line, printable ASCII only (escapes what a hostile peer sent), at most ``limit``."""
    text = ascii(" ".join(text.split()))[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- FTP (RFC 959) ---------------------------------------------------------------------

_FTP_PRODUCTS = (
    (re.compile(r"vsFTPd (\d[\w.]*)", re.I), "vsFTPd", "vsftpd"),
    (re.compile(r"ProFTPD (\d[\w.]*)", re.I), "ProFTPD", "proftpd"),
    (
        re.compile(r"FileZilla Server(?: version)? (\d[\w.]*)", re.I),
        "FileZilla Server",
        "filezilla",
    ),
    (re.compile(r"Pure-FTPd(?: (\d[\w.]*))?", re.I), "Pure-FTPd", "pure-ftpd"),
    (re.compile(r"Microsoft FTP Service()", re.I), "Microsoft FTP Service", "iis-ftp"),
)


def parse_ftp_greeting(line: str) -> Banner:
    """The 220 greeting line: ``220 (vsFTPd 3.0.5)`` -> vsFTPd 3.0.5."""
    line = line.strip()
    if not re.match(r"^220[ -]", line):
        raise BannerError(f"not an FTP greeting: '{_short(line, 60)}'")
    for pattern, name, key in _FTP_PRODUCTS:
        found = pattern.search(line)
        if found:
            return Banner(name, key, found.group(1) or None, _short(line))
    return Banner("", "", None, _short(line))


# -- MySQL initial handshake (protocol 10) ----------------------------------------------


def parse_mysql_handshake(packet: bytes) -> Banner:
    """A MySQL/MariaDB server greeting: 3-byte length, sequence, then protocol 10 + version."""
    if len(packet) < 5:
        raise BannerError("MySQL greeting truncated")
    payload = packet[4 : 4 + int.from_bytes(packet[:3], "little")]
    if payload[:1] == b"\xff" and len(payload) >= 3:
        message = payload[3:].decode("utf-8", "replace").lstrip("#")
        return Banner("MySQL", "mysql", None, _short(f"MySQL error packet: {message}"))
    if payload[:1] != b"\x0a":
        raise BannerError(f"not a MySQL protocol-10 greeting (first byte {payload[:1].hex()})")
    end = payload.find(b"\x00", 1)
    if end < 0:
        raise BannerError("MySQL greeting without a terminated version string")
    text = payload[1:end].decode("ascii", "replace")
    return parse_mysql_version(text)


def parse_mysql_version(text: str) -> Banner:
    """``8.0.36`` -> MySQL 8.0.36; ``5.5.5-10.6.12-MariaDB`` -> MariaDB 10.6.12."""
    evidence = f"MySQL protocol 10, server version {text!r}"
    if "mariadb" in text.lower():
        # MariaDB prefixes "5.5.5-" so that old replication clients accept it.
        found = re.search(r"(\d+\.\d+\.\d+)-MariaDB", text, re.I)
        return Banner("MariaDB", "mariadb", found.group(1) if found else None, evidence)
    found = re.match(r"(\d+\.\d+(?:\.\d+)?)", text)
    return Banner("MySQL", "mysql", found.group(1) if found else None, evidence)


# -- Redis, Memcached --------------------------------------------------------------------


def parse_redis_reply(reply: bytes) -> Banner:
    """The reply to ``INFO server``: a bulk string with ``redis_version:``, or an error."""
    text = reply.decode("utf-8", "replace")
    if text.startswith("-"):
        return Banner("Redis", "redis", None, _short(text.splitlines()[0]))
    if not text.startswith("$"):
        raise BannerError(f"not a Redis reply: '{_short(text, 60)}'")
    found = re.search(r"^redis_version:(\S+)", text, re.M)
    if not found:
        return Banner("Redis", "redis", None, "INFO server answered without redis_version")
    return Banner("Redis", "redis", found.group(1), f"redis_version:{found.group(1)}")


def parse_memcached_version(line: bytes) -> Banner:
    text = line.decode("ascii", "replace").strip()
    found = re.match(r"^VERSION (\S+)$", text)
    if found:
        return Banner("Memcached", "memcached", found.group(1), _short(text))
    if text in ("ERROR", "CLIENT_ERROR", "SERVER_ERROR") or text.startswith(
        ("ERROR", "CLIENT_ERROR", "SERVER_ERROR")
    ):
        return Banner("Memcached", "memcached", None, _short(text))
    raise BannerError(f"not a memcached answer: '{_short(text, 60)}'")


# -- HTTP JSON services: Elasticsearch, CouchDB -------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


def parse_http_reply(raw: bytes) -> HttpReply:
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    found = re.match(r"^HTTP/\d(?:\.\d)? (\d{3})", lines[0])
    if not sep or not found:
        raise BannerError(f"not an HTTP response: '{_short(lines[0], 60)}'")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return HttpReply(int(found.group(1)), headers, body)


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def parse_elasticsearch(reply: HttpReply) -> Banner:
    """``GET /``: ``{"version": {"number": "1.4.2"}, "tagline": "You Know, for Search"}``."""
    data = _json_object(reply.body) or {}
    version = data.get("version")
    number = version.get("number") if isinstance(version, dict) else None
    if isinstance(number, str) and number:
        tagline = data.get("tagline", "")
        return Banner(
            "Elasticsearch",
            "elasticsearch",
            number,
            _short(f'version.number "{number}", tagline "{tagline}"'),
        )
    if reply.status == 401:
        return Banner("Elasticsearch", "elasticsearch", None, "HTTP 401: authentication required")
    return Banner("", "", None, _short(f"HTTP {reply.status}, no version in the answer"))


def parse_couchdb(reply: HttpReply) -> Banner:
    """``GET /``: ``{"couchdb":"Welcome","version":"3.2.1"}``; else the Server header."""
    data = _json_object(reply.body) or {}
    version = data.get("version")
    if data.get("couchdb") == "Welcome" and isinstance(version, str) and version:
        return Banner(
            "CouchDB", "couchdb", version, _short(f'{{"couchdb":"Welcome","version":"{version}"}}')
        )
    server = reply.headers.get("server", "")
    found = re.search(r"CouchDB/(\d[\w.]*)", server)
    if found:
        return Banner("CouchDB", "couchdb", found.group(1), _short(f"Server: {server}"))
    if reply.status == 401:
        return Banner("CouchDB", "couchdb", None, "HTTP 401: authentication required")
    return Banner("", "", None, _short(f"HTTP {reply.status}, no version in the answer"))


# -- VNC, Telnet, RDP (identification only: no product version on the wire) -------------


def parse_rfb(greeting: bytes) -> Banner:
    """RFC 6143 §7.1.1: ``RFB 003.008\\n`` is a protocol version, not a product version."""
    found = re.match(rb"^RFB (\d{3}\.\d{3})\n", greeting)
    if not found:
        raise BannerError(f"not a VNC (RFB) greeting: {greeting[:16]!r}")
    return Banner("VNC", "", None, f"RFB {found.group(1).decode()}")


_TELNET_COMMANDS = {251: "WILL", 252: "WONT", 253: "DO", 254: "DONT"}
_TELNET_OPTIONS = {
    1: "ECHO",
    3: "SUPPRESS-GO-AHEAD",
    24: "TERMINAL-TYPE",
    31: "NAWS",
    32: "TERMINAL-SPEED",
    33: "LFLOW",
    34: "LINEMODE",
    39: "NEW-ENVIRON",
}


def parse_telnet(data: bytes) -> Banner:
    """Split RFC 854 IAC negotiation (IAC WILL/WONT/DO/DONT opt, IAC SB … IAC SE) from text."""
    options: list[str] = []
    text = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte != 255:
            text.append(byte)
            i += 1
        elif i + 2 < len(data) and data[i + 1] in _TELNET_COMMANDS:
            option = data[i + 2]
            options.append(f"{_TELNET_COMMANDS[data[i + 1]]} {_TELNET_OPTIONS.get(option, option)}")
            i += 3
        elif i + 1 < len(data) and data[i + 1] == 250:  # SB: skip to IAC SE
            end = data.find(b"\xff\xf0", i + 2)
            i = len(data) if end < 0 else end + 2
        else:
            i += 2
    shown = text.decode("utf-8", "replace").strip()
    parts = ([f"IAC {', '.join(options)}"] if options else []) + ([repr(shown)] if shown else [])
    return Banner("Telnet", "", None, _short("; ".join(parts) or "no text"))


RDP_PROTOCOLS = {0: "standard RDP security", 1: "TLS", 2: "CredSSP (NLA)", 8: "RDSTLS"}


def rdp_connection_request() -> bytes:
    """TPKT + X.224 Connection Request + RDP_NEG_REQ asking TLS|CredSSP (MS-RDPBCGR 2.2.1.1)."""
    neg_req = struct.pack("<BBHI", 0x01, 0, 8, 0x00000003)
    x224 = bytes([6 + len(neg_req), 0xE0, 0, 0, 0, 0, 0]) + neg_req
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def parse_rdp_confirm(data: bytes) -> Banner:
    """An X.224 Connection Confirm (code 0xD0), with RDP_NEG_RSP (2) or RDP_NEG_FAILURE (3)."""
    if len(data) < 11 or data[0] != 3 or data[5] != 0xD0:
        raise BannerError(f"not an X.224 Connection Confirm: {data[:12].hex()}")
    if len(data) >= 19 and data[11] == 0x02:
        (selected,) = struct.unpack_from("<I", data, 15)
        chosen = RDP_PROTOCOLS.get(selected, f"protocol {selected}")
        return Banner("RDP", "", None, f"X.224 Connection Confirm, RDP_NEG_RSP selects {chosen}")
    if len(data) >= 19 and data[11] == 0x03:
        (code,) = struct.unpack_from("<I", data, 15)
        return Banner("RDP", "", None, f"X.224 Connection Confirm, RDP_NEG_FAILURE code {code}")
    return Banner("RDP", "", None, "X.224 Connection Confirm (no negotiation: legacy RDP)")


# -- probes ------------------------------------------------------------------------------


async def _exactly(ctx: ScanContext, reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.readexactly(n), ctx.config.timeout)
    except asyncio.IncompleteReadError as exc:
        raise EOFError(f"the server closed the connection after {len(exc.partial)} bytes") from None


async def _some(ctx: ScanContext, reader: asyncio.StreamReader) -> bytes:
    data = await ctx.read(reader, 4096)
    if not data:
        raise EOFError("the server closed the connection without a word")
    return data


async def _until_eof(ctx: ScanContext, reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < MAX_READ:
        chunk = await ctx.read(reader, MAX_READ - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


Probe = Callable[[ScanContext, str, int], Awaitable[Banner]]


async def probe_mysql(ctx: ScanContext, ip: str, port: int) -> Banner:
    async with ctx.connect(ip, port) as (reader, _writer):
        header = await _exactly(ctx, reader, 4)
        length = int.from_bytes(header[:3], "little")
        if not 0 < length <= 1024:
            raise BannerError(f"not a MySQL greeting (packet length {length})")
        return parse_mysql_handshake(header + await _exactly(ctx, reader, length))


async def _ask_line(ctx: ScanContext, ip: str, port: int, question: bytes) -> bytes:
    async with ctx.connect(ip, port) as (reader, writer):
        writer.write(question)
        await writer.drain()
        first = await ctx.readline(reader)
        if not first:
            raise EOFError("the server closed the connection without answering")
        found = re.match(rb"^\$(\d+)\r\n$", first)  # a RESP bulk string follows
        if found and int(found.group(1)) <= MAX_READ:
            return first + await _exactly(ctx, reader, int(found.group(1)))
        return first


async def probe_redis(ctx: ScanContext, ip: str, port: int) -> Banner:
    return parse_redis_reply(await _ask_line(ctx, ip, port, b"INFO server\r\n"))


async def probe_memcached(ctx: ScanContext, ip: str, port: int) -> Banner:
    return parse_memcached_version(await _ask_line(ctx, ip, port, b"version\r\n"))


async def _http_get(ctx: ScanContext, ip: str, port: int) -> HttpReply:
    request = (
        f"GET / HTTP/1.0\r\nHost: {ip}:{port}\r\nUser-Agent: rempart\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode("ascii")
    async with ctx.connect(ip, port) as (reader, writer):
        writer.write(request)
        await writer.drain()
        raw = await _until_eof(ctx, reader)
    if not raw:
        raise EOFError("the server closed the connection without answering")
    return parse_http_reply(raw)


async def probe_elasticsearch(ctx: ScanContext, ip: str, port: int) -> Banner:
    return parse_elasticsearch(await _http_get(ctx, ip, port))


async def probe_couchdb(ctx: ScanContext, ip: str, port: int) -> Banner:
    return parse_couchdb(await _http_get(ctx, ip, port))


async def probe_vnc(ctx: ScanContext, ip: str, port: int) -> Banner:
    async with ctx.connect(ip, port) as (reader, _writer):
        return parse_rfb(await _exactly(ctx, reader, 12))


async def probe_telnet(ctx: ScanContext, ip: str, port: int) -> Banner:
    async with ctx.connect(ip, port) as (reader, _writer):
        return parse_telnet(await _some(ctx, reader))


async def probe_rdp(ctx: ScanContext, ip: str, port: int) -> Banner:
    async with ctx.connect(ip, port) as (reader, writer):
        writer.write(rdp_connection_request())
        await writer.drain()
        header = await _exactly(ctx, reader, 4)
        length = int.from_bytes(header[2:4], "big")
        if header[0] != 3 or not 4 < length <= 1024:
            raise BannerError(f"not a TPKT answer: {header.hex()}")
        return parse_rdp_confirm(header + await _exactly(ctx, reader, length - 4))


# Ports whose protocol we identify with a banner probe (FTP has its own session in ftp.py
# terms: see services._ftp); the other ports of the list are connect-only.
PROBES: dict[int, Probe] = {
    23: probe_telnet,
    3306: probe_mysql,
    3389: probe_rdp,
    5900: probe_vnc,
    5984: probe_couchdb,
    6379: probe_redis,
    9200: probe_elasticsearch,
    11211: probe_memcached,
}


async def _ftp_reply(ctx: ScanContext, reader: asyncio.StreamReader) -> str:
    """The first line of one reply, after reading its continuation lines (RFC 959 §4.2)."""
    first = ""
    for _ in range(50):
        line = (await ctx.readline(reader)).decode("utf-8", "replace")
        if not line:
            raise EOFError("the server closed the connection before a full reply")
        first = first or line.strip()
        if not re.match(r"^\d{3}-", line):  # "220-..." continues, "220 ..." ends
            return first
    raise BannerError("an FTP reply longer than 50 lines")


@dataclass(frozen=True, slots=True)
class FtpSession:
    banner: Banner
    anonymous: bool | None  # None: not tried
    evidence: str


async def probe_ftp(ctx: ScanContext, ip: str, port: int, *, try_anonymous: bool) -> FtpSession:
    """Read the 220 greeting; optionally try ``USER anonymous`` (RFC 1635) and read the verdict."""
    async with ctx.connect(ip, port) as (reader, writer):
        banner = parse_ftp_greeting(await _ftp_reply(ctx, reader))
        if not try_anonymous:
            return FtpSession(banner, None, "")
        replies: list[str] = []
        for command in (b"USER anonymous\r\n", b"PASS rempart@example.org\r\n"):
            writer.write(command)
            await writer.drain()
            reply = await _ftp_reply(ctx, reader)
            if not re.match(r"^\d{3}", reply):
                raise BannerError(f"not an FTP reply to {command[:4].decode()}: {reply[:60]!r}")
            replies.append(reply)
            if not reply.startswith("331"):  # 230 straight away, or a refusal
                break
        writer.write(b"QUIT\r\n")
        await writer.drain()
        accepted = replies[-1].startswith("230")
        return FtpSession(banner, accepted, _short(" / ".join(replies)))
