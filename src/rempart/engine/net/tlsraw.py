"""Raw TLS conversations: send a hand-built hello, read the server's flight, poke further.

The socket is a plain TCP connection from ``ScanContext.connect`` (guard, polite slots,
connect timeout); every read here has its own deadline so a silent or trickling peer can
never hold a probe past ``timeout``. Builders and parsers live in :mod:`tlsrecords`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from rempart.engine.context import ScanContext
from rempart.engine.guard import IPAddress
from rempart.engine.net import tlsrecords as tr
from rempart.engine.net.x509check import Verdict

READ_CHUNK = 65536
MAX_FLIGHT = 256 * 1024  # a server flight larger than this is not a hello answer


@dataclass(slots=True)
class ServerFlight:
    """What the server answered to a ClientHello, up to ServerHelloDone or the end."""

    hello: tr.ServerHello | None = None
    certificates: list[bytes] = field(default_factory=list)
    done: bool = False  # ServerHelloDone seen: the server waits for the client's flight
    alert: tr.Alert | None = None
    closed: bool = False
    timed_out: bool = False
    sslv2: tr.SSLv2ServerHello | None = None
    received: int = 0  # bytes received

    def describe(self) -> str:
        """One line for evidence: what the server did."""
        if self.sslv2 is not None:
            return f"SSL 2.0 SERVER-HELLO with {len(self.sslv2.ciphers)} cipher(s)"
        if self.hello is not None:
            version = tr.version_name(self.hello.negotiated_version)
            return f"ServerHello {version} {tr.suite_name(self.hello.cipher)}"
        if self.alert is not None:
            return f"alert {self.alert.name}"
        if self.closed:
            return "connection closed without a ServerHello"
        if self.timed_out:
            return "no ServerHello before the timeout"
        return "no answer"


@dataclass(frozen=True, slots=True)
class Response:
    """How the server reacted to what we sent after its flight (heartbeat, CCS, ROBOT)."""

    alert: tr.Alert | None = None
    closed: bool = False
    timed_out: bool = False
    records: tuple[tr.Record, ...] = ()

    def signature(self) -> str:
        if self.alert is not None:
            return f"alert {self.alert.name}"
        if self.closed:
            return "connection closed"
        if self.timed_out:
            return "no answer"
        return "records " + ",".join(str(r.content_type) for r in self.records)


class RawTls:
    """A TCP connection that speaks TLS records by hand."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self._buffer = b""

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), timeout=self.timeout)

    async def _fill(self, deadline: float) -> bool:
        """Read more bytes before ``deadline``; False on EOF. Raises TimeoutError."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            chunk = await asyncio.wait_for(self.reader.read(READ_CHUNK), timeout=left)
        except (ConnectionResetError, BrokenPipeError):
            return False  # a reset after our hello is a refusal, like a close
        if not chunk:
            return False
        self._buffer += chunk
        if len(self._buffer) > MAX_FLIGHT:
            raise tr.TlsParseError("server flight larger than 256 KiB")
        return True

    async def read_flight(self) -> ServerFlight:
        """Read records until ServerHelloDone, a TLS 1.3 ServerHello, an alert, EOF or timeout.

        Raises TlsParseError on bytes that are not TLS.
        """
        flight = ServerFlight()
        deadline = time.monotonic() + self.timeout
        pending = b""  # handshake bytes not yet forming a whole message
        while True:
            if self._buffer and (length := tr.sslv2_record_length(self._buffer)) is not None:
                if len(self._buffer) >= length:
                    flight.sslv2 = tr.parse_sslv2_server_hello(self._buffer[:length])
                    return flight
            else:
                records, self._buffer = tr.split_records(self._buffer)
                for rec in records:
                    pending = self._absorb(flight, rec, pending)
                    if self._flight_over(flight):
                        return flight
            try:
                more = await self._fill(deadline)
            except TimeoutError:
                flight.timed_out = True
                return flight
            flight.received = len(self._buffer)
            if not more:
                flight.closed = True
                return flight

    @staticmethod
    def _absorb(flight: ServerFlight, rec: tr.Record, pending: bytes) -> bytes:
        if rec.content_type == tr.ALERT:
            flight.alert = tr.parse_alert(rec.fragment)
            return pending
        if rec.content_type != tr.HANDSHAKE:
            return pending  # TLS 1.3 compatibility CCS, or encrypted records
        messages, pending = tr.split_handshakes(pending + rec.fragment)
        for msg_type, body in messages:
            if msg_type == tr.SERVER_HELLO and flight.hello is None:
                flight.hello = tr.parse_server_hello(body)
            elif msg_type == tr.CERTIFICATE and not flight.certificates:
                flight.certificates = tr.parse_certificate(body)
            elif msg_type == tr.SERVER_HELLO_DONE:
                flight.done = True
        return pending

    @staticmethod
    def _flight_over(flight: ServerFlight) -> bool:
        if flight.alert is not None or flight.done:
            return True
        # After a TLS 1.3 ServerHello everything else is encrypted: nothing more to parse.
        return flight.hello is not None and flight.hello.negotiated_version >= tr.TLS13

    async def read_response(self, wait: float) -> Response:
        """Records the server sends within ``wait`` s, up to the first alert or EOF."""
        deadline = time.monotonic() + wait
        seen: list[tr.Record] = []
        while True:
            records, self._buffer = tr.split_records(self._buffer)
            for rec in records:
                if rec.content_type == tr.ALERT:
                    return Response(alert=tr.parse_alert(rec.fragment), records=tuple(seen))
                seen.append(rec)
            if seen:
                return Response(records=tuple(seen))
            try:
                more = await self._fill(deadline)
            except TimeoutError:
                return Response(timed_out=True, records=tuple(seen))
            if not more:
                return Response(closed=True, records=tuple(seen))


@asynccontextmanager
async def open_raw(ctx: ScanContext, ip: IPAddress | str, port: int) -> AsyncIterator[RawTls]:
    """A raw TLS conversation over ``ctx.connect`` (raises ConnectError, GuardRefusal)."""
    async with ctx.connect(ip, port) as (reader, writer):
        yield RawTls(reader, writer, ctx.config.timeout)


async def hello_flight(
    ctx: ScanContext, ip: IPAddress | str, port: int, hello: bytes
) -> ServerFlight:
    """Send one ClientHello and return the server's flight (the connection is then closed).

    Raises ConnectError / GuardRefusal (connect), TlsParseError (not TLS), OSError.
    """
    async with open_raw(ctx, ip, port) as conn:
        await conn.send(hello)
        return await conn.read_flight()


# -- ROBOT (Böck, Somorovsky, Young 2018): PKCS#1 v1.5 premaster variants ---------------


def robot_plaintexts(modulus_bytes: int, version: int) -> dict[str, bytes]:
    """The sslyze/ROBOT-paper test messages, each ``modulus_bytes`` long.

    A correct one (00 02 padding 00 version 46 bytes) and four malformed ones; a server
    whose answers differ between them is a Bleichenbacher oracle.
    """
    pad_len = modulus_bytes - 3 - 48
    padding = bytes(b % 255 + 1 for b in os.urandom(pad_len))  # non-zero (RFC 8017 §7.2.1)
    secret = os.urandom(46)
    ver = version.to_bytes(2, "big")
    return {
        "valid": b"\x00\x02" + padding + b"\x00" + ver + secret,
        "wrong_first_bytes": b"\x41\x17" + padding + b"\x00" + ver + secret,
        "wrong_00_position": b"\x00\x02" + padding + b"\x11" + ver + secret[:-2] + b"\x00\x11",
        "no_00_separator": b"\x00\x02" + padding + b"\x11" + ver + secret,
        "wrong_version": b"\x00\x02" + padding + b"\x00" + b"\x02\x02" + secret,
    }


def rsa_encrypt_raw(message: bytes, exponent: int, modulus: int) -> bytes:
    """Textbook RSA (m^e mod n): the padding is ours to get wrong on purpose."""
    size = (modulus.bit_length() + 7) // 8
    return pow(int.from_bytes(message, "big"), exponent, modulus).to_bytes(size, "big")


# -- vulnerability probes ----------------------------------------------------------------


class ProbeError(Exception):
    """A probe could not reach the state it needs; the message says why."""


def short_wait(ctx: ScanContext) -> float:
    """How long to wait for a reaction that a healthy server may never send."""
    return min(2.0, ctx.config.timeout)


async def _handshake_to_done(conn: RawTls, hello: bytes) -> tr.ServerHello:
    await conn.send(hello)
    flight = await conn.read_flight()
    if flight.hello is None or not flight.done:
        raise ProbeError(f"the handshake did not reach ServerHelloDone ({flight.describe()})")
    return flight.hello


async def _send_quietly(conn: RawTls, data: bytes) -> bool:
    """Send; False when the server already closed (a reset is its answer)."""
    try:
        await conn.send(data)
    except (OSError, TimeoutError):
        return False
    return True


async def heartbleed(ctx: ScanContext, ip: IPAddress | str, port: int, hello: bytes) -> Verdict:
    """Send an oversized heartbeat request after the server's flight (CVE-2014-0160)."""
    async with open_raw(ctx, ip, port) as conn:
        server_hello = await _handshake_to_done(conn, hello)
        version = server_hello.negotiated_version
        negotiated = tr.EXT_HEARTBEAT in server_hello.extensions
        ext = "heartbeat extension " + ("negotiated" if negotiated else "not negotiated")
        if not await _send_quietly(conn, tr.heartbeat_request(version)):
            return Verdict(False, f"{ext}; connection closed on the heartbeat request")
        response = await conn.read_response(short_wait(ctx))
    leaked = sum(len(r.fragment) for r in response.records if r.content_type == tr.HEARTBEAT)
    if leaked > 3:  # we sent 3 bytes and no payload: anything more is server memory
        return Verdict(True, f"{ext}; {leaked}-byte heartbeat response to a 3-byte request")
    return Verdict(False, f"{ext}; {response.signature()} to an oversized heartbeat request")


