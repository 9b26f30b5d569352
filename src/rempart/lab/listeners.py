"""The lab's risky listeners: SMB, RDP, Telnet, FTP, databases, VNC, WinRM on one address.

Each :class:`~rempart.lab.profiles.Service` becomes a small asyncio server that answers the
first exchange of its protocol the way the real product does (bytes built here with
``struct``, independently of the engine's parsers, so that a shared misreading of a spec
cannot hide). Fault listeners (hang, garbage, close) exercise the scanner's error paths.

Every listener is a :class:`Listener`: ``close()`` then ``await wait_closed()`` stops it
and drops its open connections; ``connections`` counts the connections it accepted.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
from collections.abc import Awaitable, Callable
from typing import Literal

from rempart.lab.profiles import Service

IDLE = 30.0  # seconds a lab connection may stay silent before the lab drops it
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
FaultMode = Literal["hang", "garbage", "close"]
_DROPPED = (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)


class Listener:
    """One listening socket, its open connections, and how many it accepted."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.AbstractServer | None = None
        self.connections = 0

    async def start(self, address: str, port: int) -> Listener:
        self.server = await asyncio.start_server(self._serve, address, port, reuse_address=True)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handler(reader, writer)
        except _DROPPED:
            pass  # the scanner went away or sent nonsense: a lab server just hangs up
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self) -> None:
        if self.server is not None:
            await self.server.wait_closed()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def start_services(address: str, services: tuple[Service, ...]) -> list[Listener]:
    """Start one listener per service on ``address`` (e.g. 127.20.0.5), on ``service.port``.

    Raises OSError (e.g. EACCES on a port below 1024 without root) after closing the
    listeners it had started.
    """
    started: list[Listener] = []
    try:
        for service in services:
            started.append(await Listener(_handler_for(service)).start(address, service.port))
    except OSError:
        for listener in started:
            listener.close()
        raise
    return started


async def start_faulty(address: str, port: int, mode: FaultMode) -> list[Listener]:
    """A misbehaving peer: ``hang`` (accept, never speak), ``garbage`` (random bytes, then
    close) or ``close`` (close at once)."""
    return [await Listener(_FAULTS[mode]).start(address, port)]


# -- helpers -----------------------------------------------------------------------------


async def _line(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readline(), IDLE)


async def _exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    return await asyncio.wait_for(reader.readexactly(n), IDLE)


async def _drain_until_eof(reader: asyncio.StreamReader) -> None:
    while await asyncio.wait_for(reader.read(4096), IDLE):
        pass


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


async def _http_request(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE)


def _http(status: str, body: bytes, headers: tuple[str, ...] = ()) -> bytes:
    head = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# -- SMB (MS-CIFS, MS-SMB2) --------------------------------------------------------------

SMB2_DIALECTS = {"SMB 2.002": 0x0202, "SMB 2.???": 0x02FF}


def smb1_dialects(message: bytes) -> list[str]:
    """Dialect strings of an SMB1 NEGOTIATE request (0x02 + NUL-terminated, MS-CIFS 2.2.4.52.1)."""
    (byte_count,) = struct.unpack_from("<H", message, 33)
    blob = message[35 : 35 + byte_count]
    return [part[1:].decode("ascii", "replace") for part in blob.split(b"\x00") if part]


