"""The lab's websites: a tiny HTTP/1.1 server whose headers follow a business's WebProfile.

One request per connection (``Connection: close``), request head read with a size limit
and a timeout. Over HTTP the site redirects to HTTPS when the profile says so; over HTTPS
(the decrypted stream handed over by :mod:`rempart.lab.tlsserver`) it serves the page with
the profile's security headers. Fault servers (a redirect loop, binary junk, a peer that
never answers) give the engine's error paths something real to meet.

Proving control: ``/.well-known/rempart-verification.txt`` serves, for the host named in
the request, the file ``<lab dir>/wellknown/<host>.txt`` read at request time (so a test
or the demo can drop it while the lab runs), over HTTP and HTTPS alike.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rempart.lab.profiles import WebProfile

HEAD_LIMIT = 16 * 1024  # request line + headers; more is a 431
READ_TIMEOUT = 10.0
HSTS_VALUES = {"good": "max-age=31536000; includeSubDomains", "short": "max-age=86400"}
CSP_VALUES = {
    "good": "default-src 'self'; frame-ancestors 'none'",
    "good_no_frame": "default-src 'self'",
    "unsafe": "default-src 'self'; script-src 'self' 'unsafe-inline'",
}
VERIFICATION_PATH = "/.well-known/rempart-verification.txt"
VERIFICATION_LIMIT = 4 * 1024  # bytes served at most; a token needs a few dozen
# A host name as the file name: letters, digits, hyphens and single dots, nothing that
# could climb out of the folder ("/", "..", "\\", NUL).
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
}


class _BadRequest(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, str]:
    """Method, path and Host header ("" when absent) of the request; other headers are
    read and dropped."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=READ_TIMEOUT)
    except asyncio.LimitOverrunError:
        raise _BadRequest(431) from None
    except asyncio.IncompleteReadError as exc:
        if len(exc.partial) > HEAD_LIMIT:
            raise _BadRequest(431) from None
        raise _BadRequest(400) from None
    if len(head) > HEAD_LIMIT:
        raise _BadRequest(431)
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(400)
    method, target, _version = parts
    host = next(
        (v.strip() for k, _, v in (h.partition(":") for h in header_lines) if k.lower() == "host"),
        "",
    )
    return method, target.split("?", 1)[0].split("#", 1)[0] or "/", host


def _response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def page_html(title: str, domain: str, wordpress: str | None) -> str:
    """A small French homepage; ``title`` like "Boulangerie Martin"."""
    name = html.escape(title or "Boulangerie Martin")
    generator = (
        f'  <meta name="generator" content="WordPress {html.escape(wordpress)}">\n'
        if wordpress
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n  <meta charset="utf-8">\n'
        f"{generator}  <title>{name} — bienvenue</title>\n</head>\n<body>\n"
        f"  <h1>{name}</h1>\n  <p>Artisans depuis 1987 : savoir-faire, produits de "
        "saison et accueil chaleureux, du mardi au samedi de 7 h à 19 h.</p>\n"
        f'  <p>Contact : <a href="mailto:contact@{html.escape(domain)}">'
        f"contact@{html.escape(domain)}</a></p>\n</body>\n</html>\n"
    )


def security_headers(profile: WebProfile, scheme: str) -> list[tuple[str, str]]:
    """The headers the profile asks for; HSTS only over HTTPS (RFC 6797 §7.2)."""
    headers: list[tuple[str, str]] = []
    if profile.server_header:
        headers.append(("Server", profile.server_header))
    if scheme == "https" and profile.hsts in HSTS_VALUES:
        headers.append(("Strict-Transport-Security", HSTS_VALUES[profile.hsts]))
    if profile.csp == "good":
        key = "good" if profile.frame_protection else "good_no_frame"
        headers.append(("Content-Security-Policy", CSP_VALUES[key]))
    elif profile.csp == "unsafe":
        headers.append(("Content-Security-Policy", CSP_VALUES["unsafe"]))
    if profile.frame_protection:
        headers.append(("X-Frame-Options", "DENY"))
    if profile.xcto:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if profile.referrer_policy:
        headers.append(("Referrer-Policy", "strict-origin-when-cross-origin"))
    for cookie in profile.cookies:
        value = f"{cookie.name}={secrets.token_hex(16)}; Path=/; SameSite=Lax"
        value += "; Secure" if cookie.secure else ""
        value += "; HttpOnly" if cookie.httponly else ""
        headers.append(("Set-Cookie", value))
    return headers


