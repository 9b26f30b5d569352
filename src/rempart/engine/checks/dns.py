"""DNS checks of a domain: it resolves, its zone is signed (DNSSEC), it publishes CAA.

DNSSEC is judged from the answers of the configured server, queried with the DO bit
(RFC 4035 §3.2.1): the DNSKEY RRset must be signed by one of its own keys, one of those
keys must match a DS record of the parent zone when the parent publishes any (RFC 4034
§5), and the SOA RRset must carry a valid RRSIG. Signatures are checked with dnspython.
"""

from __future__ import annotations

import asyncio

import dns.dnssec
import dns.exception
import dns.message
import dns.name
import dns.node
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.rrset

from rempart.engine.checks.observe import observe
from rempart.engine.context import ScanContext
from rempart.engine.dnsclient import DnsAnswer
from rempart.engine.model import Observation, Status
from rempart.engine.target import Target, TargetKind

_QUERY_ERRORS = (dns.exception.DNSException, OSError, TimeoutError)
_SIGNATURE_ERRORS = (dns.exception.ValidationFailure, dns.exception.UnsupportedAlgorithm)


class _Unjudgeable(Exception):
    """A DNSSEC answer that leaves the question open (error status, with this reason)."""


async def run(target: Target, ctx: ScanContext) -> list[Observation]:
    if target.kind is not TargetKind.DOMAIN:
        return []
    domain = target.name
    jobs = []
    if ctx.wants("dns.resolves"):
        jobs.append(_resolves(domain, ctx))
    if ctx.wants("dns.dnssec"):
        jobs.append(_dnssec(domain, ctx))
    if ctx.wants("dns.caa"):
        jobs.append(_caa(domain, ctx))
    return list(await asyncio.gather(*jobs))


def real_mx(answer: DnsAnswer) -> list[str]:
    """MX records of an answer, without the null MX "0 ." that says "no mail" (RFC 7505)."""
    return [r for r in answer.records if r.split()[-1] != "."]


async def _resolves(domain: str, ctx: ScanContext) -> Observation:
    a, aaaa, mx = await asyncio.gather(
        ctx.dns.query(domain, "A"), ctx.dns.query(domain, "AAAA"), ctx.dns.query(domain, "MX")
    )
    if "nxdomain" in (a.status, aaaa.status, mx.status):
        return observe("dns.resolves", Status.FAIL, domain, "NXDOMAIN")
    seen = [f"A {r}" for r in a.records] + [f"AAAA {r}" for r in aaaa.records]
    seen += [f"MX {r}" for r in real_mx(mx)]
    if seen:
        return observe("dns.resolves", Status.PASS, domain, "; ".join(seen))
    failed = [answer.reason for answer in (a, aaaa, mx) if answer.status == "error"]
    if failed:
        return observe("dns.resolves", Status.ERROR, domain, reason=failed[0])
    return observe("dns.resolves", Status.FAIL, domain, "no A, AAAA or MX record")


async def _caa(domain: str, ctx: ScanContext) -> Observation:
    answer = await ctx.dns.query(domain, "CAA")
    match answer.status:
        case "ok":
            return observe("dns.caa", Status.PASS, domain, "; ".join(answer.records))
        case "nodata":
            return observe("dns.caa", Status.FAIL, domain, "no CAA record")
        case "nxdomain":
            return observe("dns.caa", Status.SKIPPED, domain, reason=answer.reason)
    return observe("dns.caa", Status.ERROR, domain, reason=answer.reason)


