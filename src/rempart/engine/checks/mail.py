"""Mail checks of a domain: MX, SPF, DMARC, DKIM, MTA-STS, STARTTLS, parked domains.

Applicability (checks.md): SPF and DMARC are judged for every existing domain, since
anyone can forge a domain's mail whether it receives mail or not; DKIM, MTA-STS and
STARTTLS only when the domain has MX records; ``mail.parked_domain`` only when it has none.
Records are parsed by :mod:`rempart.engine.parsers.spf` and ``.dmarc``; this module does
the look-ups and the SMTP conversations (RFC 5321, STARTTLS per RFC 3207).
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass

from rempart.engine.catalog import CATALOG
from rempart.engine.checks.dns import real_mx
from rempart.engine.checks.observe import observe, observe_all
from rempart.engine.context import ConnectError, ScanContext
from rempart.engine.guard import GuardRefusal, IPAddress
from rempart.engine.model import Observation, Severity, Status
from rempart.engine.net import smtp
from rempart.engine.parsers import dmarc as dmarc_parser
from rempart.engine.parsers import spf as spf_parser
from rempart.engine.target import Target, TargetKind

MAIL_IDS = tuple(spec.id for spec in CATALOG.values() if spec.family == "mail")
SPF_IDS = ("mail.spf.missing", "mail.spf.invalid", "mail.spf.permissive")
DMARC_IDS = (
    "mail.dmarc.missing",
    "mail.dmarc.invalid",
    "mail.dmarc.policy_none",
    "mail.dmarc.no_reporting",
)
STARTTLS_IDS = ("mail.starttls.missing", "mail.starttls.legacy_tls")
MX_ONLY_IDS = ("mail.dkim.missing", "mail.mta_sts.missing", *STARTTLS_IDS)
MAX_MX_HOSTS = 10  # polite bound: real domains list one to five
_STS = re.compile(r"^v=STSv1\s*(;|$)")  # RFC 8461 §3.1
_DKIM_KEY = re.compile(r"(?:^|;)\s*p\s*=\s*[A-Za-z0-9+/]")  # RFC 6376 §3.6.1: p= non-empty


@dataclass(frozen=True, slots=True)
class _Published:
    """What one policy look-up found: the raw record(s), the parsed one, or why not."""

    texts: tuple[str, ...] = ()
    spf: spf_parser.SpfRecord | None = None
    dmarc: dmarc_parser.DmarcRecord | None = None
    error: str = ""


async def run(target: Target, ctx: ScanContext) -> list[Observation]:
    if target.kind is not TargetKind.DOMAIN:
        return []
    domain = target.name
    mx = await ctx.dns.query(domain, "MX")
    if mx.status == "error":
        return observe_all(MAIL_IDS, Status.ERROR, domain, mx.reason)
    if mx.status == "nxdomain":
        return observe_all(MAIL_IDS, Status.SKIPPED, domain, mx.reason)
    hosts = _mx_hosts(real_mx(mx))
    found: list[Observation] = [_mx_observation(domain, mx.records, hosts)]
    (spf_obs, spf), (dmarc_obs, dmarc) = await asyncio.gather(
        _spf(domain, ctx), _dmarc(domain, ctx)
    )
    found += spf_obs + dmarc_obs
    if hosts:
        found.append(
            observe("mail.parked_domain", Status.SKIPPED, domain, reason="the domain has MX")
        )
        parts = await asyncio.gather(
            _dkim(domain, ctx), _mta_sts(domain, ctx), *(_starttls(h, ctx) for h in hosts)
        )
        found += [o for part in parts for o in part]
    else:
        found += observe_all(
            MX_ONLY_IDS, Status.SKIPPED, domain, "the domain has no MX record: it receives no mail"
        )
        found.append(_parked(domain, spf, dmarc))
    return [o for o in found if ctx.wants(o.check)]


def _mx_hosts(records: list[str]) -> list[str]:
    """MX targets by preference (RFC 5321 §5.1), lower-case, without duplicates."""
    pairs = []
    for record in records:
        preference, _, host = record.partition(" ")
        if preference.isdigit() and host:
            pairs.append((int(preference), host.rstrip(".").lower()))
    return list(dict.fromkeys(h for _, h in sorted(pairs)))[:MAX_MX_HOSTS]


def _mx_observation(domain: str, records: tuple[str, ...], hosts: list[str]) -> Observation:
    if hosts:
        return observe("mail.mx", Status.PASS, domain, "; ".join(records))
    evidence = "null MX (RFC 7505): no mail accepted" if records else "no MX record"
    return observe("mail.mx", Status.FAIL, domain, evidence)


# -- SPF -------------------------------------------------------------------------------


class _SpfProblem(Exception):
    """An included or redirected record that makes the whole policy a permerror."""


class _SpfUnreadable(Exception):
    """An included or redirected record could not be fetched (DNS error)."""


async def _spf(domain: str, ctx: ScanContext) -> tuple[list[Observation], _Published]:
    if not ctx.wants(*SPF_IDS, "mail.parked_domain"):
        return [], _Published(error="not selected")
    answer = await ctx.dns.query(domain, "TXT")
    if answer.status == "error":
        return observe_all(SPF_IDS, Status.ERROR, domain, answer.reason), _Published(
            error=answer.reason
        )
    texts = tuple(spf_parser.find_spf(answer.records))
    missing, invalid, permissive = SPF_IDS
    if not texts:
        return [
            observe(missing, Status.FAIL, domain, "no v=spf1 TXT record"),
            *observe_all((invalid, permissive), Status.SKIPPED, domain, "no SPF record"),
        ], _Published()
    found = [observe(missing, Status.PASS, domain, " | ".join(texts))]
    invalid_reason, record = await _spf_validity(domain, texts, ctx)
    if record is None:
        if invalid_reason.startswith("could not"):
            found.append(observe(invalid, Status.ERROR, domain, reason=invalid_reason))
            return [
                *found,
                observe(permissive, Status.ERROR, domain, reason=invalid_reason),
            ], _Published(texts)
        found.append(observe(invalid, Status.FAIL, domain, invalid_reason))
        found.append(
            observe(permissive, Status.SKIPPED, domain, reason="the SPF record is invalid")
        )
        return found, _Published(texts)
    found.append(observe(invalid, Status.PASS, domain, invalid_reason))
    found.append(await _permissive(record, domain, ctx))
    return found, _Published(texts, spf=record)


async def _spf_validity(
    domain: str, texts: tuple[str, ...], ctx: ScanContext
) -> tuple[str, spf_parser.SpfRecord | None]:
    """(evidence or reason, the record when valid). RFC 7208 §4.5, §4.6, §4.6.4."""
    if len(texts) > 1:
        return f"{len(texts)} SPF records: " + " | ".join(texts), None
    try:
        record = spf_parser.parse_spf(texts[0])
        count = await _count_lookups(record, ctx, frozenset({domain}))
    except spf_parser.SpfSyntaxError as exc:
        return f"{exc}: {texts[0]}", None
    except _SpfProblem as exc:
        return f"{exc}: {texts[0]}", None
    except _SpfUnreadable as exc:
        return f"could not follow the SPF record: {exc}", None
    if count > spf_parser.MAX_LOOKUPS:
        return f"more than {spf_parser.MAX_LOOKUPS} DNS-querying terms ({count}+): {texts[0]}", None
    return f"{count} DNS-querying terms: {texts[0]}", record


async def _fetch_spf(name: str, ctx: ScanContext) -> spf_parser.SpfRecord:
    answer = await ctx.dns.query(name, "TXT")
    if answer.status == "error":
        raise _SpfUnreadable(answer.reason)
    texts = spf_parser.find_spf(answer.records)
    if len(texts) != 1:
        # RFC 7208 §5.2: an include target without exactly one record is a permerror.
        raise _SpfProblem(f"{name} has {len(texts)} SPF records")
    try:
        return spf_parser.parse_spf(texts[0])
    except spf_parser.SpfSyntaxError as exc:
        raise _SpfProblem(f"{name}: {exc}") from None


async def _count_lookups(
    record: spf_parser.SpfRecord, ctx: ScanContext, seen: frozenset[str]
) -> int:
    """DNS-querying terms, counted through includes and redirects (§4.6.4).

    Stops fetching as soon as the limit is passed, so a hostile chain costs at most
    about ten look-ups.
    """
    total = record.lookup_terms
    for name in record.followed_domains:
        if total > spf_parser.MAX_LOOKUPS:
            break
        if name in seen:
            raise _SpfProblem(f"include loop through {name}")
        total += await _count_lookups(await _fetch_spf(name, ctx), ctx, seen | {name})
    return total


async def _permissive(record: spf_parser.SpfRecord, domain: str, ctx: ScanContext) -> Observation:
    qualifier = record.all_qualifier
    followed = record
    for _ in range(spf_parser.MAX_LOOKUPS):  # a redirect stands for the final "all" (§6.1)
        if qualifier is not None or followed.redirect is None or "%" in followed.redirect:
            break
        try:
            followed = await _fetch_spf(followed.redirect.rstrip(".").lower(), ctx)
        except (_SpfProblem, _SpfUnreadable) as exc:
            return observe("mail.spf.permissive", Status.ERROR, domain, reason=str(exc))
        qualifier = followed.all_qualifier
    verdict = spf_parser.judge_all(qualifier)
    if not verdict.permissive:
        return observe(
            "mail.spf.permissive", Status.PASS, domain, f"{verdict.description}: {record.text}"
        )
    return observe(
        "mail.spf.permissive",
        Status.FAIL,
        domain,
        f"{verdict.description}: {record.text}",
        severity=Severity(verdict.severity),
    )


# -- DMARC -----------------------------------------------------------------------------


async def _dmarc(domain: str, ctx: ScanContext) -> tuple[list[Observation], _Published]:
    if not ctx.wants(*DMARC_IDS, "mail.parked_domain"):
        return [], _Published(error="not selected")
    answer = await ctx.dns.query(f"_dmarc.{domain}", "TXT")
    if answer.status == "error":
        return observe_all(DMARC_IDS, Status.ERROR, domain, answer.reason), _Published(
            error=answer.reason
        )
    texts = tuple(dmarc_parser.find_dmarc(answer.records))
    missing, invalid, policy_none, no_reporting = DMARC_IDS
    if not texts:
        return [
            observe(missing, Status.FAIL, domain, f"no v=DMARC1 TXT record at _dmarc.{domain}"),
            *observe_all(DMARC_IDS[1:], Status.SKIPPED, domain, "no DMARC record"),
        ], _Published()
    found = [observe(missing, Status.PASS, domain, " | ".join(texts))]
    try:
        if len(texts) > 1:  # RFC 7489 §6.6.3: several records, no DMARC processing
            raise dmarc_parser.DmarcSyntaxError(f"{len(texts)} DMARC records")
        record = dmarc_parser.parse_dmarc(texts[0])
    except dmarc_parser.DmarcSyntaxError as exc:
        found.append(observe(invalid, Status.FAIL, domain, f"{exc}: {' | '.join(texts)}"))
        found += observe_all(DMARC_IDS[2:], Status.SKIPPED, domain, "the DMARC record is invalid")
        return found, _Published(texts)
    found.append(observe(invalid, Status.PASS, domain, record.text))
    weak = record.policy == "none" or record.pct < 100
    found.append(observe(policy_none, Status.FAIL if weak else Status.PASS, domain, record.text))
    reports = Status.PASS if record.rua else Status.FAIL
    found.append(observe(no_reporting, reports, domain, record.text))
    return found, _Published(texts, dmarc=record)


def _parked(domain: str, spf: _Published, dmarc: _Published) -> Observation:
    """RFC 7505 / NCSC guidance: a domain that sends no mail says so with SPF and DMARC."""
    check = "mail.parked_domain"
    if spf.error or dmarc.error:
        return observe(check, Status.ERROR, domain, reason=spf.error or dmarc.error)
    locked = spf.spf is not None and spf.spf.is_lockdown
    rejecting = dmarc.dmarc is not None and dmarc.dmarc.policy == "reject"
    evidence = f"SPF: {' | '.join(spf.texts) or 'none'}; DMARC: {' | '.join(dmarc.texts) or 'none'}"
    return observe(check, Status.PASS if locked and rejecting else Status.FAIL, domain, evidence)


# -- DKIM and MTA-STS --------------------------------------------------------------------


async def _dkim(domain: str, ctx: ScanContext) -> list[Observation]:
    check = "mail.dkim.missing"
    if not ctx.wants(check):
        return []
    selectors = ctx.config.dkim_selectors
    answers = await asyncio.gather(
        *(ctx.dns.query(f"{s}._domainkey.{domain}", "TXT") for s in selectors)
    )
    for selector, answer in zip(selectors, answers, strict=True):
        for text in answer.records:
            if _DKIM_KEY.search(text):
                return [observe(check, Status.PASS, domain, f"{selector}._domainkey: {text[:200]}")]
    failed = [a.reason for a in answers if a.status == "error"]
    if failed:
        return [
            observe(
                check,
                Status.ERROR,
                domain,
                reason=f"{len(failed)} selector look-ups failed, e.g. {failed[0]}",
            )
        ]
    return [
        observe(
            check, Status.FAIL, domain, f"not found at the usual selectors ({', '.join(selectors)})"
        )
    ]


async def _mta_sts(domain: str, ctx: ScanContext) -> list[Observation]:
    check = "mail.mta_sts.missing"
    if not ctx.wants(check):
        return []
    answer = await ctx.dns.query(f"_mta-sts.{domain}", "TXT")
    if answer.status == "error":
        return [observe(check, Status.ERROR, domain, reason=answer.reason)]
    records = [r for r in answer.records if _STS.match(r)]
    if records:
        return [observe(check, Status.PASS, domain, " | ".join(records))]
    return [observe(check, Status.FAIL, domain, f"no v=STSv1 TXT record at _mta-sts.{domain}")]


# -- STARTTLS ------------------------------------------------------------------------------


async def _starttls(host: str, ctx: ScanContext) -> list[Observation]:
    if not ctx.wants(*STARTTLS_IDS):
        return []
    location = f"{host}:25"
    resolution = await ctx.resolve(host)
    if not resolution.allowed:
        reason = resolution.error or "; ".join(resolution.refused) or f"{host} has no address"
        return observe_all(STARTTLS_IDS, Status.ERROR, location, reason)
    ip = resolution.allowed[0]
    try:
        offered, evidence = await _probe_starttls(ctx, ip)
    except (smtp.SmtpError, ConnectError, GuardRefusal, OSError) as exc:
        return observe_all(STARTTLS_IDS, Status.ERROR, location, f"{ip}:25: {exc}")
    found = [
        observe(
            "mail.starttls.missing", Status.PASS if offered else Status.FAIL, location, evidence
        )
    ]
    if not offered:
        found.append(
            observe(
                "mail.starttls.legacy_tls",
                Status.SKIPPED,
                location,
                reason="the server does not offer STARTTLS",
            )
        )
    elif ctx.wants("mail.starttls.legacy_tls"):
        found.append(await _legacy(ctx, ip, host, location))
    return found


async def _probe_starttls(ctx: ScanContext, ip: IPAddress) -> tuple[bool, str]:
    async with ctx.connect(ip, 25) as (reader, writer):
        banner, keywords = await smtp.greet(ctx, reader, writer)
        writer.write(b"QUIT\r\n")
    evidence = f"220 {banner}; EHLO: {' '.join(keywords) or '(no extensions)'}"
    return "STARTTLS" in keywords, evidence


async def _legacy(ctx: ScanContext, ip: IPAddress, host: str, location: str) -> Observation:
    check = "mail.starttls.legacy_tls"
    try:
        async with ctx.connect(ip, 25) as (reader, writer):
            await smtp.greet(ctx, reader, writer)
            code, text = await smtp.command(ctx, reader, writer, "STARTTLS")
            if code != 220:
                raise smtp.SmtpError(f"STARTTLS refused: {code} {text[0][:80]}")
            try:
                await asyncio.wait_for(
                    writer.start_tls(smtp.legacy_client_context(), server_hostname=host),
                    ctx.config.timeout,
                )
            except ssl.SSLError as exc:
                return observe(
                    check, Status.PASS, location, f"TLS 1.0 and 1.1 refused ({exc.reason or exc})"
                )
            except ConnectionError:
                # Some servers (aiosmtpd among them) drop the connection instead of sending
                # a protocol_version alert: either way no TLS 1.0/1.1 session was possible.
                return observe(
                    check,
                    Status.PASS,
                    location,
                    "TLS 1.0 and 1.1 refused (connection closed on the ClientHello)",
                )
            ssl_object = writer.get_extra_info("ssl_object")
            version = ssl_object.version() if ssl_object is not None else "TLS 1.0/1.1"
    except TimeoutError:
        return observe(
            check,
            Status.ERROR,
            location,
            reason=f"no TLS handshake answer within {ctx.config.timeout:g} s",
        )
    except (smtp.SmtpError, ConnectError, GuardRefusal, OSError) as exc:
        return observe(check, Status.ERROR, location, reason=f"{ip}:25: {exc}")
    return observe(check, Status.FAIL, location, f"accepted {version} after STARTTLS")
