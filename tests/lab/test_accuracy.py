"""The engine against the lab: recall and precision 1.0 for every check id.

The lab (a real process: DNS, TLS, HTTP, SMTP, SMB… on 127.x.y.z) writes its ground
truth; the engine scans every business with every family through the lab's resolver.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from rempart.engine.catalog import CATALOG
from rempart.engine.context import ScanConfig
from rempart.engine.model import Status
from rempart.engine.runner import scan
from rempart.engine.target import parse_target

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def scanned(lab):
    config = ScanConfig(resolver=lab.resolver, ca_files=(lab.ca_file,), lab=True, timeout=3.0)
    targets = [parse_target(b["domain"]) for b in lab.truth["businesses"]]
    results = asyncio.run(scan(targets, config))
    observed_fail: set[tuple[str, str]] = set()
    observed_pass: set[tuple[str, str]] = set()
    errors: dict[tuple[str, str], list[str]] = defaultdict(list)
    for result in results:
        for o in result.observations:
            key = (result.target, o.check)
            if o.status is Status.FAIL:
                observed_fail.add(key)
            elif o.status is Status.PASS:
                observed_pass.add(key)
            elif o.status is Status.ERROR:
                errors[key].append(f"{o.location}: {o.reason}")
    return observed_fail, observed_pass, errors


def _expected(lab, field):
    return {(b["domain"], c) for b in lab.truth["businesses"] for c in b[field]}


@pytest.mark.parametrize("check", sorted(CATALOG))
def test_recall_and_precision_are_one_for(check, lab, scanned):
    observed_fail, _, errors = scanned
    expected = {k for k in _expected(lab, "fail") if k[1] == check}
    got = {k for k in observed_fail if k[1] == check}
    missed = sorted(expected - got)
    false_alarms = sorted(got - expected)
    assert expected, f"the lab has no failing case for {check}"
    detail = {k: errors.get(k) for k in missed}
    assert not missed, f"recall < 1 for {check}: missed {missed} (errors: {detail})"
    assert not false_alarms, f"precision < 1 for {check}: false alarms {false_alarms}"


@pytest.mark.parametrize("check", sorted(CATALOG))
def test_expected_passes_are_seen_as_passes_for(check, lab, scanned):
    _, observed_pass, errors = scanned
    expected = {k for k in _expected(lab, "pass") if k[1] == check}
    assert expected, f"the lab has no passing case for {check}"
    unseen = sorted(expected - observed_pass)
    assert not unseen, (
        f"{check}: no pass observed for {unseen} (errors: { {k: errors.get(k) for k in unseen} })"
    )


def test_a_healthy_lab_gives_no_error(scanned):
    _, _, errors = scanned
    assert not errors, f"{len(errors)} errors, first: {list(errors.items())[:5]}"
