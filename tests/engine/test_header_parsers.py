"""The pure header parsers: text in, verdict out."""

import pytest

from rempart.engine import software
from rempart.engine.parsers import headers as hp

# -- HSTS -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "max_age", "subdomains", "preload"),
    [
        ("max-age=31536000", 31536000, False, False),
        ("max-age=31536000; includeSubDomains; preload", 31536000, True, True),
        ('max-age="86400"', 86400, False, False),
        ("MAX-AGE = 600 ; INCLUDESUBDOMAINS", 600, True, False),
        ("max-age=0", 0, False, False),
        ("includeSubDomains", None, True, False),
        ("max-age=abc", None, False, False),
        ("max-age=-5", None, False, False),
        ("max-age=10; max-age=20", None, False, False),  # duplicate directive: void (§6.1)
        ("", None, False, False),
        (";;max-age=5;;", 5, False, False),
    ],
)
def test_hsts_parses_max_age_and_flags(
    value: str, max_age: int | None, subdomains: bool, preload: bool
) -> None:
    parsed = hp.parse_hsts(value)
    assert parsed.max_age == max_age
    assert parsed.include_subdomains is subdomains
    assert parsed.preload is preload


# -- CSP --------------------------------------------------------------------------------


def test_csp_splits_directives_and_keeps_the_first_occurrence() -> None:
    policy = hp.parse_csp("default-src 'self'; SCRIPT-SRC a.fr b.fr;; script-src *; img-src")
    assert policy == {
        "default-src": ("'self'",),
        "script-src": ("a.fr", "b.fr"),
        "img-src": (),
    }


@pytest.mark.parametrize(
    ("value", "unsafe"),
    [
        ("default-src 'self'", False),
        ("default-src 'self'; frame-ancestors 'none'", False),
        ("default-src 'self'; script-src 'self' 'unsafe-inline'", True),
        ("default-src 'self'; script-src 'self' 'UNSAFE-EVAL'", True),
        ("default-src 'self' 'unsafe-inline'", True),  # default-src is script-src's fallback
        ("default-src 'unsafe-inline'; script-src 'self'", False),  # script-src overrides
        ("default-src *", True),
        ("default-src 'self'; script-src https:", True),
        ("default-src 'self'; script-src http:", True),
        ("default-src 'self'; object-src *", True),
        ("default-src 'self'; script-src data:", True),
        ("default-src 'self'; img-src *", False),  # images from anywhere are harmless
        ("default-src 'self'; style-src 'unsafe-inline'", False),
        ("default-src 'self'; script-src 'self' https://cdn.example.fr", False),
    ],
)
def test_csp_unsafe_sources(value: str, unsafe: bool) -> None:
    assert bool(hp.csp_unsafe_reasons(hp.parse_csp(value))) is unsafe


def test_csp_unsafe_reasons_name_the_directive() -> None:
    reasons = hp.csp_unsafe_reasons(hp.parse_csp("script-src 'unsafe-inline' *"))
    assert reasons == [
        "script-src allows 'unsafe-inline'",
        "script-src allows any source (*)",
    ]


# -- framing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xfo", "csp", "protected"),
    [
        ("DENY", None, True),
        ("sameorigin", None, True),
        (" Deny ", None, True),
        ("ALLOW-FROM https://a.fr", None, False),  # obsolete, ignored by browsers
        (None, "default-src 'self'; frame-ancestors 'none'", True),
        (None, "default-src 'self'", False),
        (None, None, False),
        ("", None, False),
    ],
)
def test_frame_protection(xfo: str | None, csp: str | None, protected: bool) -> None:
    policy = hp.parse_csp(csp) if csp is not None else None
    assert hp.frame_protected(xfo, policy) is protected


# -- cookies ----------------------------------------------------------------------------


def test_set_cookie_attributes() -> None:
    cookie = hp.parse_set_cookie("sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax")
    assert cookie == hp.SetCookie("sessionid", secure=True, httponly=True, persistent=False)


def test_set_cookie_with_expiry_is_persistent() -> None:
    cookie = hp.parse_set_cookie("theme=dark; Max-Age=3600; secure")
    assert cookie is not None
    assert cookie.persistent and cookie.secure and not cookie.httponly
    assert not cookie.is_session


@pytest.mark.parametrize("value", ["", "novalue", "=abc", ";Secure"])
def test_set_cookie_without_a_name_is_ignored(value: str) -> None:
    assert hp.parse_set_cookie(value) is None


@pytest.mark.parametrize(
    ("name", "session"),
    [
        ("sessionid", True),
        ("PHPSESSID", True),
        ("JSESSIONID", True),
        ("ASP.NET_SessionId", True),
        ("connect.sid", True),
        ("wp_sess_42", True),
        ("theme", False),
        ("lang", False),
    ],
)
def test_session_cookie_names(name: str, session: bool) -> None:
    assert hp.looks_like_session_name(name) is session


