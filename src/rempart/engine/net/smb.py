"""Just enough SMB to ask one question: does the server accept the SMBv1 dialect?

We speak the negotiation ourselves (no SMB library): an SMB1 NEGOTIATE (MS-CIFS 2.2.4.52,
command 0x72) over NetBIOS session framing (RFC 1002 §4.3.1: one zero byte and a 24-bit
length; MS-SMB2 2.1 direct TCP on 445 uses the same 4-byte header). On 139 a NetBIOS session
request comes first (RFC 1002 §4.3.2).

Why two questions: a server that speaks both SMB1 and SMB2 picks SMB2 when the client offers
it, so the first negotiate offers "NT LM 0.12" alone, as nmap's smb-protocols does. Windows
with SMBv1 disabled resets that connection; to tell "rejects SMBv1" from "is not an SMB
server at all", a second negotiate offers the SMB2 dialect strings (MS-SMB2 3.3.5.3.1: the
server answers with an SMB2 NEGOTIATE response, dialect 0x02FF).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from rempart.engine.context import ScanContext

SMB1_MAGIC = b"\xffSMB"
SMB2_MAGIC = b"\xfeSMB"
SMB_COM_NEGOTIATE = 0x72
NT_LM_012 = "NT LM 0.12"
SMB2_DIALECT_STRINGS = ("SMB 2.002", "SMB 2.???")
MAX_MESSAGE = 64 * 1024
NETBIOS_POSITIVE = 0x82


class SmbError(ValueError):
    """The peer's answer is not the SMB we expected; the message says what was seen."""


@dataclass(frozen=True, slots=True)
class Negotiation:
    """What a server answered to one negotiate."""

    smb1: bool  # an SMB1 response (else SMB2)
    dialect: str  # "NT LM 0.12", "SMB 2.002", "0x02ff", "" when no offered dialect was taken

    def describe(self) -> str:
        if self.smb1:
            chosen = self.dialect or "none of the offered dialects"
            return f"SMB1 negotiate response selecting {chosen}"
        return f"SMB2 negotiate response (dialect {self.dialect})"


# -- builders ----------------------------------------------------------------------------


def netbios_frame(payload: bytes) -> bytes:
    """Session message header (type 0x00) and a 24-bit big-endian length."""
    if len(payload) >= 1 << 24:
        raise ValueError("SMB message too long for NetBIOS framing")
    return b"\x00" + len(payload).to_bytes(3, "big") + payload


def netbios_name(name: str, suffix: int = 0x20) -> bytes:
    """RFC 1001 §14.1 first-level encoding: 16 bytes padded, each nibble + 'A'."""
    raw = name.upper().encode("ascii")[:15].ljust(15, b" ") + bytes([suffix])
    encoded = bytes(b for byte in raw for b in (0x41 + (byte >> 4), 0x41 + (byte & 0x0F)))
    return b"\x20" + encoded + b"\x00"


def netbios_session_request(called: str = "*SMBSERVER", calling: str = "REMPART") -> bytes:
    body = netbios_name(called) + netbios_name(calling, 0x00)
    return b"\x81\x00" + len(body).to_bytes(2, "big") + body


def smb1_negotiate(dialects: tuple[str, ...] = (NT_LM_012,)) -> bytes:
    """An SMB1 NEGOTIATE request (MS-CIFS 2.2.4.52.1) offering ``dialects`` in order."""
    header = struct.pack(
        "<4sBIBHH8sHHHHH",
        SMB1_MAGIC,
        SMB_COM_NEGOTIATE,
        0,  # status
        0x18,  # flags: case-insensitive paths, canonicalized names
        0xC843,  # flags2: unicode, NT status, extended security, long names
        0,  # PIDHigh
        b"\x00" * 8,  # security features
        0,  # reserved
        0xFFFF,  # TID
        0xFEFF,  # PIDLow
        0,  # UID
        0,  # MID
    )
    data = b"".join(b"\x02" + d.encode("ascii") + b"\x00" for d in dialects)
    return header + b"\x00" + struct.pack("<H", len(data)) + data


# -- parsers -----------------------------------------------------------------------------


def parse_negotiate_response(message: bytes, offered: tuple[str, ...]) -> Negotiation:
    """Parse an SMB1 or SMB2 NEGOTIATE response (the NetBIOS header already removed)."""
    if message.startswith(SMB1_MAGIC):
        return _parse_smb1(message, offered)
    if message.startswith(SMB2_MAGIC):
        return _parse_smb2(message)
    raise SmbError(f"not an SMB message (starts with {message[:8].hex() or 'nothing'})")


