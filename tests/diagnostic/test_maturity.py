"""The maturity index on the example questionnaire: gaps, red flags, evidence, context."""

from __future__ import annotations

import pytest

from rempart.diagnostic.maturity import applicable_questions, level_of, score, shown_questions
from tests.diagnostic.support import BAKER, BEST, example, finding


def test_best_practice_everywhere_scores_five_advanced_and_complete() -> None:
    maturity = score(example(), BEST)
    assert (maturity.index, maturity.raw, maturity.level) == (5.0, 5.0, "advanced")
    assert maturity.complete
    assert maturity.red_flags == () and maturity.contradictions == ()


def test_a_red_flag_caps_a_high_average_and_its_theme() -> None:
    maturity = score(example(), {**BEST, "accounts.admin_rights": "everyone"})
    assert maturity.raw is not None and maturity.raw >= 4.0  # the average still looks good
    assert maturity.index == 2.0
    accounts = next(theme for theme in maturity.themes if theme.theme == "accounts")
    assert accounts.raw == 1.3 and accounts.index == 1.0  # 5·(0+3)/12 = 1.25 → 1.3, capped
    assert accounts.capped_by == ("everyone-admin",)
    assert [hit.by_answer for hit in maturity.red_flags] == ["accounts.admin_rights"]


def test_several_red_flags_apply_the_lowest_cap() -> None:
    answers = {**BEST, "accounts.admin_rights": "everyone", "network.remote_exposed": "yes"}
    maturity = score(example(), answers)
    assert [hit.flag.id for hit in maturity.red_flags] == ["everyone-admin", "rdp-open"]
    assert maturity.index == 2.0  # min(raw, 2.0, 2.5)


def test_a_red_flag_raised_by_evidence_alone_caps_its_theme_and_the_whole() -> None:
    rdp = finding("f1", "net.exposed.rdp", "high")
    answers = {**BEST, "network.remote_exposed": "vpn"}
    maturity = score(example(), answers, [rdp])
    hit = maturity.red_flags[0]
    assert (hit.flag.id, hit.by_answer, hit.by_findings) == ("rdp-open", "", ("f1",))
    network = next(theme for theme in maturity.themes if theme.theme == "network")
    assert network.index == 0.0  # vpn contradicted: worth 0, and capped at 1.0 anyway
    assert maturity.index == 2.5


def test_i_dont_know_lowers_the_index_compared_with_yes() -> None:
    sure = score(example(), BAKER)
    unsure = score(example(), {**BAKER, "backup.exists": "dont_know"})
    assert unsure.index is not None and sure.index is not None
    assert unsure.index < sure.index
    assert (unsure.answered, unsure.unknown) == (sure.answered, 1)
    backup = next(theme for theme in unsure.themes if theme.theme == "backup")
    assert backup.unknown == 1


def test_i_dont_know_scores_like_the_worst_answer() -> None:
    unsure = score(example(), {**BAKER, "backup.exists": "dont_know"})
    worst = score(example(), {**BAKER, "backup.exists": "no"})
    assert unsure.raw == worst.raw


def test_unanswered_questions_are_never_counted_as_yes_and_make_the_result_partial() -> None:
    answers = {key: value for key, value in BEST.items() if key != "backup.offline"}
    partial = score(example(), answers)
    worst = score(example(), {**BEST, "backup.offline": "partly"})
    assert partial.raw is not None and worst.raw is not None
    assert partial.raw < worst.raw  # the unanswered question scores 0, below "partly"
    assert not partial.complete
    assert (partial.applicable, partial.answered) == (9, 8)
    assert partial.red_flags == ()  # no answer raises no flag: the plan asks to finish instead


def test_nothing_answered_has_a_zero_index_and_is_not_complete() -> None:
    maturity = score(example(), {})
    assert (maturity.index, maturity.level, maturity.answered) == (0.0, "critical", 0)
    assert not maturity.complete


