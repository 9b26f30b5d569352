import pytest

from rempart.engine.target import TargetError, TargetKind, parse_target, parse_target_list


@pytest.mark.parametrize(
    ("text", "kind", "name", "port"),
    [
        ("Example.FR.", TargetKind.DOMAIN, "example.fr", None),
        ("boulangerie-12.lab", TargetKind.DOMAIN, "boulangerie-12.lab", None),
        ("mail.example.fr:25", TargetKind.HOST, "mail.example.fr", 25),
        ("192.0.2.7", TargetKind.HOST, "192.0.2.7", None),
        ("[2001:db8::1]:443", TargetKind.HOST, "2001:db8::1", 443),
        ("https://www.example.fr/contact", TargetKind.URL, "www.example.fr", None),
        ("http://127.20.0.1:8080/", TargetKind.URL, "127.20.0.1", 8080),
        ("café.fr", TargetKind.DOMAIN, "xn--caf-dma.fr", None),
    ],
)
def test_a_valid_target_is_normalised(text, kind, name, port):
    target = parse_target(text)
    assert (target.kind, target.name, target.port) == (kind, name, port)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("localhost", "fully qualified"),
        ("-bad-.fr", "invalid label"),
        ("ftp://example.fr", "scheme"),
        ("example.fr:99999", "invalid port"),
        ("a b.fr", "spaces"),
        ("x" * 64 + ".fr", "invalid"),
        ("1.2.3.999", "malformed IP"),
        ("https:///nohost", "without a host"),
    ],
)
def test_junk_is_rejected_with_a_reason(text, reason):
    with pytest.raises(TargetError, match=reason):
        parse_target(text)


def test_a_target_list_keeps_unique_targets_in_order_and_reports_junk_lines():
    lines = ["# clients", "a.fr", "", "b.fr  # comment", "A.FR", "not a target!", "b.fr"]
    targets, problems = parse_target_list(lines)
    assert [str(t) for t in targets] == ["a.fr", "b.fr"]
    assert problems == ["line 6: target contains spaces: 'not a target!'"]