async def ccs_injection(ctx: ScanContext, ip: IPAddress | str, port: int, hello: bytes) -> Verdict:
    """An early ChangeCipherSpec (CVE-2014-0224), judged as testssl.sh does.

    A fixed server answers the early CCS with an alert (unexpected_message) or closes. A
    vulnerable one takes it silently; a second CCS then meets keys derived from an empty
    master secret and fails as bad_record_mac / decryption_failed, or is ignored.
    """
    async with open_raw(ctx, ip, port) as conn:
        version = (await _handshake_to_done(conn, hello)).negotiated_version
        if not await _send_quietly(conn, tr.change_cipher_spec(version)):
            return Verdict(False, "connection closed on the early ChangeCipherSpec")
        first = await conn.read_response(short_wait(ctx))
        if first.alert is not None or first.closed:
            return Verdict(False, f"early ChangeCipherSpec refused: {first.signature()}")
        if not await _send_quietly(conn, tr.change_cipher_spec(version)):
            return Verdict(False, "early ChangeCipherSpec accepted, then connection closed")
        second = await conn.read_response(short_wait(ctx))
    if second.closed or (second.alert is not None and second.alert.description == 10):
        return Verdict(False, f"second ChangeCipherSpec refused: {second.signature()}")
    return Verdict(True, f"early ChangeCipherSpec accepted silently; then {second.signature()}")