async def _signed_answer(
    ctx: ScanContext, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> tuple[dns.rrset.RRset | None, dns.rrset.RRset | None, int]:
    """(RRset, its RRSIGs, rcode) of a DO query; raises _Unjudgeable on failure."""
    text = name.to_text(omit_final_dot=True)
    try:
        message = await ctx.dns.message(text, dns.rdatatype.to_text(rdtype))
    except _QUERY_ERRORS as exc:
        reason = str(exc) or type(exc).__name__
        raise _Unjudgeable(f"DNS query {text} {rdtype.name} failed: {reason}") from None
    rcode = message.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise _Unjudgeable(
            f"DNS query {text} {rdtype.name}: server answered {dns.rcode.to_text(rcode)}"
        )
    rrset = _find(message, name, rdtype, dns.rdatatype.NONE)
    sigs = _find(message, name, dns.rdatatype.RRSIG, rdtype)
    return rrset, sigs, rcode


def _find(
    message: dns.message.Message, name: dns.name.Name, rdtype: int, covers: int
) -> dns.rrset.RRset | None:
    for rrset in message.answer:
        if rrset.name == name and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


async def _dnssec(domain: str, ctx: ScanContext) -> Observation:
    try:
        status, evidence = await _judge_dnssec(dns.name.from_text(domain), ctx)
    except _Unjudgeable as exc:
        return observe("dns.dnssec", Status.ERROR, domain, reason=str(exc))
    if status is Status.SKIPPED:
        return observe("dns.dnssec", status, domain, reason=evidence)
    return observe("dns.dnssec", status, domain, evidence)


async def _judge_dnssec(name: dns.name.Name, ctx: ScanContext) -> tuple[Status, str]:
    dnskey, key_sigs, rcode = await _signed_answer(ctx, name, dns.rdatatype.DNSKEY)
    if rcode == dns.rcode.NXDOMAIN:
        return Status.SKIPPED, f"{name.to_text(True)} does not exist (NXDOMAIN)"
    if dnskey is None:
        return Status.FAIL, "no DNSKEY record: the zone is not signed"
    keys: dict[dns.name.Name, dns.node.Node | dns.rdataset.Rdataset] = {name: dnskey}
    tags = ", ".join(f"tag {dns.dnssec.key_id(k)} alg {k.algorithm.value}" for k in dnskey)
    if key_sigs is None:
        return Status.FAIL, f"DNSKEY ({tags}) carries no RRSIG"
    try:
        dns.dnssec.validate(dnskey, key_sigs, keys)
    except _SIGNATURE_ERRORS as exc:
        return Status.FAIL, f"RRSIG over DNSKEY ({tags}) does not validate: {exc}"
    ds_note = await _ds_note(name, dnskey, ctx)
    if ds_note.startswith("no DNSKEY"):
        return Status.FAIL, ds_note
    soa, soa_sigs, _ = await _signed_answer(ctx, name, dns.rdatatype.SOA)
    if soa is None:
        raise _Unjudgeable(f"no SOA record at {name.to_text(True)}: not a zone apex")
    if soa_sigs is None:
        return Status.FAIL, "the SOA record carries no RRSIG"
    try:
        dns.dnssec.validate(soa, soa_sigs, keys)
    except _SIGNATURE_ERRORS as exc:
        return Status.FAIL, f"RRSIG over SOA does not validate: {exc}"
    return Status.PASS, f"DNSKEY {tags}; {ds_note}; RRSIGs over DNSKEY and SOA validate"


async def _ds_note(name: dns.name.Name, dnskey: dns.rrset.RRset, ctx: ScanContext) -> str:
    """Compare the parent's DS records with the zone's keys (RFC 4034 §5.1.4)."""
    ds_set, _, _ = await _signed_answer(ctx, name, dns.rdatatype.DS)
    if ds_set is None:
        return "no DS in the parent zone (island of security)"
    for ds in ds_set:
        for key in dnskey:
            try:
                made = dns.dnssec.make_ds(name, key, ds.digest_type)
            except (dns.exception.UnsupportedAlgorithm, ValueError):
                continue  # a digest type we cannot compute: try the other DS records
            if made == ds:
                return f"DS tag {ds.key_tag} matches"
    return f"no DNSKEY matches the parent's DS ({'; '.join(str(d) for d in ds_set)[:200]})"
