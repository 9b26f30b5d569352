"""Property-based tests of every API operation, generated from the OpenAPI schema itself.

Schemathesis 4 loads the schema from the WSGI application and sends valid and invalid
requests (positive and negative generation) as alice. Path ids are replaced with fresh
objects of alice's organisation, so that the requests reach the code behind the 404 (bad
ids have their own tests). Whatever is sent, the API must never answer 5xx, and what it
answers must match the schema.
"""

from __future__ import annotations

import socket
import threading
import uuid

import dns.message
import dns.rcode
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from rempart.web.assets.models import Asset
from rempart.web.diagnostic.models import ActionItem
from rempart.web.wsgi import application
from tests.web.api.conftest import client_for, make_finding, make_scan

# Loaded at collection (the lazy fixture loader of schemathesis 4.32 does not run on pytest 9:
# it sets ``Function._nodeid``, which pytest 9 no longer has). The schema view reads no table.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(scope="module")
def empty_dns():
    """A DNS server on loopback that knows no name: proofs of control fail at once, whether
    or not a lab runs on this machine (without one, each look-up would wait for its timeout).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            answer = dns.message.make_response(dns.message.from_wire(data))
            answer.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(answer.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    sock.close()


def _fresh_ids(world) -> dict[str, str]:
    """Objects of alice's business made for one request (it may delete or triage them)."""
    asset = Asset.objects.create(
        organisation=world.org_a, kind="domain", name=f"{uuid.uuid4().hex[:12]}.boulangerie.lab"
    )
    finding = make_finding(world.org_a, asset)
    item = ActionItem.objects.create(
        organisation=world.org_a,
        key=f"f:{finding.pk}",
        source="finding",
        title="Boulangerie Alice: finding",
        finding=finding,
    )
    return {
        "org": str(world.org_a.pk),
        "asset": str(asset.pk),
        "scan": str(make_scan(world.org_a, asset).pk),
        "finding": str(finding.pk),
        "item": str(item.pk),
    }


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_breaks_the_api_or_the_schema(case, world, settings, empty_dns):
    settings.REMPART_RESOLVER = empty_dns
    token = client_for(world.alice)._credentials["HTTP_AUTHORIZATION"]
    if case.path_parameters:
        ids = _fresh_ids(world)
        for name in case.path_parameters:
            if name in ids:
                case.path_parameters[name] = ids[name]
    case.call_and_validate(
        headers={"Authorization": token},
        checks=[not_a_server_error, response_schema_conformance],
    )