async def _robot_answer(
    ctx: ScanContext,
    ip: IPAddress | str,
    port: int,
    hello: bytes,
    premaster: bytes,
    key: tuple[int, int],
) -> str:
    async with open_raw(ctx, ip, port) as conn:
        server_hello = await _handshake_to_done(conn, hello)
        if server_hello.cipher not in tr.RSA_KX_SUITES:
            raise ProbeError(f"the server picked {tr.suite_name(server_hello.cipher)}, not RSA")
        version = server_hello.negotiated_version
        flight = (
            tr.client_key_exchange(version, rsa_encrypt_raw(premaster, key[0], key[1]))
            + tr.change_cipher_spec(version)
            + tr.record(tr.HANDSHAKE, version, os.urandom(48))  # a Finished no key can open
        )
        if not await _send_quietly(conn, flight):
            return "connection closed"
        # The full timeout, not the short wait: a loaded server that answers late would
        # otherwise read as "no answer" for some variants and fake an oracle.
        return (await conn.read_response(ctx.config.timeout)).signature()


async def robot(
    ctx: ScanContext,
    ip: IPAddress | str,
    port: int,
    hello: bytes,
    version: int,
    key: tuple[int, int],
) -> Verdict:
    """Compare the answers to five ClientKeyExchange variants, round by round (as sslyze).

    Identical answers: no oracle. Answers that differ the same way in two rounds (of at
    most three): an oracle (vulnerable). Otherwise raise ProbeError (could not tell).
    """
    size = (key[1].bit_length() + 7) // 8
    plaintexts = robot_plaintexts(size, version)
    rounds: list[dict[str, str]] = []
    for _ in range(3):
        answers = await asyncio.gather(
            *(_robot_answer(ctx, ip, port, hello, p, key) for p in plaintexts.values())
        )
        labelled = dict(zip(plaintexts, answers, strict=True))
        if len(set(answers)) == 1:
            return Verdict(False, f"all {len(answers)} premaster variants answered: {answers[0]}")
        if labelled in rounds:  # the same differences twice: a real oracle, not jitter
            summary = "; ".join(f"{name}: {answer}" for name, answer in labelled.items())
            return Verdict(True, f"the server answers malformed premasters differently: {summary}")
        rounds.append(labelled)
    summary = "; ".join(f"{name}: {answer}" for name, answer in rounds[0].items())
    raise ProbeError(f"answers changed from round to round ({summary})")
