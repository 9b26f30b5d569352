"""The web family against the lab's websites on 127.33.2.x (real sockets, no mocks)."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dns.zone

from rempart.engine.catalog import ids_of_family
from rempart.engine.checks import web as web_checks
from rempart.engine.context import ScanConfig, ScanContext
from rempart.engine.model import Observation, Status
from rempart.engine.net.http import HttpError, fetch
from rempart.engine.target import parse_target
from rempart.lab import web
from rempart.lab.dnsserver import start_dns
from rempart.lab.profiles import Cookie, WebProfile
from tests.lab.test_web import start_https

LAB = ScanConfig(lab=True, timeout=1.0, retries=0)
WEB_IDS = set(ids_of_family("web"))

WEAK = WebProfile(
    https_redirect=False,
    hsts="short",
    csp="unsafe",
    frame_protection=False,
    xcto=False,
    referrer_policy=False,
    cookies=(Cookie("sessionid", False, True),),
    server_header="Apache/2.4.41 (Ubuntu)",
    security_txt=False,
    wordpress="5.8.1",
)


@asynccontextmanager
async def site(
    address: str, profile: WebProfile, *, domain: str | None = None
) -> AsyncIterator[None]:
    """Given a lab website on ``address`` (HTTP on 80, HTTPS on 443 as the profile says)."""
    servers: list[asyncio.AbstractServer] = []
    if profile.http:
        servers.append(await web.start_http(address, 80, profile, domain or address))
    if profile.https:
        servers.append(await start_https(address, profile, domain or address))
    try:
        yield
    finally:
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()


async def scan(target: str, config: ScanConfig = LAB) -> dict[str, Observation]:
    found = await web_checks.run(parse_target(target), ScanContext(config))
    by_id = {o.check: o for o in found}
    assert len(by_id) == len(found), "one observation per check id and location"
    return by_id


def statuses(found: dict[str, Observation]) -> dict[str, Status]:
    return {check: o.status for check, o in found.items()}


async def test_a_well_kept_site_passes_every_web_check() -> None:
    async with site("127.33.2.1", WebProfile()):
        found = await scan("127.33.2.1")
    assert statuses(found) == {check: Status.PASS for check in WEB_IDS}
    assert found["web.https_redirect.missing"].location == "http://127.33.2.1/"
    assert "https://127.33.2.1/" in found["web.https_redirect.missing"].evidence
    assert found["web.csp.missing"].location == "https://127.33.2.1/"
    assert found["web.cms.outdated"].evidence == "no CMS version detected"
    assert found["web.security_txt.missing"].evidence == "Contact: mailto:securite@127.33.2.1"
    assert found["web.hsts.short"].evidence.startswith("Strict-Transport-Security: max-age=315")


async def test_a_neglected_site_fails_every_refinement() -> None:
    async with site("127.33.2.2", WEAK):
        found = await scan("127.33.2.2")
    expected = {check: Status.FAIL for check in WEB_IDS}
    expected["web.hsts.missing"] = Status.PASS  # it has HSTS, only too short
    expected["web.csp.missing"] = Status.PASS  # it has a CSP, only unsafe
    assert statuses(found) == expected
    assert "unsafe-inline" in found["web.csp.unsafe"].evidence
    assert found["web.server_version"].evidence == "Server: Apache/2.4.41 (Ubuntu)"
    assert found["web.cookie.insecure"].evidence == "sessionid lacks Secure"
    assert "CVE-2022-21661" in found["web.cms.outdated"].references
    assert found["web.cms.outdated"].severity == "high"
    assert found["web.security_txt.missing"].evidence == "HTTP 404"
    assert "answers over HTTP without redirecting" in found["web.https_redirect.missing"].evidence


async def test_no_hsts_and_no_csp_fail_as_missing_and_skip_their_refinements() -> None:
    profile = WebProfile(hsts="none", csp="none", cookies=(Cookie("PHPSESSID", True, False),))
    async with site("127.33.2.3", profile):
        found = await scan("127.33.2.3")
    assert found["web.hsts.missing"].status is Status.FAIL
    assert found["web.hsts.short"].status is Status.SKIPPED
    assert found["web.csp.missing"].status is Status.FAIL
    assert found["web.csp.unsafe"].status is Status.SKIPPED
    assert found["web.frame.missing"].status is Status.PASS  # X-Frame-Options: DENY
    assert found["web.cookie.insecure"].status is Status.FAIL
    assert "PHPSESSID (session) lacks HttpOnly" in found["web.cookie.insecure"].evidence


async def test_an_http_only_site_is_judged_on_its_http_answer() -> None:
    profile = WebProfile(https=False, cookies=(Cookie("sessionid", False, True),))
    async with site("127.33.2.4", profile):
        found = await scan("127.33.2.4")
    assert found["web.https_redirect.missing"].status is Status.FAIL
    assert found["web.hsts.missing"].status is Status.SKIPPED
    assert "HTTPS does not answer" in found["web.hsts.missing"].reason
    assert found["web.csp.missing"].location == "http://127.33.2.4/"
    assert found["web.xcto.missing"].status is Status.PASS
    assert found["web.cookie.insecure"].status is Status.PASS  # Secure is an HTTPS matter


async def test_a_redirect_to_another_host_is_not_an_https_redirect() -> None:
    # Given http://127.33.2.6/ that redirects to https://127.33.2.7/ (another host)
    elsewhere = WebProfile(https=True, https_redirect=True)
    async with site("127.33.2.6", elsewhere, domain="127.33.2.7"), site("127.33.2.7", WebProfile()):
        found = await scan("http://127.33.2.6/")
    redirect = found["web.https_redirect.missing"]
    assert redirect.status is Status.FAIL
    assert "not HTTPS on 127.33.2.6" in redirect.evidence


async def test_a_wordpress_outside_every_range_passes() -> None:
    async with site("127.33.2.8", WebProfile(wordpress="6.5.2")):
        found = await scan("https://127.33.2.8/")
    assert found["web.cms.outdated"].status is Status.PASS
    assert "WordPress 6.5.2" in found["web.cms.outdated"].evidence


async def test_a_redirect_loop_is_an_error_that_names_the_loop() -> None:
    server = await web.start_redirect_loop("127.33.2.9", 80)
    try:
        found = await scan("127.33.2.9")
    finally:
        server.close()
        await server.wait_closed()
    redirect = found["web.https_redirect.missing"]
    assert redirect.status is Status.ERROR
    assert redirect.reason == (
        "redirect loop: http://127.33.2.9/ -> http://127.33.2.9/b -> "
        "http://127.33.2.9/a -> http://127.33.2.9/b"
    )
    assert found["web.csp.missing"].status is Status.ERROR
    assert found["web.hsts.missing"].status is Status.SKIPPED  # nothing on 443


async def test_binary_junk_is_an_error_not_a_pass() -> None:
    server = await web.start_garbage_http("127.33.2.10", 80)
    try:
        found = await scan("127.33.2.10")
    finally:
        server.close()
        await server.wait_closed()
    assert found["web.https_redirect.missing"].status is Status.ERROR
    assert "not valid HTTP" in found["web.https_redirect.missing"].reason
    assert {
        o.status for c, o in found.items() if c not in ("web.hsts.missing", "web.hsts.short")
    } == {Status.ERROR}


async def test_a_server_that_never_answers_times_out_quickly() -> None:
    server = await web.start_hanging("127.33.2.11", 80)
    config = ScanConfig(lab=True, timeout=0.3, retries=0)
    started = time.monotonic()
    try:
        found = await scan("http://127.33.2.11/", config)
    finally:
        server.close()
        await server.wait_closed()
    assert time.monotonic() - started < 3
    assert found["web.https_redirect.missing"].status is Status.ERROR
    assert "timeout" in found["web.https_redirect.missing"].reason
    assert found["web.xcto.missing"].status is Status.ERROR


async def test_nothing_listening_skips_the_site() -> None:
    found = await scan("127.33.2.12")
    assert {o.status for o in found.values()} == {Status.SKIPPED}
    assert "connection refused" in found["web.csp.missing"].reason


async def test_the_guard_refuses_loopback_outside_lab_mode() -> None:
    found = await scan("https://127.33.2.1/", ScanConfig(timeout=1.0))
    assert found["web.csp.missing"].status is Status.ERROR
    assert "loopback" in found["web.csp.missing"].reason


async def test_only_selected_checks_are_reported() -> None:
    config = ScanConfig(
        lab=True, timeout=1.0, retries=0, checks=frozenset({"web.hsts.missing", "web.xcto.missing"})
    )
    async with site("127.33.2.13", WebProfile()):
        found = await scan("127.33.2.13", config)
    assert set(found) == {"web.hsts.missing", "web.xcto.missing"}


async def test_fetch_follows_redirects_and_keeps_the_chain_and_all_cookies() -> None:
    async with site(
        "127.33.2.14", WebProfile(cookies=(Cookie("a", True, True), Cookie("b", True, True)))
    ):
        response = await fetch(ScanContext(LAB), "http://127.33.2.14/")
    assert response.url == "https://127.33.2.14/"
    assert [h.status for h in response.chain] == [301, 200]
    assert len(response.headers.get_all("set-cookie")) == 2


async def test_fetch_refuses_a_redirect_loop_with_a_clear_reason() -> None:
    server = await web.start_redirect_loop("127.33.2.15", 8080)
    try:
        try:
            await fetch(ScanContext(LAB), "http://127.33.2.15:8080/a")
        except HttpError as exc:
            assert exc.kind == "redirect"
            assert str(exc).startswith("redirect loop: http://127.33.2.15:8080/a -> ")
        else:
            raise AssertionError("a redirect loop was followed")
    finally:
        server.close()
        await server.wait_closed()


# -- named targets, through a DNS server on 127.33.53.1 ---------------------------------

ZONE = """
$TTL 300
@        SOA  ns.webtest.lab. hostmaster.webtest.lab. 1 3600 600 86400 300
@        NS   ns.webtest.lab.
ns       A    127.33.53.1
shop     A    127.33.3.1
empty    TXT  "v=spf1 -all"
intranet A    10.1.2.3
"""


@asynccontextmanager
async def dns_server() -> AsyncIterator[ScanConfig]:
    """Given the zone webtest.lab served on 127.33.53.1:53, a lab config that uses it."""
    zone = dns.zone.from_text(ZONE, origin="webtest.lab.", relativize=False)
    servers = await start_dns("127.33.53.1", 53, [zone])
    try:
        yield ScanConfig(resolver=("127.33.53.1", 53), lab=True, timeout=1.0, retries=0)
    finally:
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()


async def test_a_domain_is_fetched_by_name_with_host_header_and_sni() -> None:
    async with dns_server() as config, site("127.33.3.1", WebProfile(), domain="shop.webtest.lab"):
        found = await scan("shop.webtest.lab", config)
    assert statuses(found) == {check: Status.PASS for check in WEB_IDS}
    assert "https://shop.webtest.lab/" in found["web.https_redirect.missing"].evidence
    assert found["web.security_txt.missing"].evidence == "Contact: mailto:securite@shop.webtest.lab"


async def test_a_domain_without_address_skips_the_web_checks() -> None:
    async with dns_server() as config:
        found = await scan("empty.webtest.lab", config)
    assert {o.status for o in found.values()} == {Status.SKIPPED}
    assert (
        found["web.csp.missing"].reason == "empty.webtest.lab has no address: no website to check"
    )


async def test_a_redirect_to_a_private_address_is_refused_by_the_guard() -> None:
    # Given a site whose HTTP side redirects to https://intranet.webtest.lab/ (10.1.2.3)
    async with (
        dns_server() as config,
        site("127.33.3.2", WebProfile(https=True), domain="intranet.webtest.lab"),
    ):
        try:
            await fetch(ScanContext(config), "http://127.33.3.2/")
        except HttpError as exc:
            assert exc.kind == "guard"
            assert "10.1.2.3" in str(exc) and "private" in str(exc)
        else:
            raise AssertionError("the redirect to a private address was followed")