def _parse_smb1(message: bytes, offered: tuple[str, ...]) -> Negotiation:
    if len(message) < 35:
        raise SmbError(f"SMB1 response truncated ({len(message)} bytes)")
    command, status = struct.unpack_from("<BI", message, 4)
    if command != SMB_COM_NEGOTIATE:
        raise SmbError(f"SMB1 response to command 0x{command:02x}, not NEGOTIATE")
    if status != 0:
        return Negotiation(smb1=True, dialect="")  # an error status: nothing accepted
    word_count = message[32]
    if word_count == 0 or len(message) < 35:
        raise SmbError("SMB1 negotiate response without a dialect index")
    (index,) = struct.unpack_from("<H", message, 33)
    if index == 0xFFFF:
        return Negotiation(smb1=True, dialect="")  # MS-CIFS: no dialect acceptable
    if index >= len(offered):
        raise SmbError(f"SMB1 response selects dialect #{index}, beyond the {len(offered)} offered")
    return Negotiation(smb1=True, dialect=offered[index])


def _parse_smb2(message: bytes) -> Negotiation:
    if len(message) < 64 + 6:
        raise SmbError(f"SMB2 response truncated ({len(message)} bytes)")
    (command,) = struct.unpack_from("<H", message, 12)
    if command != 0:
        raise SmbError(f"SMB2 response to command 0x{command:04x}, not NEGOTIATE")
    structure_size, _security_mode, dialect = struct.unpack_from("<HHH", message, 64)
    if structure_size != 65:
        raise SmbError(f"SMB2 negotiate response with structure size {structure_size}")
    return Negotiation(smb1=False, dialect=f"0x{dialect:04x}")


# -- I/O ---------------------------------------------------------------------------------


async def _read_frame(ctx: ScanContext, reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One NetBIOS frame: (type, payload). Raises EOFError, TimeoutError, SmbError."""
    timeout = ctx.config.timeout
    try:
        header = await asyncio.wait_for(reader.readexactly(4), timeout)
        length = int.from_bytes(header[1:4], "big")
        if length > MAX_MESSAGE:
            raise SmbError(f"not SMB: a NetBIOS frame of {length} bytes announced")
        payload = await asyncio.wait_for(reader.readexactly(length), timeout)
    except asyncio.IncompleteReadError as exc:
        seen = f" after {len(exc.partial)} bytes" if exc.partial else ""
        raise EOFError(f"the server closed the connection{seen}") from None
    return header[0], payload


async def negotiate(ctx: ScanContext, ip: str, port: int, dialects: tuple[str, ...]) -> Negotiation:
    """Open a connection, negotiate once, return the answer.

    Raises ConnectError, GuardRefusal, TimeoutError, EOFError (closed or reset without an
    answer), OSError, SmbError (an answer that is not SMB).
    """
    async with ctx.connect(ip, port) as (reader, writer):
        try:
            if port == 139:
                writer.write(netbios_session_request())
                await writer.drain()
                kind, _ = await _read_frame(ctx, reader)
                if kind != NETBIOS_POSITIVE:
                    raise SmbError(f"NetBIOS session refused (answer type 0x{kind:02x})")
            writer.write(netbios_frame(smb1_negotiate(dialects)))
            await writer.drain()
            kind, payload = await _read_frame(ctx, reader)
        except ConnectionResetError:
            raise EOFError("the server reset the connection") from None
        if kind != 0x00:
            raise SmbError(f"unexpected NetBIOS message type 0x{kind:02x}")
        return parse_negotiate_response(payload, dialects)


@dataclass(frozen=True, slots=True)
class SmbV1Verdict:
    accepts_v1: bool
    evidence: str


async def probe_smbv1(ctx: ScanContext, ip: str, port: int) -> SmbV1Verdict:
    """Does the server accept SMBv1? Raises as :func:`negotiate` when it cannot tell."""
    try:
        first = await negotiate(ctx, ip, port, (NT_LM_012,))
    except EOFError as closed:
        # Windows resets an SMB1-only negotiate when SMBv1 is off; prove it speaks SMB2.
        second = await negotiate(ctx, ip, port, (NT_LM_012, *SMB2_DIALECT_STRINGS))
        if second.smb1 and second.dialect == NT_LM_012:
            return SmbV1Verdict(True, f"SMB1-only negotiate: {closed}; then {second.describe()}")
        if second.smb1 and not second.dialect:
            raise SmbError("the server accepts no SMB dialect offered") from None
        return SmbV1Verdict(False, f"SMB1-only negotiate: {closed}; then {second.describe()}")
    accepted = first.smb1 and first.dialect == NT_LM_012
    return SmbV1Verdict(accepted, f"SMB1-only negotiate: {first.describe()}")
