"""The lab's HTTPS listeners: a real stdlib ``ssl`` server, fronted by the raw legacy stack.

:func:`server_context` builds what a modern OpenSSL can play for a TlsProfile (protocol
range, RSA key exchange, weak certificates). :func:`start_tls_service` listens on an address:
without legacy flags it is a plain ``asyncio.start_server(ssl=...)``; with them, each
connection's ClientHello is peeked (``MSG_PEEK``, nothing consumed): a hello offering TLS 1.3
is handed to the real server, any other hello is answered by :mod:`rempart.lab.tlsfront`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import warnings
from collections.abc import Awaitable, Callable

from rempart.lab import tlsfront, tlswire
from rempart.lab.pki import Issued
from rempart.lab.profiles import TlsProfile

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HANDSHAKE_TIMEOUT = 10.0
PEEK_TIMEOUT = 10.0
_LEGACY_FLAGS = (
    "weak_cipher",
    "sslv2",
    "sslv3",
    "heartbleed",
    "robot",
    "ccs_injection",
    "compression",
    "insecure_renegotiation",
)
_ECDHE_SUITES = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
_ECDHE_CBC = "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"  # what TLS 1.0/1.1 can use
_RSA_KX = "AES128-GCM-SHA256:AES128-SHA"


def needs_front(tls: TlsProfile) -> bool:
    """Whether the profile has behaviour only the raw front can play."""
    return any(getattr(tls, flag) for flag in _LEGACY_FLAGS)


def cipher_string(tls: TlsProfile) -> str:
    """The OpenSSL cipher list (TLS 1.2 and below) of a profile."""
    suites = _ECDHE_SUITES
    if tls.tls10 or tls.tls11:
        suites += ":" + _ECDHE_CBC
    if tls.no_forward_secrecy or tls.robot:  # the ROBOT stack accepts RSA kx by construction
        suites += ":" + _RSA_KX
    # OpenSSL 3 refuses TLS 1.0/1.1, RSA-1024 keys and SHA-1 certificates above level 0.
    weak = tls.tls10 or tls.tls11 or tls.cert.key == "rsa1024" or tls.cert.signature == "sha1"
    return suites + (":@SECLEVEL=0" if weak else "")


def server_context(issued: Issued, tls: TlsProfile) -> ssl.SSLContext:
    """A server context playing the protocol range and suites of ``tls``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers(cipher_string(tls))  # before loading: the level gates weak keys
    context.load_cert_chain(issued.chain_pem_path, issued.key_path)
    with warnings.catch_warnings():  # TLSv1/TLSv1_1 and OP_NO_* are deprecated: the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        if tls.tls10:
            context.minimum_version = ssl.TLSVersion.TLSv1
        elif tls.tls11:
            context.minimum_version = ssl.TLSVersion.TLSv1_1
        else:
            context.minimum_version = ssl.TLSVersion.TLSv1_2
        if tls.tls10 and not tls.tls11:
            context.options |= ssl.OP_NO_TLSv1_1  # the only way to skip 1.1 inside the range
    if not tls.tls13:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


async def start_tls_service(
    address: str, port: int, tls: TlsProfile, issued: Issued, handler: Handler
) -> asyncio.AbstractServer | LegacyTlsService:
    """Listen on ``address:port``; ``handler`` gets the decrypted stream of each client.

    Both return types have ``close()`` and ``await wait_closed()``.
    """
    context = server_context(issued, tls)
    if not needs_front(tls):
        return await asyncio.start_server(
            handler, address, port, ssl=context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT
        )
    service = LegacyTlsService(tls, issued, context, handler)
    service.listen(address, port)
    return service


def _set_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _peek_hello(sock: socket.socket) -> bytes:
    """The first hello's bytes, read with MSG_PEEK so that the socket still holds them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PEEK_TIMEOUT
    data = b""
    while True:
        ready: asyncio.Future[None] = loop.create_future()
        loop.add_reader(sock.fileno(), _set_once, ready)
        try:
            await asyncio.wait_for(ready, max(deadline - loop.time(), 0.0))
        finally:
            loop.remove_reader(sock.fileno())
        previous, data = data, sock.recv(65536, socket.MSG_PEEK)
        if not data or len(data) >= tlswire.needed_hello_bytes(data):
            return data
        if data == previous:
            # Part of the hello is in: the socket stays readable, so wait for the rest.
            await asyncio.sleep(0.01)


class LegacyTlsService:
    """A listener that splits clients between the real TLS server and the raw front."""

    def __init__(self, tls: TlsProfile, issued: Issued, context: ssl.SSLContext, handler: Handler):
        self.tls, self.issued, self.context, self.handler = tls, issued, context, handler
        self._sock: socket.socket | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._accepting: asyncio.Task[None] | None = None

    def listen(self, address: str, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop(sock))

    @property
    def port(self) -> int:
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError:
                await asyncio.sleep(0.1)  # e.g. EMFILE: let connections drain
                continue
            task = loop.create_task(self._serve(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        try:
            data = await _peek_hello(conn)
        except (OSError, TimeoutError):
            conn.close()
            return
        if not data:
            conn.close()
            return
        if tlswire.offers_tls13(data):
            await self._hand_to_real_server(conn)
            return
        try:
            reader, writer = await asyncio.open_connection(sock=conn)
        except OSError:
            conn.close()
            return
        await tlsfront.serve_legacy(reader, writer, self.tls, self.issued)

    async def _hand_to_real_server(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**16)
        protocol = asyncio.StreamReaderProtocol(reader, self.handler)
        try:
            await loop.connect_accepted_socket(
                lambda: protocol,
                conn,
                ssl=self.context,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError):
            conn.close()

    def close(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._sock is not None:
            self._sock.close()

    async def wait_closed(self) -> None:
        pending = [t for t in (self._accepting, *self._tasks) if t is not None]
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)
