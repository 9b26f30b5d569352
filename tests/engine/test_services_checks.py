"""The net family against the lab's listeners on 127.34.x.x (real sockets, no mocks)."""

import asyncio
import time

from rempart.engine.checks import services
from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.model import Observation, Status
from rempart.engine.target import parse_target
from rempart.lab.listeners import start_faulty, start_services
from rempart.lab.profiles import Service
from tests.support import serving

LAB = ScanConfig(lab=True, timeout=1.0, retries=0)


async def scan(address: str, config: ScanConfig = LAB) -> list[Observation]:
    return await services.run(parse_target(address), ScanContext(config))


def only(found: list[Observation], check: str) -> list[Observation]:
    return [o for o in found if o.check == check]


async def test_a_risky_business_fails_every_probe() -> None:
    address = "127.34.1.1"
    exposed = (
        Service(445, "smb", smb_v1=True),
        Service(21, "ftp", "vsFTPd 3.0.5", ftp_anonymous=True),
        Service(9200, "elasticsearch", "1.4.2"),
        Service(3306, "mysql", "8.0.36"),
        Service(3389, "rdp"),
        Service(23, "telnet"),
        Service(5900, "vnc"),
        Service(5985, "winrm"),
    )
    async with serving(await start_services(address, exposed)):
        found = await scan(address)
    statuses = {(o.check, o.location): o.status for o in found}
    for check, port in [
        ("net.exposed.smb", 445),
        ("net.exposed.ftp", 21),
        ("net.exposed.rdp", 3389),
        ("net.exposed.telnet", 23),
        ("net.exposed.vnc", 5900),
        ("net.exposed.winrm", 5985),
        ("net.exposed.database", 9200),
        ("net.exposed.database", 3306),
    ]:
        assert statuses[(check, f"{address}:{port}")] is Status.FAIL, check
    smb = only(found, "net.smb.v1")[0]
    assert smb.status is Status.FAIL and smb.severity == "critical"
    assert "CVE-2017-0144" in smb.references and "MS17-010" in smb.references
    assert "NT LM 0.12" in smb.evidence
    assert only(found, "net.ftp.anonymous")[0].status is Status.FAIL
    versions = {o.location: o for o in only(found, "net.service.version")}
    assert versions[f"{address}:21"].status is Status.FAIL
    assert "vsFTPd 3.0.5" in versions[f"{address}:21"].evidence
    assert versions[f"{address}:3389"].status is Status.PASS  # RDP tells no version
    kev = {o.location: o for o in only(found, "net.service.known_exploited")}
    es = kev[f"{address}:9200"]
    assert es.status is Status.FAIL and es.severity == "critical"
    assert es.references == ("CVE-2015-1427",)
    assert es.evidence == (
        f"Elasticsearch 1.4.2 on {address}:9200: CVE-2015-1427 (CISA KEV, added 2022-03-25)"
    )
    assert kev[f"{address}:3306"].status is Status.PASS


async def test_a_careful_business_passes() -> None:
    address = "127.34.1.2"
    hidden = (
        Service(445, "smb"),
        Service(139, "smb"),
        Service(21, "ftp"),
        Service(5984, "couchdb"),
        Service(6379, "redis"),
    )
    async with serving(await start_services(address, hidden)):
        found = await scan(address)
    for smb in only(found, "net.smb.v1"):
        assert smb.status is Status.PASS, smb
        assert "SMB2 negotiate response" in smb.evidence
    assert {o.location for o in only(found, "net.smb.v1")} == {f"{address}:445", f"{address}:139"}
    assert only(found, "net.ftp.anonymous")[0].status is Status.PASS
    assert "530" in only(found, "net.ftp.anonymous")[0].evidence
    assert all(o.status is Status.PASS for o in only(found, "net.service.version"))
    kev = only(found, "net.service.known_exploited")
    assert [(o.status, o.location) for o in kev] == [(Status.PASS, address)]