@pytest.mark.parametrize(
    ("value", "over_https", "problems"),
    [
        ("sessionid=1; Secure; HttpOnly", True, []),
        ("sessionid=1; HttpOnly", True, ["sessionid lacks Secure"]),
        ("sessionid=1; HttpOnly", False, []),  # Secure is only asked over HTTPS
        ("PHPSESSID=1; Secure", True, ["PHPSESSID (session) lacks HttpOnly"]),
        ("theme=dark; Secure; Expires=Wed, 21 Oct 2099 07:28:00 GMT", True, []),
        ("cart=1; Secure", True, ["cart (session) lacks HttpOnly"]),  # no expiry: session
    ],
)
def test_cookie_problems(value: str, over_https: bool, problems: list[str]) -> None:
    cookie = hp.parse_set_cookie(value)
    assert cookie is not None
    assert hp.cookie_problems(cookie, over_https) == problems


# -- Referrer-Policy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("strict-origin-when-cross-origin", True),
        ("no-referrer", True),
        ("same-origin", True),
        ("Strict-Origin", True),
        ("unsafe-url", False),
        ("no-referrer-when-downgrade", False),
        ("no-referrer, unsafe-url", False),  # the last known token wins
        ("unsafe-url, strict-origin", True),
        ("strict-origin, made-up-policy", True),  # unknown tokens are skipped
        ("made-up-policy", False),
        ("", False),
        (None, False),
    ],
)
def test_referrer_policy(value: str | None, safe: bool) -> None:
    assert hp.referrer_policy_safe(value) is safe


# -- version disclosure -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "disclosed"),
    [
        ("nginx", []),
        ("Apache", []),
        ("cloudflare", []),
        ("nginx/1.18.0", ["nginx/1.18.0"]),
        ("Apache/2.4.41 (Ubuntu)", ["Apache/2.4.41"]),
        ("PHP/7.4.3", ["PHP/7.4.3"]),
        ("Microsoft-IIS/10.0", ["Microsoft-IIS/10.0"]),
        ("Apache/2.4.41 (Unix) OpenSSL/1.1.1k", ["Apache/2.4.41", "OpenSSL/1.1.1k"]),
        ("ASP.NET", []),
        ("Apache/ (hidden)", []),
    ],
)
def test_version_disclosure(value: str, disclosed: list[str]) -> None:
    assert hp.disclosed_versions(value) == disclosed


# -- WordPress generator ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "version"),
    [
        ('<meta name="generator" content="WordPress 5.8.1">', "5.8.1"),
        ("<META NAME='Generator' CONTENT='WordPress 6.4'/>", "6.4"),
        ('<meta content="WordPress 4.9.8" name="generator">', "4.9.8"),
        ('<meta name="generator" content="WordPress 6.0.2 - https://wordpress.org">', "6.0.2"),
        ('<meta name="generator" content="Joomla! - Open Source">', None),
        ('<meta name="description" content="WordPress 5.8.1">', None),
        ('<meta name="generator" content="WordPress">', None),
        ("<p>WordPress 5.8.1</p>", None),
        ("", None),
        (
            '<meta name="generator" content="Hugo 0.1"><meta name="generator" '
            'content="WordPress 5.2">',
            "5.2",
        ),
    ],
)
def test_wordpress_generator(page: str, version: str | None) -> None:
    assert hp.wordpress_version(page) == version


def test_a_broken_page_does_not_break_the_parser() -> None:
    assert hp.wordpress_version("<meta name=generator content='WordPress 5.1'<<<>") in (
        None,
        "5.1",
    )


# -- security.txt -----------------------------------------------------------------------


def test_security_txt_contacts() -> None:
    text = "# comment\nContact: mailto:a@b.fr\ncontact:https://b.fr/sec\nExpires: 2099-01-01\n"
    assert hp.security_txt_contacts(text) == ["mailto:a@b.fr", "https://b.fr/sec"]
    assert hp.security_txt_contacts("Expires: 2099\nContact:\n") == []


# -- WordPress ranges (data/software/wordpress.toml, through the shared matcher) ---------


@pytest.mark.parametrize(
    ("version", "cves"),
    [
        ("4.9.8", {"CVE-2019-8942", "CVE-2022-21661", "CVE-2022-43497"}),
        ("4.9.9", {"CVE-2022-21661", "CVE-2022-43497"}),
        ("5.0", {"CVE-2019-8942", "CVE-2022-21661", "CVE-2022-43497"}),
        ("5.0.1", {"CVE-2022-21661", "CVE-2022-43497"}),
        ("5.8.1", {"CVE-2022-21661", "CVE-2022-43497"}),
        ("5.8.2", {"CVE-2022-21661", "CVE-2022-43497"}),
        ("5.8.3", {"CVE-2022-43497"}),
        ("6.0.2", {"CVE-2022-43497"}),
        ("6.0.3", set()),
        ("6.1", set()),
        ("6.5.2", set()),
        ("unknown", set()),
    ],
)
def test_wordpress_ranges(version: str, cves: set[str]) -> None:
    found = {cve for a in software.match("wordpress", version) for cve in a.cves}
    assert cves <= found
    if not cves:
        assert found == set()
    if "CVE-2019-8942" not in cves:
        assert "CVE-2019-8942" not in found
    if "CVE-2022-21661" not in cves:
        assert "CVE-2022-21661" not in found
