"""Proof of control against the lab: a TXT record on its DNS, or a file on its website."""

from __future__ import annotations

import secrets

import pytest

from rempart.engine.context import ScanConfig
from rempart.engine.ownership import ProofMethod, prove_control
from rempart.lab.control import publish_txt, remove_txt, write_wellknown
from rempart.lab.profiles import TlsProfile, generate
from tests.conftest import LAB_SEED, LAB_SIZE

pytestmark = pytest.mark.lab


def _sites():
    """Lab businesses with a plain, trusted HTTPS site (the well-known file can be served)."""
    return [
        b
        for b in generate(LAB_SIZE, LAB_SEED)
        if b.dns.has_address and b.web.https and b.tls == TlsProfile()
    ]


def _config(lab) -> ScanConfig:
    return ScanConfig(resolver=lab.resolver, ca_files=(lab.ca_file,), lab=True, timeout=2.0)


async def test_a_txt_record_with_the_token_proves_control(lab):
    domain = _sites()[0].domain
    token = secrets.token_urlsafe(16)
    name = f"_rempart-challenge.{domain}"
    publish_txt(name, f"rempart-verification={token}")
    try:
        proof = await prove_control(domain, token, _config(lab))
    finally:
        remove_txt(name)
    assert proof.ok and proof.method is ProofMethod.DNS_TXT


async def test_another_token_in_the_record_proves_nothing(lab):
    domain = _sites()[0].domain
    name = f"_rempart-challenge.{domain}"
    publish_txt(name, "rempart-verification=someone-elses-token")
    try:
        proof = await prove_control(domain, "my-token", _config(lab))
    finally:
        remove_txt(name)
    assert not proof.ok
    assert "do not contain rempart-verification=my-token" in proof.reasons[0]
    assert "404" in proof.reasons[1]


async def test_the_well_known_file_proves_control_over_https(lab):
    domain = _sites()[1].domain
    token = secrets.token_urlsafe(16)
    path = write_wellknown(lab.directory, domain, f"{token}\n")
    try:
        proof = await prove_control(domain, token, _config(lab))
    finally:
        path.unlink()
    assert proof.ok and proof.method is ProofMethod.WELL_KNOWN


async def test_a_domain_with_neither_proof_gives_both_reasons(lab):
    proof = await prove_control(_sites()[2].domain, "nothing-published", _config(lab))
    assert not proof.ok and proof.method is None
    assert len(proof.reasons) == 2


async def test_a_name_that_does_not_exist_is_not_proven_and_says_why(lab):
    proof = await prove_control("nobody-here.lab", "t", _config(lab))
    assert not proof.ok
    assert "does not exist" in proof.reasons[0]


async def test_outside_lab_mode_the_guard_refuses_the_lab_address(lab):
    config = ScanConfig(resolver=lab.resolver, ca_files=(lab.ca_file,), lab=False, timeout=2.0)
    domain = _sites()[1].domain
    token = "x" * 20
    path = write_wellknown(lab.directory, domain, token)
    try:
        proof = await prove_control(domain, token, config)
    finally:
        path.unlink()
    assert not proof.ok
    assert any("refuse" in r.lower() or "not allowed" in r.lower() for r in proof.reasons), proof
