"""Pure parsers of HTTP security headers and page markers (text in, typed value out).

No I/O here: the web family (``rempart.engine.checks.web``) fetches, these functions judge.
Each parser is lenient on case and whitespace, as browsers are, and strict on meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

ONE_YEAR = 31_536_000  # seconds; internet.nl's HSTS threshold


# -- Strict-Transport-Security (RFC 6797) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Hsts:
    max_age: int | None  # None: no valid max-age directive (the header is then void, §6.1.1)
    include_subdomains: bool
    preload: bool


_MAX_AGE = re.compile(r'^max-age\s*=\s*"?(\d+)"?$', re.IGNORECASE)


def parse_hsts(value: str) -> Hsts:
    """Parse one ``Strict-Transport-Security`` value (RFC 6797 §6.1).

    A directive that appears twice makes the header invalid (§6.1), so max-age is then None.
    """
    max_age: int | None = None
    seen: set[str] = set()
    duplicate = False
    flags: set[str] = set()
    for raw in value.split(";"):
        directive = raw.strip()
        if not directive:
            continue
        name = directive.split("=", 1)[0].strip().lower()
        if name in seen:
            duplicate = True
        seen.add(name)
        if name == "max-age":
            found = _MAX_AGE.match(directive)
            max_age = int(found.group(1)) if found else None
        else:
            flags.add(name)
    if duplicate:
        max_age = None
    return Hsts(max_age, "includesubdomains" in flags, "preload" in flags)


# -- Content-Security-Policy (CSP Level 3) --------------------------------------------

Csp = dict[str, tuple[str, ...]]  # directive name (lower case) -> source list

_WILDCARD_SOURCES = frozenset({"*", "http:", "https:", "data:"})


def parse_csp(value: str) -> Csp:
    """Directives of one policy; the first occurrence of a directive wins (CSP3 §2.2.1)."""
    policy: Csp = {}
    for raw in value.split(";"):
        tokens = raw.strip().split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if name not in policy:
            policy[name] = tuple(tokens[1:])
    return policy


def csp_unsafe_reasons(policy: Csp) -> list[str]:
    """Why a policy lets scripts or plugins through; empty when it does not.

    Script sources come from ``script-src``, else ``default-src`` (its fallback). A wildcard
    source (``*``, a bare scheme such as ``https:``) in script-src/default-src/object-src
    allows any host; ``data:`` there allows inline script by URL (Observatory counts it too).
    """
    reasons: list[str] = []
    script_name = "script-src" if "script-src" in policy else "default-src"
    script = [s.lower() for s in policy.get(script_name, ())]
    for keyword in ("'unsafe-inline'", "'unsafe-eval'"):
        if keyword in script:
            reasons.append(f"{script_name} allows {keyword}")
    for name in dict.fromkeys(("script-src", "default-src", "object-src")):
        for source in policy.get(name, ()):
            if source.lower() in _WILDCARD_SOURCES:
                reasons.append(f"{name} allows any source ({source})")
    return reasons


# -- Framing ---------------------------------------------------------------------------


def frame_protected(x_frame_options: str | None, policy: Csp | None) -> bool:
    """True when XFO says DENY/SAMEORIGIN (RFC 7034) or the CSP has frame-ancestors."""
    if x_frame_options and x_frame_options.strip().lower() in ("deny", "sameorigin"):
        return True
    return policy is not None and "frame-ancestors" in policy


# -- Set-Cookie (RFC 6265) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCookie:
    name: str
    secure: bool
    httponly: bool
    persistent: bool  # has Expires or Max-Age

    @property
    def is_session(self) -> bool:
        """A session id by its name, or a cookie that dies with the browser session."""
        return looks_like_session_name(self.name) or not self.persistent


_SESSION_NAMES = frozenset(
    {"sessionid", "phpsessid", "jsessionid", "asp.net_sessionid", "connect.sid", "sid"}
)


def looks_like_session_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SESSION_NAMES or "sess" in lowered


def parse_set_cookie(value: str) -> SetCookie | None:
    """Parse one ``Set-Cookie`` value; None when it has no ``name=`` pair (RFC 6265 §5.2)."""
    pair, *attributes = value.split(";")
    name, sep, _value = pair.partition("=")
    name = name.strip()
    if not sep or not name:
        return None
    keys = {a.split("=", 1)[0].strip().lower() for a in attributes}
    return SetCookie(
        name=name,
        secure="secure" in keys,
        httponly="httponly" in keys,
        persistent=bool(keys & {"expires", "max-age"}),
    )


def cookie_problems(cookie: SetCookie, over_https: bool) -> list[str]:
    """Why a cookie is insecure: no Secure over HTTPS, or a session cookie without HttpOnly."""
    problems: list[str] = []
    if over_https and not cookie.secure:
        problems.append(f"{cookie.name} lacks Secure")
    if cookie.is_session and not cookie.httponly:
        problems.append(f"{cookie.name} (session) lacks HttpOnly")
    return problems


# -- Referrer-Policy (W3C Referrer Policy §8.1) ----------------------------------------

_UNSAFE_REFERRER = frozenset({"unsafe-url", "no-referrer-when-downgrade"})
_KNOWN_REFERRER = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)


def referrer_policy_safe(value: str | None) -> bool:
    """The effective policy is the last known token (spec §11.1); unsafe or none = False."""
    if not value:
        return False
    tokens = [t.strip().lower() for t in value.split(",")]
    known = [t for t in tokens if t in _KNOWN_REFERRER]
    return bool(known) and known[-1] not in _UNSAFE_REFERRER


# -- Server / X-Powered-By -------------------------------------------------------------

# A product token with a version that starts with a digit: "Apache/2.4.41", "PHP/7.4.3",
# "Microsoft-IIS/10.0". "nginx" or "Apache" alone disclose no version.
_PRODUCT_VERSION = re.compile(r"([A-Za-z][\w.+-]*)/(\d[\w.+-]*)")


def disclosed_versions(value: str) -> list[str]:
    """Product/version tokens of a Server or X-Powered-By value."""
    return [f"{m.group(1)}/{m.group(2)}" for m in _PRODUCT_VERSION.finditer(value)]


# -- CMS generator meta ----------------------------------------------------------------

_WORDPRESS = re.compile(r"^\s*WordPress\s+(\d+(?:\.\d+){0,3})\b", re.IGNORECASE)


class _GeneratorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.generators: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        fields = {k.lower(): (v or "") for k, v in attrs}
        if fields.get("name", "").lower() == "generator":
            self.generators.append(fields.get("content", ""))


def generators(html: str) -> list[str]:
    """Contents of every ``<meta name="generator">`` of a page."""
    parser = _GeneratorParser()
    parser.feed(html)
    parser.close()
    return parser.generators


def wordpress_version(html: str) -> str | None:
    """The version WordPress announces in its generator meta, e.g. ``"5.8.1"``."""
    for content in generators(html):
        found = _WORDPRESS.match(content)
        if found:
            return found.group(1)
    return None


# -- security.txt (RFC 9116) -----------------------------------------------------------


def security_txt_contacts(text: str) -> list[str]:
    """``Contact:`` values of a security.txt (RFC 9116 §2.5.3; field names are
    case-insensitive, §2.4)."""
    contacts: list[str] = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "contact" and value.strip():
            contacts.append(value.strip())
    return contacts
