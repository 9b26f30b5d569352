"""The action plan: one ranked list of answer gaps, "find out" items and open findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from rempart.diagnostic.maturity import score
from rempart.diagnostic.model import EvidenceFinding, PlannedAction
from rempart.diagnostic.plan import FINDING_COST, WEEK, build_plan, finding_risk, this_week
from tests.diagnostic.support import BAKER, BEST, example, finding

SMB = finding("smb", "net.exposed.smb", "high", known_exploited=True, effort="hours")
CSP = finding("csp", "web.csp.missing", "low", effort="hours")
SECURITY_TXT = finding("sectxt", "web.security_txt.missing", "info", effort="minutes")


def plan_for(
    answers: Mapping[str, str], findings: Sequence[EvidenceFinding] = (), lang: str = "en"
) -> list[PlannedAction]:
    maturity = score(example(), answers, findings)
    return build_plan(example(), answers, maturity, findings, lang)


def keys(plan: Sequence[PlannedAction]) -> list[str]:
    return [item.key for item in plan]


def test_an_exposed_known_exploited_smb_outranks_a_missing_csp() -> None:
    plan = plan_for(BEST, [CSP, SMB])
    assert keys(plan) == ["f:smb", "q:updates.servers", "f:csp"]
    assert plan[0].known_exploited and plan[0].red_flag  # it raised known-exploited-exposed
    assert plan[0].priority > plan[-1].priority


def test_an_absent_offline_backup_outranks_a_missing_security_txt() -> None:
    plan = plan_for({**BEST, "backup.offline": "no"}, [SECURITY_TXT])
    assert keys(plan) == ["q:backup.offline", "f:sectxt"]
    backup = plan[0]
    assert backup.red_flag and backup.severity == "critical"
    assert (backup.who, backup.effort, backup.cost) == ("it_provider", "hours", "low")
    assert backup.title == "Keep an offline copy"
    assert backup.measures == ("fr-hygiene.37", "uk-ce.5", "nis2-21.c")


def test_a_red_flag_doubles_the_risk_of_an_answer() -> None:
    flagged = plan_for({**BEST, "backup.offline": "no"})[0]
    plain = plan_for({**BEST, "backup.exists": "no"})[0]  # same weight and value, no flag
    assert plain.key == "q:backup.exists" and not plain.red_flag
    # backup.exists takes days (divisor 1.8), backup.offline hours (1.3): compare risks.
    assert round(flagged.priority * 1.3, 1) == 2 * round(plain.priority * 1.8, 1)


def test_the_first_five_are_the_top_five() -> None:
    answers = {
        **BEST,
        "backup.offline": "no",
        "accounts.admin_rights": "everyone",
        "accounts.password_manager": "no",
        "updates.workstations": "monthly",
        "web.https": "no",
        "web.hosting_updates": "dont_know",
    }
    plan = plan_for(answers, [CSP, SMB, SECURITY_TXT])
    assert len(plan) > WEEK
    week = this_week(plan)
    assert week == plan[:WEEK]
    assert min(item.priority for item in week) >= max(item.priority for item in plan[WEEK:])
    priorities = [item.priority for item in plan]
    assert priorities == sorted(priorities, reverse=True)


def test_a_fixed_finding_leaves_the_plan() -> None:
    assert "f:csp" in keys(plan_for(BEST, [CSP, SECURITY_TXT]))
    assert keys(plan_for(BEST, [SECURITY_TXT])) == ["f:sectxt"]


def test_an_improved_answer_leaves_the_plan() -> None:
    assert keys(plan_for({**BEST, "updates.workstations": "monthly"})) == ["q:updates.workstations"]
    assert plan_for(BEST) == []


def test_i_dont_know_gives_a_find_out_item_instead_of_a_gap() -> None:
    plan = plan_for({**BAKER, "backup.exists": "dont_know"})
    item = next(item for item in plan if item.question == "backup.exists")
    assert item.key == "k:backup.exists" and item.source == "find_out"
    assert item.title == "Find out: Do you back up your data?"
    assert (item.who, item.effort, item.cost) == ("it_provider", "minutes", "free")
    assert item.priority == 8.0  # 0.8 × 10 · (3/3) · (3/3), minutes
    assert "q:backup.exists" not in keys(plan)


def test_the_find_out_item_speaks_french() -> None:
    assert plan_for({**BAKER, "backup.exists": "dont_know"}, lang="en-GB")[0].title.startswith(
        "Find out"
    )
    plan = plan_for({**BAKER, "backup.exists": "dont_know"}, lang="fr_FR")
    item = next(item for item in plan if item.key == "k:backup.exists")
    assert item.title == "À vérifier\u00a0: Sauvegardez-vous vos données\u00a0?"
    assert item.what_to_do.startswith("1. ")
    assert item.why == "Sans sauvegarde, un incident efface tout."


def test_unanswered_questions_give_no_item() -> None:
    answers = {key: value for key, value in BAKER.items() if key != "accounts.admin_rights"}
    assert "q:accounts.admin_rights" not in keys(plan_for(answers))
    assert "q:accounts.admin_rights" in keys(plan_for(BAKER))


def test_a_contradicted_answer_becomes_a_gap_carrying_the_message() -> None:
    rdp = finding("rdp", "net.exposed.rdp", "high", effort="hours")
    plan = plan_for(BEST, [rdp], lang="fr")
    gap = next(item for item in plan if item.key == "q:network.remote_exposed")
    assert gap.contradiction.startswith("Vous indiquez que le bureau à distance est fermé")
    assert gap.title == "Fermer le bureau à distance"
    assert next(item for item in plan if item.key == "f:rdp").red_flag


def test_finding_risk_follows_the_documented_factors() -> None:
    base = finding("x", "net.exposed.smb", "high", exposed=False)
    assert finding_risk(base) == 7
    kev_ransomware = finding(
        "x", "net.exposed.smb", "high", known_exploited=True, ransomware=True, epss=0.5
    )
    assert finding_risk(kev_ransomware) == Fraction("28.95")  # (7 × 2 × 1.2 + 5 × 0.5) × 1.5


def test_a_finding_item_carries_its_cost_band_and_texts() -> None:
    sbom = finding(
        "lib",
        "sbom.component",
        "medium",
        who="specialist",
        effort="days",
        exposed=False,
        why="An old library.",
        what_to_do="1. Upgrade it.",
    )
    (item,) = plan_for(BEST, [sbom])
    assert (item.cost, item.severity, item.finding) == ("high", "medium", "lib")
    assert (item.why, item.what_to_do) == ("An old library.", "1. Upgrade it.")
    assert item.priority == 2.22  # 4 / 1.8
    assert all(set(row) == {"minutes", "hours", "days", "weeks"} for row in FINDING_COST.values())


def test_ties_put_red_flags_and_known_exploited_then_severity_then_key_first() -> None:
    a = finding("a", "net.exposed.ftp", "medium", exposed=False, effort="minutes")
    b = finding(
        "b", "web.csp.missing", "low", exposed=False, effort="minutes", known_exploited=True
    )
    # a: 4; b: 2 × 2 = 4 and raises the known-exploited red flag; c: 4, same severity as a.
    c = finding("c", "web.csp.missing", "medium", exposed=False, effort="minutes")
    d = finding("0", "web.csp.missing", "low", exposed=False, effort="minutes", epss=0.4)
    # d: 2 + 5 × 0.4 = 4, a lower severity despite the first key.
    plan = plan_for({**BEST, "ctx.servers": "none"}, [c, d, a, b])
    assert [item.priority for item in plan] == [4.0, 4.0, 4.0, 4.0]
    assert keys(plan) == ["f:b", "f:a", "f:c", "f:0"]
