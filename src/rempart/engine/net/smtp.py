"""The SMTP conversation the mail checks need: greeting, EHLO, STARTTLS (RFC 5321, 3207).

Every read is bounded in time and in lines, so a server that drips, hangs or sends
garbage ends as an :class:`SmtpError` with a reason, never as a hang.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import warnings

from rempart.engine.context import ScanContext

MAX_REPLY_LINES = 64
EHLO_NAME = "rempart.invalid"  # RFC 2606 name: the scanner claims no real domain


class SmtpError(Exception):
    """The SMTP peer did not behave like a mail server; the message says how."""


def parse_reply_line(raw: bytes) -> tuple[int, bool, str]:
    """One SMTP reply line (RFC 5321 §4.2): (code, more lines follow, text)."""
    line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
    match = re.fullmatch(r"([2-5][0-9]{2})([ -]?)(.*)", line)
    if not match or (not match[2] and match[3]):
        raise SmtpError(f"not an SMTP reply: {line[:80]!r}")
    return int(match[1]), match[2] == "-", match[3]


async def read_reply(
    ctx: ScanContext, reader: asyncio.StreamReader, what: str
) -> tuple[int, list[str]]:
    lines: list[str] = []
    for _ in range(MAX_REPLY_LINES):
        try:
            raw = await ctx.readline(reader)
        except TimeoutError:
            raise SmtpError(f"no {what} within {ctx.config.timeout:g} s") from None
        except ValueError:  # asyncio's LimitOverrunError: a line without end
            raise SmtpError(f"{what}: line too long") from None
        if not raw:
            raise SmtpError(f"connection closed while waiting for the {what}")
        code, more, text = parse_reply_line(raw)
        lines.append(text)
        if not more:
            return code, lines
    raise SmtpError(f"{what} longer than {MAX_REPLY_LINES} lines")


async def command(
    ctx: ScanContext, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: str
) -> tuple[int, list[str]]:
    writer.write(line.encode("ascii") + b"\r\n")
    await asyncio.wait_for(writer.drain(), ctx.config.timeout)
    return await read_reply(ctx, reader, f"reply to {line.split()[0]}")


async def greet(
    ctx: ScanContext, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[str, list[str]]:
    """Read the 220 greeting and say EHLO; return (greeting, EHLO keywords)."""
    code, banner = await read_reply(ctx, reader, "SMTP greeting")
    if code != 220:
        raise SmtpError(f"the server greets with {code} {banner[0][:80]} (no service)")
    code, ehlo = await command(ctx, reader, writer, f"EHLO {EHLO_NAME}")
    if code != 250:
        raise SmtpError(f"EHLO refused: {code} {ehlo[0][:80]}")
    keywords = [line.split()[0].upper() for line in ehlo[1:] if line.split()]
    return banner[0], keywords


def legacy_client_context() -> ssl.SSLContext:
    """A client that speaks only TLS 1.0 and 1.1, with OpenSSL 3's floor lowered.

    No certificate check: the question is which versions the server accepts, not whom.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # deprecated on purpose: these are what we probe for
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 disables TLS 1.0/1.1 above 0
    return context