def security_txt(domain: str) -> str:
    """An RFC 9116 file: Contact and Expires are its two required fields."""
    expires = (datetime.now(UTC) + timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Contact: mailto:securite@{domain}\nExpires: {expires}\nPreferred-Languages: fr, en\n"


def verification_file(folder: Path, host: str) -> Path | None:
    """Where the proof of ``host`` lives in ``folder``: ``<host>.txt``, the host lower-cased
    without its port or final dot; None for a name that is not a plain host name."""
    name = host.strip().lower()
    if name.count(":") == 1:  # "host:port"; an IPv6 literal has more colons and fails below
        name = name.split(":")[0]
    name = name.removesuffix(".")
    if "/" in name or ".." in name or not _HOST.fullmatch(name):
        return None
    return folder / f"{name}.txt"


def _verification(method: str, host: str, domain: str, folder: Path | None) -> bytes:
    """The proof-of-control file for ``host``, if the site answers for that host (its
    domain or a name below it) and the file exists; otherwise 404."""
    if method not in ("GET", "HEAD"):
        return _response(405, [("Allow", "GET, HEAD")], b"")
    path = verification_file(folder, host) if folder is not None else None
    missing = _response(404, [("Content-Type", "text/plain")], b"Introuvable\n")
    if path is None or not (path.stem == domain or path.stem.endswith(f".{domain}")):
        return missing
    try:
        with path.open("rb") as stream:
            body = stream.read(VERIFICATION_LIMIT)
    except OSError:  # absent, a folder, unreadable: nothing proves control
        return missing
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
    return _response(200, headers, b"" if method == "HEAD" else body)


def _answer(
    method: str, path: str, profile: WebProfile, domain: str, scheme: str, title: str
) -> bytes:
    if method not in ("GET", "HEAD"):
        return _response(405, [("Allow", "GET, HEAD")], b"")
    if scheme == "http" and profile.https_redirect and profile.https:
        return _response(301, [("Location", f"https://{domain}{path}")], b"")
    headers = security_headers(profile, scheme)
    if path == "/.well-known/security.txt":
        if not profile.security_txt:
            return _response(404, [("Content-Type", "text/plain")], b"Introuvable\n")
        body = security_txt(domain).encode()
        return _response(200, [("Content-Type", "text/plain; charset=utf-8")], body)
    if path != "/":
        return _response(404, [("Content-Type", "text/plain")], b"Introuvable\n")
    body = page_html(title, domain, profile.wordpress).encode()
    headers.append(("Content-Type", "text/html; charset=utf-8"))
    return _response(200, headers, b"" if method == "HEAD" else body)


async def handle_http(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    profile: WebProfile,
    domain: str,
    scheme: str,
    title: str = "",
    wellknown: Path | None = None,
) -> None:
    """Serve one request of a business website (``scheme`` is "http" or "https").

    ``wellknown`` is the folder of proof-of-control files (None: the site has none).
    """
    try:
        try:
            method, path, host = await _read_head(reader)
        except _BadRequest as exc:
            writer.write(_response(exc.status, [], b""))
        else:
            if path == VERIFICATION_PATH:
                # Before the profile's HTTP-to-HTTPS redirect: the proof is served on both
                # schemes, and no check reads this path.
                writer.write(_verification(method, host, domain, wellknown))
            else:
                writer.write(_answer(method, path, profile, domain, scheme, title))
        await asyncio.wait_for(writer.drain(), timeout=READ_TIMEOUT)
    except (OSError, TimeoutError):
        pass  # the client went away or stalled: nothing to serve
    finally:
        await _close(writer)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout=2.0)
    except (OSError, TimeoutError):
        pass  # closing a broken connection: nothing to do


async def start_http(
    address: str,
    port: int,
    profile: WebProfile,
    domain: str,
    title: str = "",
    wellknown: Path | None = None,
) -> asyncio.AbstractServer:
    """A plain-HTTP listener for one business website on ``address:port``."""
    handler = functools.partial(
        handle_http,
        profile=profile,
        domain=domain,
        scheme="http",
        title=title,
        wellknown=wellknown,
    )
    return await asyncio.start_server(handler, address, port, limit=HEAD_LIMIT * 2)


# -- faults ----------------------------------------------------------------------------


async def _redirect_loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        _method, path, _host = await _read_head(reader)
        target = "/b" if path != "/b" else "/a"  # / -> /a -> /b -> /a ...
        writer.write(_response(302, [("Location", target)], b""))
        await asyncio.wait_for(writer.drain(), timeout=READ_TIMEOUT)
    except (_BadRequest, OSError, TimeoutError):
        pass
    finally:
        await _close(writer)


async def start_redirect_loop(address: str, port: int) -> asyncio.AbstractServer:
    """An HTTP server whose pages redirect to each other forever (/a -> /b -> /a)."""
    return await asyncio.start_server(_redirect_loop, address, port)


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        writer.write(b"\x00\x17\xfe\xff" + bytes(range(256)) + b"\r\n\r\n")
        await asyncio.wait_for(writer.drain(), timeout=READ_TIMEOUT)
    except (OSError, TimeoutError):
        pass
    finally:
        await _close(writer)


async def start_garbage_http(address: str, port: int) -> asyncio.AbstractServer:
    """A server that answers any connection with binary junk, then closes."""
    return await asyncio.start_server(_garbage, address, port)


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while await reader.read(4096):
            pass  # read and ignore until the client gives up and closes
    except OSError:
        pass
    finally:
        await _close(writer)


async def start_hanging(address: str, port: int) -> asyncio.AbstractServer:
    """A server that accepts connections and never answers."""
    return await asyncio.start_server(_hang, address, port)
