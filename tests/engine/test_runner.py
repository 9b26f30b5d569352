"""The runner's boundary: a family that raises or overruns becomes error observations."""

import asyncio

from rempart.engine import runner
from rempart.engine.catalog import ids_of_family, select
from rempart.engine.context import ScanConfig
from rempart.engine.model import Observation, Severity, Status
from rempart.engine.target import parse_target


async def _raises(target, ctx):
    raise RuntimeError("parser exploded")


async def _sleeps(target, ctx):
    await asyncio.sleep(30)
    return []


async def _passes(target, ctx):
    return [Observation("dns.caa", Status.PASS, Severity.INFO, target.name, '0 issue "x"')]


async def test_a_crashing_family_yields_errors_with_the_reason_and_the_others_go_on(monkeypatch):
    monkeypatch.setattr(runner, "FAMILY_RUNS", {"dns": _passes, "mail": _raises})
    config = ScanConfig(checks=select("dns.caa,mail"))
    [result] = await runner.scan([parse_target("example.fr")], config)
    by_check = {o.check: o for o in result.observations}
    assert by_check["dns.caa"].status is Status.PASS
    assert by_check["dns.caa"].target == "example.fr"
    mail_ids = set(ids_of_family("mail"))
    assert mail_ids <= by_check.keys()
    for check in mail_ids:
        assert by_check[check].status is Status.ERROR
        assert "RuntimeError: parser exploded" in by_check[check].reason


async def test_a_family_that_overruns_its_deadline_is_cut_and_reported(monkeypatch):
    monkeypatch.setattr(runner, "FAMILY_RUNS", {"web": _sleeps})
    config = ScanConfig(checks=select("web.hsts.missing"), family_timeout=0.2)
    [result] = await asyncio.wait_for(runner.scan([parse_target("example.fr")], config), 5)
    [obs] = result.observations
    assert obs.status is Status.ERROR and "did not finish within 0.2 s" in obs.reason


async def test_unselected_checks_are_filtered_and_progress_is_reported(monkeypatch):
    monkeypatch.setattr(runner, "FAMILY_RUNS", {"dns": _passes, "mail": _raises})
    seen = []
    config = ScanConfig(checks=select("mail.mx"))
    targets = [parse_target("a.fr"), parse_target("b.fr")]
    results = await runner.scan(targets, config, lambda d, t, name: seen.append((d, t)))
    assert [[o.check for o in r.observations] for r in results] == [["mail.mx"], ["mail.mx"]]
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
