"""The lab's risky listeners speak their protocols' first exchange like the real products."""

import asyncio
import struct

import pytest

from rempart.lab.listeners import smb_answer, start_faulty, start_services
from rempart.lab.profiles import Service
from tests.support import serving

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def talk(address: str, port: int, send: bytes = b"", n: int = 4096) -> bytes:
    reader, writer = await asyncio.open_connection(address, port)
    try:
        if send:
            writer.write(send)
            await writer.drain()
        return await asyncio.wait_for(reader.read(n), 2)
    finally:
        writer.close()


def smb1_negotiate(*dialects: str) -> bytes:
    header = b"\xffSMB\x72" + b"\x00" * 27
    data = b"".join(b"\x02" + d.encode() + b"\x00" for d in dialects)
    return header + b"\x00" + struct.pack("<H", len(data)) + data


def test_smb_answers_like_windows() -> None:
    v1 = smb_answer(smb1_negotiate("PC NETWORK PROGRAM 1.0", "NT LM 0.12"), smb_v1=True)
    assert v1 is not None and v1[:5] == b"\xffSMB\x72"
    assert v1[32] == 17 and struct.unpack_from("<H", v1, 33)[0] == 1  # index of NT LM 0.12
    wildcard = smb_answer(smb1_negotiate("NT LM 0.12", "SMB 2.002", "SMB 2.???"), smb_v1=False)
    assert wildcard is not None and wildcard[:4] == b"\xfeSMB"
    assert struct.unpack_from("<HHH", wildcard, 64) == (65, 1, 0x02FF)
    assert smb_answer(smb1_negotiate("NT LM 0.12"), smb_v1=False) is None
    smb2_request = (
        b"\xfeSMB"
        + struct.pack("<H", 64)
        + b"\x00" * 58
        + struct.pack("<HHHH", 36, 2, 1, 0)
        + b"\x00" * 28
        + struct.pack("<2H", 0x0202, 0x0210)
    )
    answer = smb_answer(smb2_request, smb_v1=False)
    assert answer is not None and struct.unpack_from("<H", answer, 68)[0] == 0x0210


async def test_smb_listener_over_netbios_on_139() -> None:
    address = "127.34.10.1"
    async with serving(await start_services(address, (Service(139, "smb", smb_v1=True),))):
        reader, writer = await asyncio.open_connection(address, 139)
        writer.write(
            b"\x81\x00\x00\x44" + b"\x20" + b"A" * 32 + b"\x00" + b"\x20" + b"A" * 32 + b"\x00"
        )
        assert await asyncio.wait_for(reader.readexactly(4), 2) == b"\x82\x00\x00\x00"
        message = smb1_negotiate("NT LM 0.12")
        writer.write(b"\x00" + len(message).to_bytes(3, "big") + message)
        header = await asyncio.wait_for(reader.readexactly(4), 2)
        body = await asyncio.wait_for(reader.readexactly(int.from_bytes(header[1:], "big")), 2)
        writer.close()
    assert body[:5] == b"\xffSMB\x72" and body[33:35] == b"\x00\x00"


async def test_ftp_dialogue() -> None:
    address = "127.34.10.2"
    services = (Service(21, "ftp", "vsFTPd 3.0.5", ftp_anonymous=True),)
    async with serving(await start_services(address, services)):
        reader, writer = await asyncio.open_connection(address, 21)
        lines = [await asyncio.wait_for(reader.readline(), 2)]
        for command in (b"USER anonymous\r\n", b"PASS x@y\r\n", b"QUIT\r\n"):
            writer.write(command)
            lines.append(await asyncio.wait_for(reader.readline(), 2))
        writer.close()
    assert [line[:3] for line in lines] == [b"220", b"331", b"230", b"221"]
    assert lines[0] == b"220 (vsFTPd 3.0.5)\r\n"


async def test_banners_with_and_without_versions() -> None:
    address = "127.34.10.3"
    services = (
        Service(6379, "redis", "7.2.4"),
        Service(9200, "elasticsearch"),
        Service(3306, "mysql"),
        Service(5900, "vnc"),
        Service(23, "telnet"),
        Service(11211, "memcached", "1.6.21"),
        Service(5432, "postgres"),
    )
    async with serving(await start_services(address, services)):
        assert b"redis_version:7.2.4" in await talk(address, 6379, b"INFO server\r\n")
        assert b" 401 " in await talk(address, 9200, b"GET / HTTP/1.0\r\n\r\n")
        greeting = await talk(address, 3306)
        assert greeting[4] == 10 and b"mysqld\x00" in greeting
        assert await talk(address, 5900) == b"RFB 003.008\n"
        assert (await talk(address, 23)).startswith(b"\xff\xfd\x18")
        assert await talk(address, 11211, b"version\r\n") == b"VERSION 1.6.21\r\n"
        assert await talk(address, 5432, b"\x00\x00\x00\x08\x04\xd2\x16\x2f") == b""


async def test_faults() -> None:
    address = "127.34.10.4"
    listeners = (
        await start_faulty(address, 2001, "hang")
        + await start_faulty(address, 2002, "garbage")
        + await start_faulty(address, 2003, "close")
    )
    async with serving(listeners):
        with pytest.raises(TimeoutError):
            reader, writer = await asyncio.open_connection(address, 2001)
            try:
                await asyncio.wait_for(reader.read(1), 0.3)
            finally:
                writer.close()
        assert len(await talk(address, 2002)) > 0
        assert await talk(address, 2003) == b""
    assert [listener.connections for listener in listeners] == [1, 1, 1]


async def test_a_taken_port_raises_and_releases_the_others() -> None:
    address = "127.34.10.5"
    async with serving(await start_faulty(address, 2004, "close")):
        with pytest.raises(OSError):
            await start_services(address, (Service(2005, "vnc"), Service(2004, "vnc")))
    async with serving(await start_services(address, (Service(2005, "vnc"),))):
        assert await talk(address, 2005) == b"RFB 003.008\n"


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no lab listener"):
        asyncio.run(start_services("127.34.10.6", (Service(1, "gopher"),)))
