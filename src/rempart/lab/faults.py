"""Misbehaving hosts of the lab, under ``faults.lab``: what the engine must survive.

Each fault host is a name in the lab's DNS pointing at an address where listeners
misbehave on purpose. The engine must answer every one with ``error`` observations that
say why (or ``skipped`` when nothing answers), never hang past its timeouts, never crash,
and never report a pass it could not see.

| name | behaviour |
|---|---|
| dead.faults.lab | resolves to 127.66.0.1, where nothing listens (refused everywhere) |
| hang.faults.lab | 127.66.0.2: accepts on 21, 25, 80, 443, 445 and never says a word |
| garbage.faults.lab | 127.66.0.3: binary junk on 21, 25, 80, 443 (in TLS's place), 445 |
| loop.faults.lab | 127.66.0.4: HTTP redirect loop on 80 |
| huge.faults.lab | a 60 KB TXT record (SPF, DMARC look-ups) and an MX to a refused host |
| private.faults.lab | resolves to 10.0.0.1: the guard refuses it, no packet is sent |
| missing.faults.lab | does not exist (NXDOMAIN) |
"""

from __future__ import annotations

from typing import Protocol

from rempart.lab import listeners, smtp, tlsfront, web

DEAD, HANG, GARBAGE, LOOP = "127.66.0.1", "127.66.0.2", "127.66.0.3", "127.66.0.4"
ZONE = "faults.lab"

FAULT_NAMES = tuple(
    f"{name}.{ZONE}" for name in ("dead", "hang", "garbage", "loop", "huge", "private", "missing")
)


class Closable(Protocol):
    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


def dns_records() -> dict[str, list[tuple[str, str]]]:
    """Records the lab's DNS server adds for the fault hosts."""
    huge_txt = "v=spf1 " + " ".join(f"ip4:192.0.2.{i % 250}" for i in range(4000))
    return {
        f"dead.{ZONE}": [("A", DEAD), ("MX", f"10 dead.{ZONE}.")],
        f"hang.{ZONE}": [("A", HANG), ("MX", f"10 hang.{ZONE}.")],
        f"garbage.{ZONE}": [("A", GARBAGE), ("MX", f"10 garbage.{ZONE}.")],
        f"loop.{ZONE}": [("A", LOOP)],
        f"huge.{ZONE}": [("TXT", huge_txt), ("MX", f"10 dead.{ZONE}.")],
        f"_dmarc.huge.{ZONE}": [("TXT", "v=DMARC1; p=reject; " + "x" * 60_000)],
        f"private.{ZONE}": [("A", "10.0.0.1")],
    }


async def start() -> list[Closable]:
    servers: list[Closable] = []
    for port in (80,):
        servers.append(await web.start_hanging(HANG, port))
        servers.append(await web.start_garbage_http(GARBAGE, port))
        servers.append(await web.start_redirect_loop(LOOP, port))
    servers.append(await tlsfront.start_hanging_tls(HANG, 443))
    servers.append(await tlsfront.start_broken_tls(GARBAGE, 443))
    servers.append(await smtp.start_silent(HANG, 25))
    servers.append(await smtp.start_garbage(GARBAGE, 25))
    for port in (21, 445):
        servers += await listeners.start_faulty(HANG, port, "hang")
        servers += await listeners.start_faulty(GARBAGE, port, "garbage")
    return servers
