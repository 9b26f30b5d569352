"""The DMARC parser (RFC 7489 §6.3-6.4)."""

from __future__ import annotations

import pytest

from rempart.engine.parsers.dmarc import DmarcSyntaxError, find_dmarc, is_dmarc, parse_dmarc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=DMARC1; p=reject", True),
        ("v=DMARC1", True),
        ("v = DMARC1 ; p=none", True),
        ("v=DMARC2; p=reject", False),
        ("v=dmarc1; p=reject", False),  # the version literal is case-sensitive (%x44 …)
        ("p=reject; v=DMARC1", False),  # v must come first
        ("v=spf1 -all", False),
    ],
)
def test_a_dmarc_record_starts_with_v_dmarc1(text: str, expected: bool) -> None:
    assert is_dmarc(text) is expected


def test_other_txt_records_at_dmarc_are_discarded() -> None:
    assert find_dmarc(["hello", "v=DMARC1; p=none"]) == ["v=DMARC1; p=none"]


def test_a_full_record_parses() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=Reject; sp=quarantine; pct=100; rua=mailto:a@example.fr,"
        "mailto:b@example.net!10m; ruf=mailto:f@example.fr; adkim=s; aspf=r; fo=1:d; ri=86400;"
    )
    assert record.policy == "reject"
    assert record.subdomain_policy == "quarantine"
    assert record.pct == 100
    assert record.rua == ("mailto:a@example.fr", "mailto:b@example.net!10m")
    assert record.ruf == ("mailto:f@example.fr",)
    assert record.enforcing


def test_defaults_apply_when_tags_are_absent() -> None:
    record = parse_dmarc("v=DMARC1;p=none")
    assert (record.policy, record.pct, record.rua, record.subdomain_policy) == (
        "none",
        100,
        (),
        None,
    )
    assert not record.enforcing


def test_a_partial_pct_is_not_enforcing() -> None:
    assert not parse_dmarc("v=DMARC1; p=quarantine; pct=50").enforcing


def test_unknown_tags_are_ignored() -> None:
    assert parse_dmarc("v=DMARC1; p=reject; np=reject; future=1").policy == "reject"


@pytest.mark.parametrize(
    "text",
    [
        "v=DMARC1",  # no policy
        "v=DMARC1; rua=mailto:a@example.fr",
        "v=DMARC1; p=bogus",
        "v=DMARC1; p=",
        "v=DMARC1; p=reject; sp=maybe",
        "v=DMARC1; p=reject; pct=150",
        "v=DMARC1; p=reject; pct=-1",
        "v=DMARC1; p=reject; pct=half",
        "v=DMARC1; p=reject; adkim=x",
        "v=DMARC1; p=reject; aspf=strict",
        "v=DMARC1; p=reject; fo=2",
        "v=DMARC1; p=reject; ri=soon",
        "v=DMARC1; p=reject; rua=a@example.fr",  # not a URI
        "v=DMARC1; p=reject; rua=mailto:a@example.fr!big",
        "v=DMARC1; p=reject; p=none",  # duplicate tag
        "v=DMARC1; p reject",  # no '='
        "v=DMARC1; 1p=reject",
        "hello",
    ],
)
def test_invalid_records_are_rejected(text: str) -> None:
    with pytest.raises(DmarcSyntaxError):
        parse_dmarc(text)
