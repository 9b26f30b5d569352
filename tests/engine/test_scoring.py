from rempart.engine.model import Observation, Severity, Status
from rempart.engine.scoring import grade, top_problems


def fail(check, severity):
    return Observation(check, Status.FAIL, severity, "x")


def test_no_failure_is_an_a():
    assert grade([Observation("dns.caa", Status.PASS, Severity.INFO, "x")]).letter == "A"


def test_one_critical_failure_caps_the_grade_at_d_whatever_else():
    assert grade([fail("net.smb.v1", Severity.CRITICAL)]).letter == "D"


def test_a_high_failure_caps_at_c_and_lows_lower_the_score():
    assert grade([fail("mail.spf.missing", Severity.HIGH)]).letter == "C"
    g = grade([fail(f"web.x{i}", Severity.LOW) for i in range(6)])
    assert (g.letter, g.score) == ("B", 88)


def test_errors_mark_the_grade_incomplete_and_never_count_as_pass():
    obs = [Observation("tls.missing", Status.ERROR, Severity.HIGH, "x", reason="timeout")]
    assert grade(obs).incomplete


def test_top_problems_are_worst_first_one_per_check():
    obs = [
        fail("web.csp.missing", Severity.LOW),
        fail("net.smb.v1", Severity.CRITICAL),
        fail("net.smb.v1", Severity.CRITICAL),
    ]
    assert [o.check for o in top_problems(obs)] == ["net.smb.v1", "web.csp.missing"]