def smb1_negotiate_response(index: int) -> bytes:
    """An NT LM 0.12 negotiate response, non-extended security (MS-CIFS 2.2.4.52.2)."""
    header = struct.pack(
        "<4sBIBHH8sHHHHH",
        b"\xffSMB",
        0x72,
        0,
        0x98,
        0xC853,
        0,
        b"\x00" * 8,
        0,
        0xFFFF,
        0xFEFF,
        0,
        0,
    )
    words = struct.pack(
        "<HBHHIIIIQhB", index, 0x03, 50, 1, 16644, 65536, 0, 0x0000F3FD, 0x01D9A0B7C0000000, 0, 8
    )
    data = os.urandom(8) + "WORKGROUP\x00".encode("utf-16-le")
    return header + bytes([len(words) // 2]) + words + struct.pack("<H", len(data)) + data


def smb2_negotiate_response(dialect: int) -> bytes:
    """An SMB2 NEGOTIATE response (MS-SMB2 2.2.4) with an empty security buffer."""
    header = struct.pack(
        "<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 0, 0, 0, 1, 1, 0, 0, 0xFEFF, 0, 0, b"\x00" * 16
    )
    body = struct.pack(
        "<HHHH16sIIIIQQHHI",
        65,
        0x01,
        dialect,
        0,
        os.urandom(16),
        0x7,
        8388608,
        8388608,
        8388608,
        0x01D9A0B7C0000000,
        0,
        128,
        0,
        0,
    )
    return header + body


def smb_answer(message: bytes, smb_v1: bool) -> bytes | None:
    """What a Windows-like server answers to one negotiate, or None to drop the connection."""
    if message[:4] == b"\xffSMB" and len(message) >= 35 and message[4] == 0x72:
        offered = smb1_dialects(message)
        if smb_v1 and "NT LM 0.12" in offered:
            return smb1_negotiate_response(offered.index("NT LM 0.12"))
        for name, dialect in sorted(SMB2_DIALECTS.items(), key=lambda kv: -kv[1]):
            if name in offered:
                return smb2_negotiate_response(dialect)
        return None  # SMB1-only offer and SMBv1 disabled: Windows resets the connection
    if message[:4] == b"\xfeSMB" and len(message) >= 64 + 36:
        (count,) = struct.unpack_from("<H", message, 66)
        offered_ids = struct.unpack_from(f"<{count}H", message, 64 + 36)
        chosen = max((d for d in offered_ids if d <= 0x0302), default=0x0202)
        return smb2_negotiate_response(chosen)
    return None


def _smb_handler(service: Service) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            header = await _exactly(reader, 4)
            payload = await _exactly(reader, int.from_bytes(header[1:4], "big") & 0x1FFFF)
            if header[0] == 0x81:  # NetBIOS session request (port 139): positive response
                await _send(writer, b"\x82\x00\x00\x00")
                continue
            answer = smb_answer(payload, service.smb_v1)
            if answer is None:
                return
            await _send(writer, b"\x00" + len(answer).to_bytes(3, "big") + answer)

    return handle


# -- the other protocols -----------------------------------------------------------------


async def _rdp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    header = await _exactly(reader, 4)
    request = await _exactly(reader, max(0, int.from_bytes(header[2:4], "big") - 4))
    requested = struct.unpack_from("<I", request, len(request) - 4)[0] if len(request) >= 8 else 0
    selected = 2 if requested & 2 else (1 if requested & 1 else 0)
    neg_rsp = struct.pack("<BBHI", 0x02, 0x1F, 8, selected)
    x224 = bytes([6 + len(neg_rsp), 0xD0, 0, 0, 0x12, 0x34, 0]) + neg_rsp
    await _send(writer, struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224)
    await _drain_until_eof(reader)


async def _telnet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # IAC DO TERMINAL-TYPE, IAC DO NAWS, IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD (RFC 854)
    await _send(writer, b"\xff\xfd\x18\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\nlogin: ")
    await _drain_until_eof(reader)


def _ftp_handler(service: Service) -> Handler:
    version = service.version
    if version and version[0].isdigit():
        version = f"vsFTPd {version}"
    greeting = f"220 ({version})" if version else "220 FTP server ready"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _send(writer, f"{greeting}\r\n".encode())
        user = ""
        while line := (await _line(reader)).decode("utf-8", "replace").strip():
            verb, _, argument = line.partition(" ")
            match verb.upper():
                case "USER":
                    user = argument.lower()
                    reply = "331 Please specify the password."
                case "PASS":
                    ok = service.ftp_anonymous and user in ("anonymous", "ftp")
                    reply = "230 Login successful." if ok else "530 Login incorrect."
                case "QUIT":
                    await _send(writer, b"221 Goodbye.\r\n")
                    return
                case _:
                    reply = "530 Please login with USER and PASS."
            await _send(writer, f"{reply}\r\n".encode())

    return handle


def _mysql_handler(service: Service) -> Handler:
    # Without a version the lab plays a server patched not to disclose it (no digits).
    version = (service.version or "mysqld").encode("ascii")
    salt = os.urandom(20).replace(b"\x00", b"\x01")
    payload = (
        b"\x0a"
        + version
        + b"\x00"
        + struct.pack("<I", 42)
        + salt[:8]
        + b"\x00"
        + struct.pack("<HBHHB", 0xF7FF, 0x21, 0x0002, 0x81FF, 21)
        + b"\x00" * 10
        + salt[8:]
        + b"\x00"
        + b"mysql_native_password\x00"
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _send(writer, len(payload).to_bytes(3, "little") + b"\x00" + payload)
        await _drain_until_eof(reader)

    return handle


def _redis_handler(service: Service) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await _line(reader):
            if line.startswith(b"*") or line.startswith(b"$"):
                continue  # RESP array framing: the command word comes on its own line
            if not service.version:
                await _send(writer, b"-NOAUTH Authentication required.\r\n")
            elif line.strip().upper().startswith(b"INFO"):
                info = (
                    f"# Server\r\nredis_version:{service.version}\r\nredis_mode:standalone"
                    "\r\nos:Linux 6.1.0 x86_64\r\ntcp_port:6379\r\n"
                ).encode()
                await _send(writer, b"$%d\r\n%s\r\n" % (len(info), info))
            else:
                await _send(writer, b"-ERR unknown command\r\n")

    return handle


def _elasticsearch_handler(service: Service) -> Handler:
    if service.version:
        body = json.dumps(
            {
                "name": "node-1",
                "cluster_name": "elasticsearch",
                "version": {"number": service.version, "lucene_version": "4.10.2"},
                "tagline": "You Know, for Search",
            }
        ).encode()
        answer = _http("200 OK", body, ("Content-Type: application/json; charset=UTF-8",))
    else:
        body = (
            b'{"error":{"type":"security_exception","reason":"missing authentication"},'
            b'"status":401}'
        )
        answer = _http(
            "401 Unauthorized",
            body,
            (
                'WWW-Authenticate: Basic realm="security" charset="UTF-8"',
                "Content-Type: application/json; charset=UTF-8",
            ),
        )
    return _http_handler(answer)


def _couchdb_handler(service: Service) -> Handler:
    if service.version:
        body = json.dumps(
            {
                "couchdb": "Welcome",
                "version": service.version,
                "vendor": {"name": "The Apache Software Foundation"},
            }
        ).encode()
        answer = _http(
            "200 OK",
            body,
            (
                f"Server: CouchDB/{service.version} (Erlang OTP/24)",
                "Content-Type: application/json",
            ),
        )
    else:
        body = b'{"error":"unauthorized","reason":"You are not authorized to access this db."}'
        answer = _http(
            "401 Unauthorized", body, ("Server: CouchDB", "Content-Type: application/json")
        )
    return _http_handler(answer)


def _http_handler(answer: bytes) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _http_request(reader)
        await _send(writer, answer)

    return handle


def _memcached_handler(service: Service) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await _line(reader):
            if line.strip() == b"version" and service.version:
                await _send(writer, f"VERSION {service.version}\r\n".encode())
            else:
                await _send(writer, b"ERROR\r\n")

    return handle


async def _vnc(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _send(writer, b"RFB 003.008\n")
    await _drain_until_eof(reader)


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Postgres, MSSQL, Oracle, MongoDB, WinRM over TLS: accept, read, hang up."""
    await asyncio.wait_for(reader.read(4096), IDLE)


_WINRM_HTTP = _http("405 Method Not Allowed", b"", ("Allow: POST", "Server: Microsoft-HTTPAPI/2.0"))


def _handler_for(service: Service) -> Handler:
    match service.kind:
        case "smb":
            return _smb_handler(service)
        case "rdp":
            return _rdp
        case "telnet":
            return _telnet
        case "ftp":
            return _ftp_handler(service)
        case "mysql":
            return _mysql_handler(service)
        case "redis":
            return _redis_handler(service)
        case "elasticsearch":
            return _elasticsearch_handler(service)
        case "couchdb":
            return _couchdb_handler(service)
        case "memcached":
            return _memcached_handler(service)
        case "vnc":
            return _vnc
        case "winrm":
            return _http_handler(_WINRM_HTTP) if service.port != 5986 else _silent
        case "postgres" | "mssql" | "oracle" | "mongodb":
            return _silent
        case _:
            raise ValueError(f"no lab listener for service kind {service.kind!r}")


# -- faults ------------------------------------------------------------------------------


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.read(4096):  # never answer; wait for the client to give up
        pass


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # 0x00 first byte would look like a NetBIOS frame; 0x8F…: nothing any probe expects.
    await _send(writer, b"\x8f\x13" + os.urandom(62))


async def _close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    return None


_FAULTS: dict[str, Handler] = {"hang": _hang, "garbage": _garbage, "close": _close}
