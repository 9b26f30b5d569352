"""The lab's websites answer with the headers their profile asks for (real sockets, 127.33.1.x)."""

import asyncio
import functools
import ssl
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from rempart.lab import web
from rempart.lab.profiles import Cookie, WebProfile
from tests.support import write_self_signed


def self_signed_context(*addresses: str) -> ssl.SSLContext:
    """A server TLS context with a throw-away self-signed certificate for ``addresses``."""
    with tempfile.TemporaryDirectory() as folder:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*write_self_signed(Path(folder), addresses))
    return context


async def start_https(
    address: str, profile: WebProfile, domain: str, port: int = 443
) -> asyncio.AbstractServer:
    handler = functools.partial(
        web.handle_http, profile=profile, domain=domain, scheme="https", title="Garage Dubois"
    )
    return await asyncio.start_server(handler, address, port, ssl=self_signed_context(address))


@asynccontextmanager
async def serving(*servers: asyncio.AbstractServer) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()


async def get(
    address: str, port: int, path: str = "/", tls: bool = False
) -> tuple[int, list[tuple[str, str]], str]:
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(address, port, ssl=context)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n".encode())
    raw = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [(k.lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines)]
    return int(status_line.split()[1]), headers, body.decode()


def header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k == name]


async def test_http_redirects_to_https_on_the_same_domain() -> None:
    server = await web.start_http("127.33.1.1", 80, WebProfile(), "boulangerie-1.lab")
    async with serving(server):
        status, headers, _ = await get("127.33.1.1", 80, "/contact")
    assert status == 301
    assert header(headers, "location") == ["https://boulangerie-1.lab/contact"]
    assert header(headers, "connection") == ["close"]


async def test_a_good_site_sends_every_protection_over_https() -> None:
    server = await start_https("127.33.1.2", WebProfile(), "garage-2.lab")
    async with serving(server):
        status, headers, body = await get("127.33.1.2", 443, tls=True)
    assert status == 200
    assert header(headers, "strict-transport-security") == ["max-age=31536000; includeSubDomains"]
    assert header(headers, "content-security-policy") == [
        "default-src 'self'; frame-ancestors 'none'"
    ]
    assert header(headers, "x-frame-options") == ["DENY"]
    assert header(headers, "x-content-type-options") == ["nosniff"]
    assert header(headers, "referrer-policy") == ["strict-origin-when-cross-origin"]
    assert header(headers, "server") == ["nginx"]
    (cookie,) = header(headers, "set-cookie")
    assert cookie.startswith("sessionid=") and "; Secure" in cookie and "; HttpOnly" in cookie
    assert "<h1>Garage Dubois</h1>" in body and 'lang="fr"' in body
    assert "generator" not in body


async def test_a_weak_site_sends_what_its_profile_says() -> None:
    profile = WebProfile(
        https_redirect=False,
        hsts="short",
        csp="unsafe",
        frame_protection=False,
        xcto=False,
        referrer_policy=False,
        cookies=(Cookie("PHPSESSID", False, False),),
        server_header="Apache/2.4.41 (Ubuntu)",
        security_txt=False,
        wordpress="5.8.1",
    )
    https = await start_https("127.33.1.3", profile, "pharmacie-3.lab")
    http = await web.start_http("127.33.1.3", 80, profile, "pharmacie-3.lab")
    async with serving(https, http):
        status, headers, body = await get("127.33.1.3", 443, tls=True)
        plain_status, plain_headers, _ = await get("127.33.1.3", 80)
        txt_status, _, _ = await get("127.33.1.3", 443, "/.well-known/security.txt", tls=True)
    assert status == 200 and plain_status == 200  # no redirect to HTTPS
    assert header(headers, "strict-transport-security") == ["max-age=86400"]
    assert header(plain_headers, "strict-transport-security") == []  # never over HTTP
    assert header(headers, "content-security-policy") == [
        "default-src 'self'; script-src 'self' 'unsafe-inline'"
    ]
    assert header(headers, "x-frame-options") == []
    assert header(headers, "x-content-type-options") == []
    assert header(headers, "referrer-policy") == []
    assert header(headers, "server") == ["Apache/2.4.41 (Ubuntu)"]
    (cookie,) = header(headers, "set-cookie")
    assert "Secure" not in cookie and "HttpOnly" not in cookie
    assert '<meta name="generator" content="WordPress 5.8.1">' in body
    assert txt_status == 404


async def test_a_good_csp_without_frame_protection_has_no_frame_ancestors() -> None:
    server = await start_https("127.33.1.4", WebProfile(frame_protection=False), "x-4.lab")
    async with serving(server):
        _, headers, _ = await get("127.33.1.4", 443, tls=True)
    assert header(headers, "content-security-policy") == ["default-src 'self'"]
    assert header(headers, "x-frame-options") == []


async def test_security_txt_names_a_contact_and_an_expiry() -> None:
    server = await start_https("127.33.1.5", WebProfile(), "hotel-5.lab")
    async with serving(server):
        status, _, body = await get("127.33.1.5", 443, "/.well-known/security.txt", tls=True)
    assert status == 200
    assert "Contact: mailto:securite@hotel-5.lab" in body
    assert "Expires: " in body


async def test_an_http_only_site_serves_the_page_even_with_redirect_set() -> None:
    profile = WebProfile(https=False)  # https_redirect stays True, but there is no HTTPS
    server = await web.start_http("127.33.1.6", 80, profile, "opticien-6.lab")
    async with serving(server):
        status, headers, _ = await get("127.33.1.6", 80)
    assert status == 200
    assert header(headers, "x-content-type-options") == ["nosniff"]
    assert header(headers, "strict-transport-security") == []


async def test_junk_requests_get_a_400_and_the_connection_closes() -> None:
    server = await web.start_http("127.33.1.7", 80, WebProfile(), "x-7.lab")
    async with serving(server):
        reader, writer = await asyncio.open_connection("127.33.1.7", 80)
        writer.write(b"\x00\x01\x02 junk\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
    assert raw.startswith(b"HTTP/1.1 400 ")


async def test_fault_servers() -> None:
    loop = await web.start_redirect_loop("127.33.1.8", 80)
    junk = await web.start_garbage_http("127.33.1.9", 80)
    hang = await web.start_hanging("127.33.1.10", 80)
    async with serving(loop, junk, hang):
        status, headers, _ = await get("127.33.1.8", 80, "/b")
        assert (status, header(headers, "location")) == (302, ["/a"])
        reader, writer = await asyncio.open_connection("127.33.1.9", 80)
        assert (await asyncio.wait_for(reader.read(), timeout=5)).startswith(b"\x00")
        writer.close()
        reader, writer = await asyncio.open_connection("127.33.1.10", 80)
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        try:
            await asyncio.wait_for(reader.read(1), timeout=0.3)
            raise AssertionError("the hanging server answered")
        except TimeoutError:
            pass
        writer.close()
