"""The lab's mail servers: aiosmtpd on an asyncio server, plus two broken listeners.

:func:`start_smtp` runs a real ESMTP server (RFC 5321) that accepts and discards mail and
offers STARTTLS (RFC 3207) when given a TLS context; the caller's context decides which
TLS versions it accepts. :func:`start_silent` and :func:`start_garbage` play the faults a
scanner must survive: a peer that never sends its banner, one that sends non-SMTP bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from aiosmtpd.smtp import SMTP, Envelope, Session

SILENT_HOLD = 60.0  # how long the silent listener keeps a connection open


class _DiscardHandler:
    """Accept every message and keep nothing."""

    # aiosmtpd calls handle_<VERB> hooks by name.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK: discarded by the rempart lab"


async def start_smtp(
    address: str,
    port: int,
    hostname: str,
    banner: str,
    tls_context: ssl.SSLContext | None,
) -> asyncio.AbstractServer:
    """An SMTP server on ``address``:``port`` greeting ``220 <hostname> <banner>``.

    STARTTLS is offered exactly when ``tls_context`` is given. Close the returned server
    and await ``wait_closed()`` to stop it.
    """
    handler = _DiscardHandler()
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return SMTP(
            handler,
            hostname=hostname,
            ident=banner,
            tls_context=tls_context,
            require_starttls=False,
            timeout=30,
            loop=loop,
        )

    return await loop.create_server(protocol, address, port, reuse_address=True)


async def start_silent(address: str, port: int) -> asyncio.AbstractServer:
    """Accepts connections and never says anything (a hung or tarpitting server)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(reader.read(), SILENT_HOLD)  # until the client leaves
        writer.close()

    return await asyncio.start_server(hold, address, port, reuse_address=True)


async def start_garbage(
    address: str, port: int, payload: bytes = b"\x16\x03\x01\x00\x05hello garbage\r\n\xff\xfe"
) -> asyncio.AbstractServer:
    """Answers every connection with ``payload`` (not an SMTP greeting), then closes."""

    async def babble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            writer.write(payload)
            await writer.drain()
            await asyncio.sleep(0.2)
        writer.close()

    return await asyncio.start_server(babble, address, port, reuse_address=True)
