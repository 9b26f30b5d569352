"""ScanContext.connect: the guard first, polite slots, timeouts, clear reasons."""

import asyncio

import pytest

from rempart.engine.context import ConnectError, ScanConfig, ScanContext
from rempart.engine.guard import GuardRefusal

HOST = "127.35.0.1"


async def test_without_lab_mode_loopback_is_refused_before_any_connection():
    seen = []

    async def handler(reader, writer):
        seen.append(1)
        writer.close()

    server = await asyncio.start_server(handler, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    ctx = ScanContext(ScanConfig(lab=False))
    with pytest.raises(GuardRefusal, match="loopback"):
        async with ctx.connect(HOST, port):
            pass
    server.close()
    await server.wait_closed()
    assert seen == []


async def test_a_refused_port_is_a_connect_error_naming_the_address():
    ctx = ScanContext(ScanConfig(lab=True, timeout=1))
    with pytest.raises(ConnectError, match=r"127\.35\.0\.1:9: connection refused"):
        async with ctx.connect(HOST, 9):
            pass
    assert await ctx.port_open(HOST, 9) == (False, "127.35.0.1:9: connection refused")


async def test_a_peer_that_accepts_and_says_nothing_times_out_on_read():
    async def silent(reader, writer):
        await asyncio.sleep(10)

    server = await asyncio.start_server(silent, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    ctx = ScanContext(ScanConfig(lab=True, timeout=0.2))
    async with ctx.connect(HOST, port) as (reader, _writer):
        with pytest.raises(TimeoutError):
            await ctx.read(reader, 100)
    server.close()


async def test_the_per_host_limit_bounds_simultaneous_connections():
    current = peak = 0

    async def handler(reader, writer):
        nonlocal current, peak
        current += 1
        peak = max(peak, current)
        await reader.read(1)
        current -= 1
        writer.close()

    server = await asyncio.start_server(handler, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    ctx = ScanContext(ScanConfig(lab=True, per_host=3))

    async def one():
        async with ctx.connect(HOST, port) as (_reader, writer):
            await asyncio.sleep(0.05)
            writer.write(b"x")
            await writer.drain()

    await asyncio.gather(*(one() for _ in range(12)))
    server.close()
    assert peak <= 3
