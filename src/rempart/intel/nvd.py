"""NVD CVE API 2.0 records: the CVSS metrics and vulnerable CPE ranges of each CVE.

Format (https://nvd.nist.gov/developers/vulnerabilities): a page is ``{resultsPerPage,
startIndex, totalResults, timestamp, vulnerabilities: [{cve: {...}}]}``. Of each ``cve`` we keep
``id``, the English description (clipped), the best CVSS metric (``metrics.cvssMetricV40/V31/
V30/V2[].cvssData.vectorString`` and ``baseScore``; newest CVSS version first, NVD's ``Primary``
before a ``Secondary`` of the same version) and every ``cpeMatch`` with ``vulnerable: true``
(``criteria`` ``cpe:2.3:part:vendor:product:version:…`` plus ``versionStartIncluding/
Excluding``, ``versionEndIncluding/Excluding``) of nodes that are not negated.
``vulnStatus: Rejected`` records are skipped (their ids are listed on the page). Matching
components against these rules is :mod:`rempart.intel.cpe_match`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rempart.intel import cvss, products
from rempart.intel.streaming import FeedFormatError, read_document

MAX_SUMMARY = 160
_HEADER = frozenset({"resultsPerPage", "startIndex", "totalResults", "timestamp"})
_METRICS = ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2")


@dataclass(frozen=True, slots=True)
class CpeRule:
    """One vulnerable ``cpeMatch``: a vendor/product and the versions of it a CVE hits."""

    cve: str
    vendor: str
    product: str
    version: str = "*"  # the criteria's version: "*" any (then the bounds say), else exact
    start_including: str = ""
    start_excluding: str = ""
    end_including: str = ""
    end_excluding: str = ""
    vers: str = ""  # a curated VERS range instead of bounds ("vers:generic/<1.3.8|…")
    summary: str = ""
    source: str = "nvd"

    def to_list(self) -> list[str]:
        return [
            self.vendor,
            self.product,
            self.version,
            self.start_including,
            self.start_excluding,
            self.end_including,
            self.end_excluding,
        ]


@dataclass(frozen=True, slots=True)
class NvdCve:
    id: str
    summary: str = ""
    vector: str = ""
    score: float | None = None
    published: str = ""
    modified: str = ""
    rules: tuple[CpeRule, ...] = ()

    def to_json(self) -> str:
        data: dict[str, object] = {"id": self.id, "summary": self.summary}
        if self.vector:
            data.update(vector=self.vector, score=self.score)
        data.update(published=self.published, modified=self.modified)
        data["cpe"] = [r.to_list() for r in self.rules]
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NvdCve:
        cve = str(data["id"])
        summary = str(data.get("summary") or "")
        rules = tuple(
            _rule_from_list(cve, item, summary)
            for item in _items(data.get("cpe"))
            if isinstance(item, list) and len(item) >= 7
        )
        score = data.get("score")
        return cls(
            id=cve,
            summary=summary,
            vector=str(data.get("vector") or ""),
            score=float(score) if isinstance(score, int | float) else None,
            published=str(data.get("published") or ""),
            modified=str(data.get("modified") or ""),
            rules=rules,
        )


def _items(value: object) -> list[Any]:
    """A list field of a feed record, or [] when it is missing or not a list."""
    return value if isinstance(value, list) else []


def _rule_from_list(cve: str, item: list[Any], summary: str) -> CpeRule:
    vendor, product, version, si, se, ei, ee = (str(x) for x in item[:7])
    return CpeRule(cve, vendor, product, version, si, se, ei, ee, summary=summary)


@dataclass(slots=True)
class NvdPage:
    start_index: int
    results_per_page: int
    total_results: int
    timestamp: str
    rejected: list[str] = field(default_factory=list)  # ids NVD marks "Rejected"


def _best_metric(metrics: object) -> tuple[str, float | None]:
    if not isinstance(metrics, Mapping):
        return "", None
    best: tuple[int, int, str, float | None] | None = None
    for rank, name in enumerate(reversed(_METRICS)):
        for metric in _items(metrics.get(name)):
            data = metric.get("cvssData") if isinstance(metric, Mapping) else None
            if not isinstance(data, Mapping) or not data.get("vectorString"):
                continue
            primary = 1 if metric.get("type") == "Primary" else 0
            base = data.get("baseScore")
            score = float(base) if isinstance(base, int | float) else None
            candidate = (rank, primary, str(data["vectorString"]), score)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best is None:
        return "", None
    vector, score = best[2], best[3]
    if score is None:
        rated = cvss.score(vector)
        score = rated[0] if rated else None
    return vector, score


def _english(descriptions: object) -> str:
    for item in descriptions if isinstance(descriptions, list) else ():
        if isinstance(item, Mapping) and item.get("lang") == "en":
            text = " ".join(str(item.get("value") or "").split())
            return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"
    return ""


def parse_cve(item: Mapping[str, Any]) -> NvdCve | None:
    """One ``vulnerabilities[]`` item (``{"cve": {...}}``); None when NVD rejected the CVE."""
    cve = item.get("cve") if isinstance(item.get("cve"), Mapping) else item
    if not isinstance(cve, Mapping) or not isinstance(cve.get("id"), str):
        raise FeedFormatError("an NVD vulnerability needs cve.id")
    if str(cve.get("vulnStatus") or "").lower() == "rejected":
        return None
    cve_id = cve["id"].strip().upper()
    summary = _english(cve.get("descriptions"))
    vector, score = _best_metric(cve.get("metrics"))
    rules: list[CpeRule] = []
    for configuration in _items(cve.get("configurations")):
        nodes = configuration.get("nodes") if isinstance(configuration, Mapping) else None
        for node in _items(nodes):
            if not isinstance(node, Mapping) or node.get("negate"):
                continue
            for match in _items(node.get("cpeMatch")):
                rule = _rule(cve_id, match, summary)
                if rule is not None:
                    rules.append(rule)
    return NvdCve(
        id=cve_id,
        summary=summary,
        vector=vector,
        score=score,
        published=str(cve.get("published") or ""),
        modified=str(cve.get("lastModified") or ""),
        rules=tuple(dict.fromkeys(rules)),
    )


def _rule(cve: str, match: object, summary: str) -> CpeRule | None:
    if not isinstance(match, Mapping) or match.get("vulnerable") is not True:
        return None
    name = products.parse_cpe(str(match.get("criteria") or ""))
    if name is None or name.version == "-":
        return None  # "-": the CPE has no version ("not applicable")
    return CpeRule(
        cve=cve,
        vendor=name.vendor,
        product=name.product,
        version=name.version or "*",
        start_including=str(match.get("versionStartIncluding") or ""),
        start_excluding=str(match.get("versionStartExcluding") or ""),
        end_including=str(match.get("versionEndIncluding") or ""),
        end_excluding=str(match.get("versionEndExcluding") or ""),
        summary=summary,
    )


def read_page(stream: IO[bytes]) -> tuple[NvdPage, Iterator[NvdCve]]:
    """The page's header and its CVEs, streamed (rejected ones are listed on the page)."""
    header, items = read_document(stream, "vulnerabilities.item", _HEADER)
    if "totalResults" not in header:
        raise FeedFormatError("not an NVD CVE API 2.0 page: no totalResults")

    def number(name: str) -> int:
        value = header.get(name)
        return int(value) if isinstance(value, int | float) else 0

    page = NvdPage(
        start_index=number("startIndex"),
        results_per_page=number("resultsPerPage"),
        total_results=number("totalResults"),
        timestamp=str(header.get("timestamp") or ""),
    )

    def walk() -> Iterator[NvdCve]:
        for item in items:
            if not isinstance(item, Mapping):
                raise FeedFormatError("a vulnerabilities[] item is not an object")
            parsed = parse_cve(item)
            if parsed is None:
                inner = item.get("cve")
                page.rejected.append(str(inner["id"] if isinstance(inner, Mapping) else "").upper())
            else:
                yield parsed

    return page, walk()


def read_jsonl_gz(path: Path) -> Iterator[NvdCve]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    yield NvdCve.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise FeedFormatError(f"{path.name} line {number}: {exc}") from None
