"""The web family: what a website's answers say about its hardening (checks.md, "Web").

For a domain we fetch ``http://<domain>/`` and ``https://<domain>/``; for a URL that URL
and its http/https sibling; for an address ``http(s)://<ip>/``. The HTTP side tells whether
plain HTTP is sent to HTTPS; the header checks read the HTTPS answer when HTTPS answers,
else the HTTP one. Fetching (our resolver, the guard, redirects) lives in
:mod:`rempart.engine.net.http`; judging headers lives in :mod:`rempart.engine.parsers.headers`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx

from rempart.engine import software
from rempart.engine.catalog import ids_of_family
from rempart.engine.checks.observe import observe, observe_all
from rempart.engine.context import ScanContext
from rempart.engine.model import Observation, Status
from rempart.engine.net.http import HttpError, HttpResponse, fetch
from rempart.engine.parsers import headers as hp
from rempart.engine.target import Target, TargetKind

WEB_IDS = tuple(ids_of_family("web"))
HEADER_IDS = tuple(
    i
    for i in WEB_IDS
    if i not in ("web.https_redirect.missing", "web.hsts.missing", "web.hsts.short")
)
HSTS_IDS = ("web.hsts.missing", "web.hsts.short")
_NOT_LISTENING = frozenset({"refused"})  # an HttpError kind meaning "nothing there"

Fetched = HttpResponse | HttpError


def _ok(
    check: str, failing: bool, location: str, evidence: str, refs: Iterable[str] = ()
) -> Observation:
    status = Status.FAIL if failing else Status.PASS
    return observe(check, status, location, evidence, references=refs if failing else ())


# -- which URLs -------------------------------------------------------------------------


def site_urls(target: Target) -> tuple[str | None, str | None]:
    """(http URL, https URL) to fetch for a target; None where that side does not apply."""
    host = f"[{target.name}]" if ":" in target.name else target.name
    if target.kind is TargetKind.URL and target.url:
        url = httpx.URL(target.url)
        if url.port is not None:  # a non-default port has no sibling on the other scheme
            return (target.url, None) if url.scheme == "http" else (None, target.url)
        other = str(url.copy_with(scheme="https" if url.scheme == "http" else "http"))
        return (target.url, other) if url.scheme == "http" else (other, target.url)
    if target.kind is TargetKind.HOST and target.port is not None:
        if target.port in (443, 8443):
            return None, f"https://{host}:{target.port}/"
        return f"http://{host}:{target.port}/", None
    return f"http://{host}/", f"https://{host}/"


async def _try(
    ctx: ScanContext, url: str | None, *, same_host_http: bool = False
) -> Fetched | None:
    if url is None:
        return None
    try:
        if same_host_http:
            return await fetch(ctx, url, follow=_same_host_http)
        return await fetch(ctx, url)
    except HttpError as exc:
        return exc


def _same_host_http(current: str, target: str) -> bool:
    here, there = httpx.URL(current), httpx.URL(target)
    return there.scheme == "http" and there.host == here.host


# -- the family ---------------------------------------------------------------------------


async def run(target: Target, ctx: ScanContext) -> list[Observation]:
    if not ctx.wants(*WEB_IDS):
        return []
    if target.kind is TargetKind.DOMAIN:
        blocked = await _domain_without_address(target, ctx)
        if blocked is not None:
            return blocked
    http_url, https_url = site_urls(target)
    http_side, https_side = await asyncio.gather(
        _try(ctx, http_url, same_host_http=True), _try(ctx, https_url)
    )
    found: list[Observation] = []
    if ctx.wants("web.https_redirect.missing"):
        found.append(_https_redirect(http_url, http_side, https_url))
    if ctx.wants(*HSTS_IDS):
        found += [o for o in _hsts(https_url, https_side) if ctx.wants(o.check)]
    if ctx.wants(*HEADER_IDS):
        source = await _header_source(ctx, http_url, http_side, https_side)
        found += await _header_checks(ctx, source, http_url or https_url or str(target))
    return found


async def _domain_without_address(target: Target, ctx: ScanContext) -> list[Observation] | None:
    resolution = await ctx.resolve(target.name)
    if resolution.allowed:
        return None
    wanted = [i for i in WEB_IDS if ctx.wants(i)]
    if resolution.refused:
        return observe_all(wanted, Status.ERROR, target.name, "; ".join(resolution.refused))
    if resolution.error and resolution.exists:
        return observe_all(wanted, Status.ERROR, target.name, resolution.error)
    reason = f"{target.name} has no address: no website to check"
    return observe_all(wanted, Status.SKIPPED, target.name, reason)


# -- http -> https ------------------------------------------------------------------------


def _https_redirect(
    http_url: str | None, side: Fetched | None, https_url: str | None
) -> Observation:
    check = "web.https_redirect.missing"
    location = http_url or https_url or ""
    if http_url is None or side is None:
        return observe(
            check, Status.SKIPPED, location, reason="no plain-HTTP URL to check for this target"
        )
    if isinstance(side, HttpError):
        if side.kind in _NOT_LISTENING:
            return observe(
                check,
                Status.SKIPPED,
                location,
                reason=f"HTTP does not answer ({side}), nothing to redirect",
            )
        return observe(check, Status.ERROR, location, reason=str(side))
    failing, evidence = redirect_verdict(http_url, side)
    return _ok(check, failing, location, evidence)


def redirect_verdict(http_url: str, response: HttpResponse) -> tuple[bool, str]:
    """(fails?, evidence): does ``http_url`` redirect to HTTPS on the same host?

    ``response`` is the fetch of ``http_url`` that followed only same-host HTTP hops, so its
    last answer is either a page (no redirect to HTTPS) or a redirect leaving plain HTTP on
    this host.
    """
    hops = " -> ".join(f"{h.url} [{h.status}]" for h in response.chain)
    target = response.location
    if target is None:
        return True, f"{hops}: answers over HTTP without redirecting to HTTPS"
    host = httpx.URL(http_url).host
    there = httpx.URL(target)
    if there.scheme == "https" and there.host == host:
        return False, f"{hops} -> {target}"
    return True, f"{hops} -> {target}: not HTTPS on {host}"


# -- HSTS (RFC 6797) -------------------------------------------------------------------


def _hsts(https_url: str | None, side: Fetched | None) -> list[Observation]:
    location = https_url or ""
    if https_url is None or side is None:
        return observe_all(HSTS_IDS, Status.SKIPPED, location, "no HTTPS URL for this target")
    if isinstance(side, HttpError):
        if side.kind in _NOT_LISTENING:
            return observe_all(
                HSTS_IDS, Status.SKIPPED, location, f"HTTPS does not answer ({side})"
            )
        return observe_all(HSTS_IDS, Status.ERROR, location, str(side))
    value = hsts_value(https_url, side)
    if value is None:
        return [
            _ok("web.hsts.missing", True, location, "no Strict-Transport-Security header"),
            observe("web.hsts.short", Status.SKIPPED, location, reason="no HSTS header"),
        ]
    parsed = hp.parse_hsts(value)
    evidence = f"Strict-Transport-Security: {value}"
    if parsed.max_age is None:
        return [
            _ok("web.hsts.missing", True, location, f"{evidence} (no valid max-age: ignored)"),
            observe("web.hsts.short", Status.SKIPPED, location, reason="no valid HSTS header"),
        ]
    return [
        _ok("web.hsts.missing", False, location, evidence),
        _ok("web.hsts.short", parsed.max_age < hp.ONE_YEAR, location, evidence),
    ]


def hsts_value(https_url: str, response: HttpResponse) -> str | None:
    """The HSTS header of the first HTTPS answer on the requested host that carries one
    (RFC 6797 §8.1: only a secure answer counts, and it applies to its own host)."""
    host = httpx.URL(https_url).host
    for hop in response.chain:
        url = httpx.URL(hop.url)
        if url.scheme == "https" and url.host == host:
            value = hop.headers.get("strict-transport-security")
            if value is not None:
                return value
    return None


# -- the other headers ------------------------------------------------------------------


async def _header_source(
    ctx: ScanContext, http_url: str | None, http_side: Fetched | None, https_side: Fetched | None
) -> Fetched | None:
    """The HTTPS answer when HTTPS answers, else the HTTP one followed to its end."""
    if isinstance(https_side, HttpResponse):
        return https_side
    if isinstance(http_side, HttpResponse) and http_side.location is not None:
        http_side = await _try(ctx, http_url)  # it left this host or HTTP: follow it all
    if isinstance(http_side, HttpResponse):
        return http_side
    errors = [s for s in (https_side, http_side) if isinstance(s, HttpError)]
    if errors and all(e.kind in _NOT_LISTENING for e in errors):
        return HttpError("; ".join(str(e) for e in errors), "refused")
    return (
        HttpError("; ".join(str(e) for e in errors if e.kind not in _NOT_LISTENING), "error")
        if errors
        else None
    )


async def _header_checks(
    ctx: ScanContext, source: Fetched | None, fallback_location: str
) -> list[Observation]:
    wanted = [i for i in HEADER_IDS if ctx.wants(i)]
    if source is None:
        return observe_all(wanted, Status.SKIPPED, fallback_location, "no web URL for this target")
    if isinstance(source, HttpError):
        if source.kind in _NOT_LISTENING:
            return observe_all(
                wanted, Status.SKIPPED, fallback_location, f"no website answers ({source})"
            )
        return observe_all(wanted, Status.ERROR, fallback_location, str(source))
    location = source.chain[0].url
    found = judge_headers(source, location)
    if ctx.wants("web.security_txt.missing"):
        found.append(await _security_txt(ctx, source.url))
    return [o for o in found if ctx.wants(o.check)]


def judge_headers(response: HttpResponse, location: str) -> list[Observation]:
    """The pure header checks (CSP, framing, XCTO, referrer, cookies, version, CMS)."""
    h = response.headers
    return [
        *_csp(h.get("content-security-policy"), location),
        _frame(h.get("x-frame-options"), h.get("content-security-policy"), location),
        _xcto(h.get("x-content-type-options"), location),
        _referrer(h.get("referrer-policy"), location),
        _cookies(response, location),
        _server_version(response, location),
        _cms(response.body, location),
    ]


def _frame(xfo: str | None, csp: str | None, location: str) -> Observation:
    policy = hp.parse_csp(csp) if csp is not None else None
    if xfo:
        evidence = f"X-Frame-Options: {xfo}"
    elif policy and "frame-ancestors" in policy:
        evidence = "frame-ancestors " + " ".join(policy["frame-ancestors"])
    else:
        evidence = "no X-Frame-Options, no CSP frame-ancestors"
    return _ok("web.frame.missing", not hp.frame_protected(xfo, policy), location, evidence)


def _xcto(value: str | None, location: str) -> Observation:
    # The only defined value is "nosniff" (Fetch standard, X-Content-Type-Options).
    failing = (value or "").strip().lower() != "nosniff"
    evidence = f"X-Content-Type-Options: {value}" if value else "no X-Content-Type-Options"
    return _ok("web.xcto.missing", failing, location, evidence)


def _referrer(value: str | None, location: str) -> Observation:
    evidence = f"Referrer-Policy: {value}" if value else "no Referrer-Policy"
    return _ok(
        "web.referrer_policy.missing", not hp.referrer_policy_safe(value), location, evidence
    )


def _csp(value: str | None, location: str) -> list[Observation]:
    if value is None:
        return [
            _ok("web.csp.missing", True, location, "no Content-Security-Policy"),
            observe(
                "web.csp.unsafe", Status.SKIPPED, location, reason="no Content-Security-Policy"
            ),
        ]
    evidence = f"Content-Security-Policy: {value}"
    reasons = hp.csp_unsafe_reasons(hp.parse_csp(value))
    return [
        _ok("web.csp.missing", False, location, evidence),
        _ok(
            "web.csp.unsafe",
            bool(reasons),
            location,
            f"{evidence} ({'; '.join(reasons)})" if reasons else evidence,
        ),
    ]


def _cookies(response: HttpResponse, location: str) -> Observation:
    problems: list[str] = []
    names: list[str] = []
    for hop in response.chain:  # a cookie set on a redirect is set all the same
        over_https = hop.url.startswith("https://")
        for value in hop.headers.get_all("set-cookie"):
            cookie = hp.parse_set_cookie(value)
            if cookie is None:
                continue
            names.append(cookie.name)
            problems += hp.cookie_problems(cookie, over_https)
    if not names:
        return _ok("web.cookie.insecure", False, location, "no cookie set")
    evidence = "; ".join(problems) if problems else "cookies set: " + ", ".join(names)
    return _ok("web.cookie.insecure", bool(problems), location, evidence)


def _server_version(response: HttpResponse, location: str) -> Observation:
    disclosed: list[str] = []
    for hop in response.chain:
        for name in ("server", "x-powered-by"):
            for value in hop.headers.get_all(name):
                if hp.disclosed_versions(value):
                    disclosed.append(f"{name.title()}: {value}")
    if disclosed:
        return _ok("web.server_version", True, location, "; ".join(dict.fromkeys(disclosed)))
    server = response.headers.get("server")
    return _ok(
        "web.server_version", False, location, f"Server: {server}" if server else "no Server header"
    )


def _cms(body: str, location: str) -> Observation:
    version = hp.wordpress_version(body)
    if version is None:
        return _ok("web.cms.outdated", False, location, "no CMS version detected")
    advisories = software.match("wordpress", version)
    cves = tuple(dict.fromkeys(c for a in advisories for c in a.cves))
    evidence = f'<meta name="generator" content="WordPress {version}">'
    if advisories:
        evidence += " — " + "; ".join(a.summary for a in advisories)
    return _ok("web.cms.outdated", bool(advisories), location, evidence, cves)


async def _security_txt(ctx: ScanContext, site_url: str) -> Observation:
    """RFC 9116 §3: the file lives at /.well-known/security.txt and needs a Contact field."""
    url = str(httpx.URL(site_url).join("/.well-known/security.txt"))
    check = "web.security_txt.missing"
    try:
        response = await fetch(ctx, url)
    except HttpError as exc:
        return observe(check, Status.ERROR, url, reason=str(exc))
    if response.status != 200:
        return _ok(check, True, url, f"HTTP {response.status}")
    looks_html = response.body.lstrip()[:1] == "<"  # a soft-404 page is not a security.txt
    contacts = [] if looks_html else hp.security_txt_contacts(response.body)
    if not contacts:
        return _ok(check, True, url, "HTTP 200 without a Contact: field")
    return _ok(check, False, url, "Contact: " + ", ".join(contacts))