def test_a_context_answer_switches_questions_off() -> None:
    without_servers = {**BEST, "ctx.servers": "none"}
    ids = [q.id for q in applicable_questions(example(), without_servers)]
    assert "updates.servers" not in ids
    assert "updates.servers" in [q.id for q in applicable_questions(example(), BEST)]
    # A bad answer to a switched-off question no longer counts.
    assert score(example(), {**without_servers, "updates.servers": "no"}).index == 5.0
    assert score(example(), {**BEST, "updates.servers": "no"}).raw == 4.5


def test_switched_off_answers_raise_no_red_flag() -> None:
    answers = {**BEST, "ctx.website": "none", "web.https": "no"}
    assert [q.id for q in shown_questions(example(), answers) if q.theme == "web"] == []
    assert score(example(), answers).index == 5.0


def test_a_theme_where_nothing_applies_has_no_index() -> None:
    maturity = score(example(), {**BEST, "ctx.website": "none"})
    web = next(theme for theme in maturity.themes if theme.theme == "web")
    assert (web.index, web.raw, web.applicable) == (None, None, 0)
    assert "context" not in [theme.theme for theme in maturity.themes]


def test_not_applicable_leaves_the_question_out() -> None:
    with_na = score(example(), {**BEST, "web.hosting_updates": "na"})
    assert with_na.applicable == 8 and with_na.index == 5.0
    ids = [q.id for q in applicable_questions(example(), {**BEST, "web.hosting_updates": "na"})]
    assert "web.hosting_updates" not in ids


def test_an_answer_that_is_not_a_choice_counts_as_unanswered() -> None:
    maturity = score(example(), {**BEST, "backup.exists": "maybe", "web.https": "na"})
    assert (maturity.applicable, maturity.answered) == (9, 7)


def test_a_contradicted_answer_scores_the_trusted_value() -> None:
    kev = finding("k1", "net.service.known_exploited", "critical", known_exploited=True)
    maturity = score(example(), BEST, [kev])
    (hit,) = maturity.contradictions
    assert (hit.rule.id, hit.answer, hit.findings) == ("servers-vs-kev", "yes", ("k1",))
    updates = next(theme for theme in maturity.themes if theme.theme == "updates")
    assert updates.raw == 3.7  # 5·(3·3 + 2·1)/15: "yes" worth the trusted 1, not 3
    assert updates.index == 1.5  # and the known-exploited red flag caps it


def test_a_prefix_pattern_matches_the_family_of_checks() -> None:
    answers = {**BEST}
    rdp = finding("f9", "net.exposed.rdp", "high")
    assert [hit.rule.id for hit in score(example(), answers, [rdp]).contradictions] == [
        "remote-vs-rdp"
    ]
    unrelated = finding("f8", "net.exposed.rdpx", "high")  # exact ids do not match a longer one
    assert score(example(), answers, [unrelated]).contradictions == ()


def test_an_answer_the_evidence_does_not_contradict_keeps_its_value() -> None:
    csp = finding("c1", "web.csp.missing", "low")
    assert score(example(), BEST, [csp]).index == 5.0


def test_an_honest_bad_answer_is_not_a_contradiction() -> None:
    rdp = finding("f1", "net.exposed.rdp", "high")
    maturity = score(example(), {**BEST, "network.remote_exposed": "yes"}, [rdp])
    assert maturity.contradictions == ()
    hit = maturity.red_flags[0]
    assert (hit.by_answer, hit.by_findings) == ("network.remote_exposed", ("f1",))


@pytest.mark.parametrize(
    ("index", "level"),
    [
        (None, ""),
        (0.0, "critical"),
        (0.9, "critical"),
        (1.0, "fragile"),
        (1.9, "fragile"),
        (2.0, "basic"),
        (2.9, "basic"),
        (3.0, "solid"),
        (3.9, "solid"),
        (4.0, "advanced"),
        (5.0, "advanced"),
    ],
)
def test_levels(index: float | None, level: str) -> None:
    assert level_of(index) == level