async def test_known_exploited_couchdb_and_closed_ports_pass() -> None:
    address = "127.34.1.3"
    async with serving(await start_services(address, (Service(5984, "couchdb", "3.2.1"),))):
        found = await scan(address)
    kev = only(found, "net.service.known_exploited")[0]
    assert kev.status is Status.FAIL and kev.references == ("CVE-2022-24706",)
    for check in (
        "net.exposed.smb",
        "net.exposed.rdp",
        "net.exposed.telnet",
        "net.exposed.ftp",
        "net.exposed.vnc",
        "net.exposed.winrm",
    ):
        [observation] = only(found, check)
        assert (observation.status, observation.location) == (Status.PASS, address)
    assert only(found, "net.smb.v1")[0].status is Status.SKIPPED
    assert only(found, "net.ftp.anonymous")[0].status is Status.SKIPPED


async def test_misbehaving_peers_give_errors_with_reasons_and_no_hang() -> None:
    address = "127.34.2.1"
    faults = (
        await start_faulty(address, 445, "hang")
        + await start_faulty(address, 21, "garbage")
        + await start_faulty(address, 9200, "close")
        + await start_faulty(address, 139, "close")
        + await start_faulty(address, 6379, "hang")
    )
    started = time.monotonic()
    async with serving(faults):
        found = await scan(address)
    assert time.monotonic() - started < 8
    exposed = {
        o.location for o in found if o.check.startswith("net.exposed") and o.status == "fail"
    }
    assert {f"{address}:{p}" for p in (445, 21, 9200, 139, 6379)} <= exposed
    smb = {o.location: o for o in only(found, "net.smb.v1")}
    assert smb[f"{address}:445"].status is Status.ERROR
    assert "no answer within 1 s" in smb[f"{address}:445"].reason
    assert smb[f"{address}:139"].status is Status.ERROR
    assert "closed" in smb[f"{address}:139"].reason
    ftp = only(found, "net.ftp.anonymous")[0]
    assert ftp.status is Status.ERROR and "not an FTP greeting" in ftp.reason
    versions = {o.location: o for o in only(found, "net.service.version")}
    assert all(o.status is Status.ERROR and o.reason for o in versions.values())
    assert "closed the connection" in versions[f"{address}:9200"].reason
    assert only(found, "net.service.known_exploited")[0].status is Status.ERROR


async def test_the_guard_refuses_loopback_outside_lab_mode_and_sends_nothing() -> None:
    address = "127.34.3.1"
    listeners = await start_services(address, (Service(445, "smb", smb_v1=True),))
    async with serving(listeners):
        found = await scan(address, ScanConfig(lab=False, timeout=1.0))
        await asyncio.sleep(0.05)
    assert found and all(o.status is Status.ERROR for o in found)
    assert all("loopback" in o.reason for o in found)
    assert {o.check for o in found} == set(services.NET_IDS)
    assert listeners[0].connections == 0


async def test_selection_limits_the_work() -> None:
    address = "127.34.3.2"
    listeners = await start_services(address, (Service(21, "ftp", ftp_anonymous=True),))
    config = ScanConfig(lab=True, timeout=1.0, checks=frozenset({"net.exposed.ftp"}))
    async with serving(listeners):
        found = await scan(address, config)
    assert {o.check for o in found} == {"net.exposed.ftp"}
    assert listeners[0].connections == 1  # the connect scan only, no FTP session


async def test_url_targets_are_skipped() -> None:
    found = await services.run(parse_target("https://example.org/"), ScanContext(LAB))
    assert found and all(o.status is Status.SKIPPED for o in found)


def test_an_address_where_every_port_is_silent_says_so() -> None:
    found = services._exposures("192.0.2.1", [], True, list(services.NET_IDS))
    assert found and all(o.status is Status.PASS for o in found)
    assert all("none of the 17 ports answered in time" in o.evidence for o in found)
