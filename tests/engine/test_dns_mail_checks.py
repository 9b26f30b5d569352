"""The dns and mail families against the lab's DNS server and SMTP servers on 127.31.x.x.

Given hand-built businesses (one per case) served by the lab DNS server on 127.31.53.1 and
their mail servers on 127.31.1.x:25, when the families run, each check id passes on the
business that does it right and fails on the one that gets it wrong; broken peers give
``error`` observations with a reason, within the timeouts.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from rempart.engine.checks import dns as dns_family
from rempart.engine.checks import mail as mail_family
from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.model import Observation, Severity, Status
from rempart.engine.target import parse_target
from rempart.lab import smtp
from rempart.lab.dnsserver import start_dns
from rempart.lab.profiles import Business, DnsProfile, MailProfile, TlsProfile, WebProfile
from rempart.lab.zones import build_zones
from tests.support import write_self_signed

pytestmark = pytest.mark.asyncio(loop_scope="module")

DNS = ("127.31.53.1", 53)
DEAD_DNS = ("127.31.53.9", 53)


def business(index: int, dns: DnsProfile | None = None, **mail: object) -> Business:
    return Business(
        index=index,
        slug="case",
        name=f"Case {index}",
        domain=f"case-{index}.lab",
        address=f"127.31.1.{index}",
        dns=dns or DnsProfile(),
        mail=MailProfile(**mail),  # type: ignore[arg-type]
        tls=TlsProfile(),
        web=WebProfile(),
        services=(),
    )


GOOD = business(1)
WEAK = business(
    2,
    DnsProfile(dnssec="unsigned", caa=False),
    spf="plus_all",
    dmarc="p_none",
    dmarc_rua=False,
    dkim_selector=None,
    mta_sts=False,
    starttls=False,
)
BOGUS = business(3, DnsProfile(dnssec="bogus"), spf="two_records", dmarc="invalid", legacy_tls=True)
PCT = business(4, spf="syntax", dmarc="pct50")
PARKED_OK = business(5, has_mx=False, spf="lockdown", dmarc="reject")
PARKED_BAD = business(6, has_mx=False, spf="softfail", dmarc="reject")
NO_ADDRESS = business(7, DnsProfile(has_address=False), has_mx=False)
QMARK = business(8, has_mx=False, spf="qmark_all")
NO_ALL = business(9, has_mx=False, spf="no_all")
LOOKUPS = business(10, has_mx=False, spf="too_many_lookups")
NO_SPF = business(11, has_mx=False, spf="none", dmarc="none")
ALL = [GOOD, WEAK, BOGUS, PCT, PARKED_OK, PARKED_BAD, NO_ADDRESS, QMARK, NO_ALL, LOOKUPS, NO_SPF]

FAULTS = {
    "huge.lab": [("TXT", "v=spf1 " + "x" * 60_000)],
    "refused.lab": [("MX", "10 mx.refused.lab."), ("A", "127.31.2.1")],
    "mx.refused.lab": [("A", "127.31.2.1")],  # nothing listens on 127.31.2.1:25
    "silent.lab": [("MX", "10 mx.silent.lab.")],
    "mx.silent.lab": [("A", "127.31.2.2")],
    "garbage.lab": [("MX", "10 mx.garbage.lab.")],
    "mx.garbage.lab": [("A", "127.31.2.3")],
    "ghost.lab": [("MX", "10 mx.nowhere.lab.")],  # the MX host does not exist
}


def _server_context(cert: tuple[Path, Path], *, legacy: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    if legacy:
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[None]:
    cert = write_self_signed(tmp_path_factory.mktemp("mailcert"), ["mail.case.lab"])
    servers: list = await start_dns(*DNS, build_zones(ALL, FAULTS, ns_address=DNS[0]))
    for b in ALL:
        if b.mail.has_mx:
            context = _server_context(cert, legacy=b.mail.legacy_tls) if b.mail.starttls else None
            servers.append(await smtp.start_smtp(b.address, 25, b.mx_host, "ESMTP lab", context))
    servers.append(await smtp.start_silent("127.31.2.2", 25))
    servers.append(await smtp.start_garbage("127.31.2.3", 25))
    # A DNS "server" that reads queries and never answers.
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(DEAD_DNS)
    yield
    dead.close()
    for server in servers:
        server.close()
    await asyncio.gather(*(s.wait_closed() for s in servers), return_exceptions=True)


def config(resolver: tuple[str, int] = DNS) -> ScanConfig:
    return ScanConfig(resolver=resolver, lab=True, timeout=1.0, retries=0)


async def scan(domain: str, resolver: tuple[str, int] = DNS) -> dict[str, list[Observation]]:
    ctx = ScanContext(config(resolver))
    target = parse_target(domain)
    found = await dns_family.run(target, ctx) + await mail_family.run(target, ctx)
    by_check: dict[str, list[Observation]] = {}
    for o in found:
        by_check.setdefault(o.check, []).append(o)
    return by_check


def status(found: dict[str, list[Observation]], check: str) -> Status:
    (only,) = found[check]
    return only.status


async def test_a_well_configured_business_passes_every_applicable_check(lab: None) -> None:
    found = await scan(GOOD.domain)
    skipped = {"mail.parked_domain"}
    for check, observations in found.items():
        for o in observations:
            assert o.status is (Status.SKIPPED if check in skipped else Status.PASS), o
    assert found["mail.starttls.missing"][0].location == "mail.case-1.lab:25"
    assert "STARTTLS" in found["mail.starttls.missing"][0].evidence
    assert "TLS 1.0 and 1.1 refused" in found["mail.starttls.legacy_tls"][0].evidence
    assert "matches" in found["dns.dnssec"][0].evidence


async def test_a_weak_business_fails_each_of_its_weaknesses(lab: None) -> None:
    found = await scan(WEAK.domain)
    for check in (
        "dns.dnssec",
        "dns.caa",
        "mail.spf.permissive",
        "mail.dmarc.policy_none",
        "mail.dmarc.no_reporting",
        "mail.dkim.missing",
        "mail.mta_sts.missing",
        "mail.starttls.missing",
    ):
        assert status(found, check) is Status.FAIL, check
    assert found["mail.spf.permissive"][0].severity is Severity.HIGH  # +all
    assert status(found, "mail.starttls.legacy_tls") is Status.SKIPPED
    assert found["dns.dnssec"][0].evidence.startswith("no DNSKEY")


async def test_bogus_signatures_invalid_records_and_legacy_tls_fail(lab: None) -> None:
    found = await scan(BOGUS.domain)
    assert status(found, "dns.dnssec") is Status.FAIL
    assert "does not validate" in found["dns.dnssec"][0].evidence
    assert status(found, "mail.spf.invalid") is Status.FAIL
    assert "2 SPF records" in found["mail.spf.invalid"][0].evidence
    assert status(found, "mail.spf.permissive") is Status.SKIPPED
    assert status(found, "mail.dmarc.invalid") is Status.FAIL
    assert status(found, "mail.dmarc.policy_none") is Status.SKIPPED
    legacy = found["mail.starttls.legacy_tls"][0]
    assert legacy.status is Status.FAIL and "TLSv1" in legacy.evidence
    assert status(found, "mail.starttls.missing") is Status.PASS


async def test_spf_syntax_error_and_partial_dmarc_fail(lab: None) -> None:
    found = await scan(PCT.domain)
    assert status(found, "mail.spf.invalid") is Status.FAIL
    assert "999.1.1.1" in found["mail.spf.invalid"][0].evidence
    assert status(found, "mail.dmarc.policy_none") is Status.FAIL
    assert status(found, "mail.dmarc.invalid") is Status.PASS


async def test_parked_domains_are_judged_on_their_lockdown(lab: None) -> None:
    ok, bad = await scan(PARKED_OK.domain), await scan(PARKED_BAD.domain)
    assert status(ok, "mail.mx") is Status.FAIL
    assert ok["mail.mx"][0].severity is Severity.INFO
    assert status(ok, "mail.parked_domain") is Status.PASS
    assert status(bad, "mail.parked_domain") is Status.FAIL
    for check in ("mail.dkim.missing", "mail.mta_sts.missing", "mail.starttls.missing"):
        assert status(ok, check) is Status.SKIPPED
        assert "no MX record" in ok[check][0].reason


async def test_a_domain_without_address_or_mx_does_not_resolve(lab: None) -> None:
    found = await scan(NO_ADDRESS.domain)
    assert status(found, "dns.resolves") is Status.FAIL
    assert status(await scan(GOOD.domain), "dns.resolves") is Status.PASS


@pytest.mark.parametrize(
    ("case", "severity"), [(QMARK, Severity.MEDIUM), (NO_ALL, Severity.MEDIUM)]
)
async def test_neutral_spf_policies_are_permissive_medium(
    lab: None, case: Business, severity: Severity
) -> None:
    found = await scan(case.domain)
    assert status(found, "mail.spf.permissive") is Status.FAIL
    assert found["mail.spf.permissive"][0].severity is severity
    assert status(found, "mail.spf.invalid") is Status.PASS


async def test_too_many_lookups_through_includes_is_invalid(lab: None) -> None:
    found = await scan(LOOKUPS.domain)
    assert status(found, "mail.spf.invalid") is Status.FAIL
    assert "more than 10" in found["mail.spf.invalid"][0].evidence


async def test_missing_spf_and_dmarc_fail(lab: None) -> None:
    found = await scan(NO_SPF.domain)
    assert status(found, "mail.spf.missing") is Status.FAIL
    assert status(found, "mail.dmarc.missing") is Status.FAIL
    assert status(found, "mail.spf.invalid") is Status.SKIPPED
    assert status(found, "mail.parked_domain") is Status.FAIL


async def test_an_unknown_domain_fails_resolution_and_skips_the_rest(lab: None) -> None:
    found = await scan("nothere.lab")
    assert status(found, "dns.resolves") is Status.FAIL
    assert found["dns.resolves"][0].evidence == "NXDOMAIN"
    assert status(found, "mail.spf.missing") is Status.SKIPPED
    assert status(found, "dns.dnssec") is Status.SKIPPED


async def test_a_huge_txt_record_is_an_error_not_a_verdict(lab: None) -> None:
    found = await scan("huge.lab")
    for check in ("mail.spf.missing", "mail.spf.invalid", "mail.spf.permissive"):
        assert status(found, check) is Status.ERROR
        assert "exceeds" in found[check][0].reason


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("refused.lab", "connection refused"),
        ("silent.lab", "no SMTP greeting within 1 s"),
        ("garbage.lab", "not an SMTP reply"),
        ("ghost.lab", "NXDOMAIN"),
    ],
)
async def test_broken_mail_servers_give_errors_with_reasons(
    lab: None, domain: str, reason: str
) -> None:
    started = time.monotonic()
    found = await scan(domain)
    assert time.monotonic() - started < 5
    for check in ("mail.starttls.missing", "mail.starttls.legacy_tls"):
        (o,) = found[check]
        assert o.status is Status.ERROR
        assert reason in o.reason, o.reason


async def test_a_dns_server_that_never_answers_gives_errors(lab: None) -> None:
    started = time.monotonic()
    found = await scan(GOOD.domain, resolver=DEAD_DNS)
    assert time.monotonic() - started < 6
    assert status(found, "dns.resolves") is Status.ERROR
    assert status(found, "dns.dnssec") is Status.ERROR
    assert "timed out" in found["dns.resolves"][0].reason
    for check in mail_family.MAIL_IDS:
        assert status(found, check) is Status.ERROR, check


async def test_non_domain_targets_are_not_checked(lab: None) -> None:
    ctx = ScanContext(config())
    target = parse_target("127.31.1.1:25")
    assert await dns_family.run(target, ctx) == []
    assert await mail_family.run(target, ctx) == []


async def test_unselected_checks_are_not_reported(lab: None) -> None:
    ctx = ScanContext(
        ScanConfig(resolver=DNS, lab=True, timeout=1.0, checks=frozenset({"mail.dmarc.missing"}))
    )
    found = await mail_family.run(parse_target(GOOD.domain), ctx)
    assert [o.check for o in found] == ["mail.dmarc.missing"]
