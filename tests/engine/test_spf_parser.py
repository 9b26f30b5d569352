"""The SPF parser (RFC 7208): what is a record, what is a syntax error, what is permissive."""

from __future__ import annotations

import pytest

from rempart.engine.parsers.spf import (
    Mechanism,
    SpfSyntaxError,
    find_spf,
    is_spf,
    judge_all,
    parse_spf,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=spf1 -all", True),
        ("v=spf1", True),
        ("V=SPF1 mx -all", True),
        ("v=spf10 -all", False),
        ("v=spf1-all", False),
        ("spf2.0/pra -all", False),
        ("google-site-verification=abc", False),
        (" v=spf1 -all", False),
    ],
)
def test_an_spf_record_starts_with_its_version(text: str, expected: bool) -> None:
    assert is_spf(text) is expected


def test_only_spf_records_are_kept_among_txt_records() -> None:
    assert find_spf(["v=spf1 -all", "ms=123", "v=spf1 mx ~all"]) == [
        "v=spf1 -all",
        "v=spf1 mx ~all",
    ]


def test_a_good_record_parses_into_mechanisms_and_modifiers() -> None:
    record = parse_spf(
        "v=spf1 mx a:mail.example.fr/24 ip4:192.0.2.0/24 ip6:2001:db8::/32 "
        "include:_spf.example.net ~all exp=explain.example.fr"
    )
    assert [m.name for m in record.mechanisms] == ["mx", "a", "ip4", "ip6", "include", "all"]
    assert record.mechanisms[1] == Mechanism("+", "a", "mail.example.fr", "/24")
    assert record.mechanisms[2] == Mechanism("+", "ip4", "192.0.2.0", "/24")
    assert record.all_qualifier == "~"
    assert record.modifiers == (("exp", "explain.example.fr"),)
    assert record.lookup_terms == 3  # mx, a, include
    assert record.followed_domains == ("_spf.example.net",)


def test_several_spaces_and_case_are_tolerated() -> None:
    record = parse_spf("v=spf1  MX   -ALL")
    assert [m.name for m in record.mechanisms] == ["mx", "all"]
    assert record.all_qualifier == "-"


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 mx ip4:999.1.1.1 -all",  # not an address
        "v=spf1 ip4:192.0.2.1/33 -all",  # prefix too long
        "v=spf1 ip4:192.0.2.1/024 -all",  # leading zero (§5.6)
        "v=spf1 ip6:2001:db8::/129 -all",
        "v=spf1 ip6:192.0.2.1 -all",
        "v=spf1 ip4 -all",  # no address
        "v=spf1 a/33 -all",
        "v=spf1 a//129 -all",
        "v=spf1 mx:example.fr/ -all",
        "v=spf1 include -all",  # include needs a domain
        "v=spf1 include: -all",
        "v=spf1 include:nodot -all",
        "v=spf1 include:example.123 -all",
        "v=spf1 exists -all",
        "v=spf1 foo:example.fr -all",  # unknown mechanism
        "v=spf1 mx all:example.fr",  # all takes no argument
        "v=spf1 -all redirect=a.example redirect=b.example",  # duplicate modifier
        "v=spf1 exp=a.example exp=b.example -all",
        "v=spf1 redirect= -all",
        "v=spf1 +redirect=a.example",  # modifiers have no qualifier
        "v=spf1 include:%{z}.example.fr -all",  # unknown macro letter
        "v=spf1 exists:%{i.example.fr -all",  # unclosed macro
        "v=spf1 mx -all \u00e9",  # non-ASCII
        "v=spf1 a:exa mple.fr",
        "v=spf1 *all",
        "not spf",
    ],
)
def test_syntax_errors_are_rejected(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_spf(text)


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 exists:%{i}._spf.%{d} -all",
        "v=spf1 include:%{d2}.example.fr -all",
        "v=spf1 a/24//64 mx/24 ptr ptr:example.fr -all",
        "v=spf1 ip6:::1 ip4:0.0.0.0/0 -all",
        "v=spf1 custom-mod=whatever -all",  # unknown modifiers are ignored (§6)
        "v=spf1 redirect=_spf.example.fr.",
        "v=spf1 include:_spf.google.com ~all",
    ],
)
def test_valid_less_common_forms_parse(text: str) -> None:
    parse_spf(text)


def test_lookup_terms_count_every_querying_term_and_redirect() -> None:
    record = parse_spf(
        "v=spf1 a mx ptr exists:x.example.fr include:y.example.fr "
        "ip4:192.0.2.1 redirect=z.example.fr"
    )
    assert record.lookup_terms == 6


def test_redirect_is_followed_only_without_all() -> None:
    assert parse_spf("v=spf1 redirect=z.example.fr").followed_domains == ("z.example.fr",)
    assert parse_spf("v=spf1 -all redirect=z.example.fr").followed_domains == ()


def test_macro_includes_cannot_be_followed() -> None:
    assert parse_spf("v=spf1 include:%{d}.example.fr -all").followed_domains == ()


@pytest.mark.parametrize(
    ("text", "lockdown"),
    [
        ("v=spf1 -all", True),
        ("V=SPF1  -ALL", True),
        ("v=spf1 ~all", False),
        ("v=spf1 mx -all", False),
        ("v=spf1 -all exp=x.example.fr", False),
    ],
)
def test_a_lockdown_is_exactly_minus_all(text: str, lockdown: bool) -> None:
    assert parse_spf(text).is_lockdown is lockdown


@pytest.mark.parametrize(
    ("text", "permissive", "severity"),
    [
        ("v=spf1 mx +all", True, "high"),
        ("v=spf1 mx all", True, "high"),  # the default qualifier is "+"
        ("v=spf1 mx ?all", True, "medium"),
        ("v=spf1 mx", True, "medium"),
        ("v=spf1 mx ~all", False, ""),
        ("v=spf1 mx -all", False, ""),
        ("v=spf1 -all +all", False, ""),  # the first "all" ends evaluation
    ],
)
def test_the_final_all_decides_permissiveness(text: str, permissive: bool, severity: str) -> None:
    verdict = judge_all(parse_spf(text).all_qualifier)
    assert verdict.permissive is permissive
    assert verdict.severity == severity
