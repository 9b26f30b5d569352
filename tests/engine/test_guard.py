import pytest

from rempart.engine.guard import Guard, GuardRefusal


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "special-use"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("fd00:ec2::254", "special-use"),
    ],
)
def test_the_guard_refuses_non_public_addresses(address, why):
    with pytest.raises(GuardRefusal, match=why):
        Guard().check(address)


def test_public_addresses_pass():
    assert str(Guard().check("8.8.8.8")) == "8.8.8.8"
    assert Guard().allows("2001:4860:4860::8888")


def test_lab_mode_opens_127_slash_8_and_nothing_else():
    lab = Guard(lab=True)
    assert lab.allows("127.20.0.1")
    assert lab.allows("127.53.0.1")
    for other in ("::1", "10.0.0.1", "192.168.0.1", "169.254.169.254", "::ffff:10.0.0.1"):
        assert not lab.allows(other), other
    assert lab.allows("::ffff:127.0.0.1")


def test_a_refusal_outside_lab_mode_says_how_the_lab_is_opened():
    with pytest.raises(GuardRefusal, match="lab mode allows 127.0.0.0/8 only"):
        Guard().check("127.0.0.1")
