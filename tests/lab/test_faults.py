"""The engine against the lab's misbehaving hosts (``rempart.lab.faults``).

Whatever a host does — refuse, hang, send junk, loop, serve huge records, point at a
private address, not exist — the scan ends within its timeouts, each "could not tell" is an
error with a reason, and nothing it could not see is reported as a pass.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from rempart.engine.context import ScanConfig
from rempart.engine.model import Status
from rempart.engine.runner import scan
from rempart.engine.target import parse_target
from rempart.lab.faults import FAULT_NAMES

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def fault_results(lab):
    config = ScanConfig(
        resolver=lab.resolver, ca_files=(lab.ca_file,), lab=True, timeout=1.0, retries=0
    )
    began = time.monotonic()
    results = asyncio.run(scan([parse_target(n) for n in FAULT_NAMES], config))
    return {r.target: r for r in results}, time.monotonic() - began


def _by_status(result, prefix=""):
    out: dict[Status, set[str]] = {s: set() for s in Status}
    for o in result.observations:
        if o.check.startswith(prefix):
            out[o.status].add(o.check)
    return out


def test_the_fault_scan_ends_within_its_timeouts(fault_results):
    _, elapsed = fault_results
    assert elapsed < 45


def test_every_error_and_skip_says_why(fault_results):
    results, _ = fault_results
    for result in results.values():
        for o in result.observations:
            if o.status in (Status.ERROR, Status.SKIPPED):
                assert len(o.reason) > 10, o


def test_a_hanging_host_is_never_a_pass_for_what_it_hides(fault_results):
    results, _ = fault_results
    hang = _by_status(results["hang.faults.lab"])
    for check in (
        "mail.starttls.missing",
        "net.smb.v1",
        "net.ftp.anonymous",
        "web.hsts.missing",
        "tls.protocol.tls10",
        "tls.cert.expired",
    ):
        assert check not in hang[Status.PASS], check
        assert check in hang[Status.ERROR], check
    # What can be seen is still reported: the ports are open.
    assert {"net.exposed.smb", "net.exposed.ftp"} <= hang[Status.FAIL]


def test_a_host_sending_garbage_gives_errors_not_passes(fault_results):
    results, _ = fault_results
    garbage = _by_status(results["garbage.faults.lab"])
    for check in ("mail.starttls.missing", "net.smb.v1", "web.xcto.missing", "tls.cert.expired"):
        assert check in garbage[Status.ERROR], check


def test_a_redirect_loop_is_named(fault_results):
    results, _ = fault_results
    reasons = [
        o.reason for o in results["loop.faults.lab"].observations if o.check == "web.xcto.missing"
    ]
    assert reasons and "redirect" in reasons[0].lower()


def test_a_dead_host_is_skipped_or_errored_never_passed_for_services(fault_results):
    results, _ = fault_results
    dead = _by_status(results["dead.faults.lab"])
    assert "mail.starttls.missing" in dead[Status.ERROR]
    assert not dead[Status.PASS] & {"web.hsts.missing", "tls.cert.expired"}


def test_huge_records_are_refused_with_a_reason(fault_results):
    results, _ = fault_results
    huge = results["huge.faults.lab"]
    spf = [o for o in huge.observations if o.check == "mail.spf.missing"]
    assert spf and spf[0].status is Status.ERROR and "bytes" in spf[0].reason


def test_a_name_resolving_to_a_private_address_is_refused_by_the_guard(fault_results):
    results, _ = fault_results
    private = results["private.faults.lab"]
    refused = [o for o in private.observations if "private address" in o.reason]
    assert refused, [o.reason for o in private.observations]
    assert not any(
        o.status is Status.PASS and o.check.startswith(("net.", "web.", "tls."))
        for o in private.observations
    )


def test_a_missing_domain_fails_resolution_and_skips_the_rest(fault_results):
    results, _ = fault_results
    missing = results["missing.faults.lab"]
    status = {o.check: o.status for o in missing.observations}
    assert status["dns.resolves"] is Status.FAIL
    assert all(s in (Status.SKIPPED, Status.FAIL) for s in status.values()), status
