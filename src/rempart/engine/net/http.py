"""HTTP(S) fetches for the web checks: our resolver, our guard, our politeness, our redirects.

httpx would resolve names with the system resolver and follow redirects anywhere; instead,
for each hop we resolve the host with ``ctx.resolve`` (the configured DNS, guard-checked,
so a redirect to a private address is refused like the first hop: design §4, DNS
rebinding), connect to the address itself (the URL is rewritten to the IP, the Host header
and the TLS SNI carry the name) inside ``ctx.slot(ip)``, and follow redirects by hand.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from rempart.engine.context import ScanContext
from rempart.engine.guard import GuardRefusal

MAX_HOPS = 10
MAX_BODY = 256 * 1024  # bytes kept of a page: enough for a <head>, bounded for hostile peers
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "rempart (exposure scanner; +https://github.com/rempart)"


class HttpError(Exception):
    """A fetch that gave no usable answer. ``kind`` sorts the cause, ``str()`` explains it.

    Kinds: ``refused`` (nothing listens), ``unreachable``, ``timeout``, ``tls``,
    ``protocol`` (not HTTP),
    ``redirect`` (loop, too many hops, bad Location), ``guard``, ``dns``.
    """

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Headers:
    """A read-only multi-dict of response headers (names lower-case, order kept)."""

    items: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        """The first value of ``name``, or None."""
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.items if key == wanted]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.get_all(name))


@dataclass(frozen=True, slots=True)
class Hop:
    """One request of a redirect chain and what it answered."""

    url: str
    status: int
    headers: Headers


@dataclass(frozen=True, slots=True)
class HttpResponse:
    url: str  # the final URL, with the host name (not the address)
    status: int
    headers: Headers
    body: str  # at most MAX_BODY bytes, decoded leniently
    chain: tuple[Hop, ...]  # every hop in order; the last one is this response

    @property
    def location(self) -> str | None:
        """The absolute redirect target when this response is a redirect."""
        if self.status not in REDIRECT_STATUSES:
            return None
        target = self.headers.get("location")
        return str(httpx.URL(self.url).join(target)) if target else None


# follow(current_url, next_url) -> True to follow the redirect, False to stop there.
FollowPolicy = Callable[[str, str], bool]


def _always(_current: str, _next: str) -> bool:
    return True


async def fetch(
    ctx: ScanContext, url: str, *, follow: FollowPolicy = _always, max_hops: int = MAX_HOPS
) -> HttpResponse:
    """GET ``url``, following redirects the policy accepts; raise :class:`HttpError`."""
    chain: list[Hop] = []
    visited = [url]
    current = url
    while True:
        response = await _fetch_one(ctx, current, chain)
        chain = [*response.chain]
        target = response.location
        if target is None or not follow(current, target):
            return response
        if httpx.URL(target).scheme not in ("http", "https"):
            raise HttpError(f"{current} redirects to a non-web URL {target[:120]}", "redirect")
        if target in visited:
            raise HttpError("redirect loop: " + " -> ".join([*visited, target]), "redirect")
        if len(visited) > max_hops:
            raise HttpError(f"too many redirects (more than {max_hops}) from {url}", "redirect")
        visited.append(target)
        current = target


async def _fetch_one(ctx: ScanContext, url: str, chain: list[Hop]) -> HttpResponse:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise HttpError(f"invalid URL {url[:120]}: {exc}", "redirect") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise HttpError(f"not an http(s) URL: {url[:120]}", "redirect")
    ip = await _address_of(ctx, parsed.host)
    # The whole hop is bounded: a peer dripping one byte per read timeout cannot hold us.
    deadline = ctx.config.timeout * 3
    try:
        async with ctx.slot(ip):
            return await asyncio.wait_for(_get(ctx, parsed, ip, chain), timeout=deadline)
    except TimeoutError:
        raise HttpError(f"{url}: no complete answer within {deadline:g} s", "timeout") from None


async def _address_of(ctx: ScanContext, host: str) -> str:
    resolution = await ctx.resolve(host)
    if not resolution.allowed:
        if resolution.refused:
            raise HttpError("; ".join(resolution.refused), "guard")
        raise HttpError(resolution.error or f"{host} has no address", "dns")
    ordered = sorted(resolution.allowed, key=lambda ip: ip.version)  # IPv4 first
    try:
        return str(ctx.guard.check(ordered[0]))
    except GuardRefusal as exc:  # resolve() already checked; kept for defence in depth
        raise HttpError(str(exc), "guard") from None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _get(ctx: ScanContext, url: httpx.URL, ip: str, chain: list[Hop]) -> HttpResponse:
    extensions: dict[str, object] = {}
    if url.scheme == "https" and not _is_ip(url.host):
        extensions["sni_hostname"] = url.host
    headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT}
    # verify=False: this client only reads headers and pages; whether the certificate is
    # trustworthy is the TLS family's job, and a bad certificate must not hide the headers.
    # trust_env=False: no proxy from the environment may carry scan traffic elsewhere.
    async with httpx.AsyncClient(
        verify=False,  # noqa: S501 - see the comment above
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(ctx.config.timeout),
    ) as client:
        try:
            request = client.build_request(
                "GET", url.copy_with(host=ip), headers=headers, extensions=extensions
            )
            response = await client.send(request, stream=True)
            try:
                body = await _read_capped(response)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise _explain(str(url), exc) from None
    hop = Hop(str(url), response.status_code, Headers(tuple(_lower(response.headers))))
    text = body.decode(response.charset_encoding or "utf-8", errors="replace")
    return HttpResponse(str(url), hop.status, hop.headers, text, (*chain, hop))


def _lower(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in headers.multi_items()]


async def _read_capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) >= MAX_BODY:
            break
    return bytes(body[:MAX_BODY])


def _refused(exc: BaseException) -> bool:
    """Whether a ConnectionRefusedError sits in the exception's chain (httpcore wraps it,
    anyio may summarise it as "All connection attempts failed")."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        if isinstance(current, OSError) and current.errno == errno.ECONNREFUSED:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _explain(url: str, exc: httpx.HTTPError) -> HttpError:
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return HttpError(f"{url}: no answer within the timeout ({type(exc).__name__})", "timeout")
    if isinstance(exc, httpx.ConnectError):
        lowered = detail.lower()
        if _refused(exc) or "refused" in lowered:
            return HttpError(f"{url}: connection refused", "refused")
        if "ssl" in lowered or "tls" in lowered or "handshake" in lowered:
            return HttpError(f"{url}: TLS handshake failed ({detail})", "tls")
        return HttpError(f"{url}: cannot connect ({detail})", "unreachable")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
        return HttpError(f"{url}: the answer is not valid HTTP ({detail[:160]})", "protocol")
    return HttpError(f"{url}: {type(exc).__name__}: {detail[:160]}", "protocol")
