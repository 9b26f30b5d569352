"""``feeds update``: fetch KEV, OSV, NVD and EPSS from their official sources into a folder.

Each feed is downloaded to a temporary file in ``feeds_dir`` (size-limited while streaming),
parsed completely, converted when needed, then renamed over the previous file (atomic on one
file system), and only then recorded in ``manifest.json`` (version, date, sha256, source,
time of the update; written atomically too). A download or a parse that fails leaves the
previous file and its manifest entry untouched and says which feed failed and why in
:attr:`FeedUpdate.error`. An exclusive lock on ``feeds_dir/.lock`` keeps two updates (two
workers, a cron and an operator) from interleaving.

NVD: the first update pages through the whole CVE API 2.0 (``resultsPerPage=2000``); later
ones ask only for what changed since the last one (``lastModStartDate``/``lastModEndDate``,
windows of at most 120 days as the API requires). NIST asks for a pause between requests:
6 s without an API key, 0.6 s with one (``NVD_API_KEY`` in the environment). A full first
download takes about 15 minutes without a key.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

import httpx

from rempart.intel.epss import load_epss
from rempart.intel.kev import KevCatalog, load_kev, snapshot_kev
from rempart.intel.nvd import read_page
from rempart.intel.osv_records import read_zip, write_jsonl_gz
from rempart.intel.store import MANIFEST
from rempart.intel.streaming import FeedFormatError

SOURCES = ("kev", "osv", "nvd", "epss")
ECOSYSTEMS = ("PyPI", "npm", "Maven", "Go", "Debian")
DEFAULT_URLS = {
    "kev": "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
    "osv": "https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip",
    "nvd": "https://services.nvd.nist.gov/rest/json/cves/2.0",
    "epss": "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
}
MiB = 1024 * 1024
# Ceilings well above today's sizes (KEV 1.3 MB, EPSS 10 MB, an NVD page of 2,000 CVEs about
# 15 MB, OSV npm all.zip a few hundred MB): a bigger answer is not the feed.
DEFAULT_LIMITS = {"kev": 32 * MiB, "osv": 2048 * MiB, "nvd": 128 * MiB, "epss": 64 * MiB}
NVD_PAGE = 2000
NVD_WINDOW = timedelta(days=120)
_RETRY_STATUSES = (403, 429, 500, 502, 503, 504)


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """The outcome of one feed's update; ``before``/``after`` are feed versions."""

    name: str  # "kev", "osv:PyPI", "nvd", "epss"
    before: str
    after: str
    added_kev: tuple[str, ...] = ()  # CVE ids the new KEV lists and the previous did not
    error: str = ""  # empty on success; else which step failed and why (old data kept)


class DownloadError(Exception):
    """A download that did not give a usable file (status, size, network)."""


@dataclass(slots=True)
class _Run:
    feeds_dir: Path
    client: httpx.Client
    urls: Mapping[str, str]
    limits: Mapping[str, int]
    manifest: dict[str, dict[str, Any]]
    now: datetime
    nvd_key: str
    nvd_delay: float
    nvd_requests: int = 0

    def stamp(self, name: str, path: Path, url: str, **facts: object) -> None:
        self.manifest[name] = {
            "file": path.name,
            "source": url,
            "updated": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": _sha256(path),
            "bytes": path.stat().st_size,
            **facts,
        }
        _write_json(self.feeds_dir / MANIFEST, self.manifest)


def update(
    feeds_dir: Path,
    sources: Sequence[str] = SOURCES,
    *,
    urls: Mapping[str, str] | None = None,
    ecosystems: Sequence[str] = ECOSYSTEMS,
    timeout: float = 60.0,
    limits: Mapping[str, int] | None = None,
    nvd_api_key: str | None = None,
    nvd_delay: float | None = None,
    client: httpx.Client | None = None,
) -> list[FeedUpdate]:
    """Update the named feeds in ``feeds_dir``; one :class:`FeedUpdate` per feed (per OSV
    ecosystem), in order. Never raises for a feed's failure: it is in the result.

    ``urls`` overrides the official URL of a feed (the OSV one is a template with
    ``{ecosystem}``; ``file://`` URLs are read from disk, for air-gapped centers).
    """
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    feeds_dir.mkdir(parents=True, exist_ok=True)
    key = os.environ.get("NVD_API_KEY", "") if nvd_api_key is None else nvd_api_key
    own_client = client is None
    http = client or httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": "rempart-feeds"}
    )
    results: list[FeedUpdate] = []
    try:
        with _locked(feeds_dir):
            run = _Run(
                feeds_dir=feeds_dir,
                client=http,
                urls={**DEFAULT_URLS, **(urls or {})},
                limits={**DEFAULT_LIMITS, **(limits or {})},
                manifest=_manifest(feeds_dir),
                now=datetime.now(UTC),
                nvd_key=key,
                nvd_delay=(0.6 if key else 6.0) if nvd_delay is None else nvd_delay,
            )
            for source in sources:
                if source == "osv":
                    results += [
                        _guarded(run, f"osv:{e}", partial(_update_osv, run, e)) for e in ecosystems
                    ]
                else:
                    results.append(_guarded(run, source, partial(_UPDATERS[source], run)))
    finally:
        if own_client:
            http.close()
    return results


def _before(run: _Run, name: str) -> str:
    """The version a feed has now: its last update's, else the shipped snapshot's."""
    updated = run.manifest.get(name, {}).get("version")
    if updated:
        return str(updated)
    if name == "kev":
        return snapshot_kev().version
    shipped = json.loads(resources.files("rempart.intel.data").joinpath(MANIFEST).read_text())
    return str(shipped.get(name, {}).get("date", ""))


def _guarded(run: _Run, name: str, updater: Callable[[], FeedUpdate]) -> FeedUpdate:
    before = _before(run, name)
    try:
        return updater()
    except (DownloadError, FeedFormatError, httpx.HTTPError, OSError) as exc:
        why = str(exc) or type(exc).__name__
        return FeedUpdate(name, before, before, error=f"{name}: {why}; the previous data is kept")


# -- KEV ---------------------------------------------------------------------------------


def _current_kev(run: _Run) -> KevCatalog:
    entry = run.manifest.get("kev")
    if entry:
        with suppress(OSError, FeedFormatError):
            return load_kev(run.feeds_dir / str(entry["file"]))
    return snapshot_kev()


def _update_kev(run: _Run) -> FeedUpdate:
    previous = _current_kev(run)
    url = run.urls["kev"]
    with _download(run, url, run.limits["kev"]) as part:
        catalog = load_kev(part)
        target = run.feeds_dir / "kev.json"
        os.replace(part, target)
    added = tuple(sorted(catalog.ids() - previous.ids()))
    count = len(catalog.entries)
    run.stamp("kev", target, url, version=catalog.version, date=catalog.released, count=count)
    return FeedUpdate("kev", previous.version, catalog.version, added_kev=added)


# -- OSV ---------------------------------------------------------------------------------


def _update_osv(run: _Run, ecosystem: str) -> FeedUpdate:
    name = f"osv:{ecosystem}"
    before = _before(run, name)
    url = run.urls["osv"].replace("{ecosystem}", quote(ecosystem, safe=""))
    with _download(run, url, run.limits["osv"]) as archive:
        latest = ""
        seen = 0

        def records() -> Iterator[dict[str, Any]]:
            nonlocal latest, seen
            for record in read_zip(archive):
                seen += 1
                latest = max(latest, str(record.get("modified") or ""))
                yield record

        slug = "".join(c if c.isalnum() else "-" for c in ecosystem.lower())
        target = run.feeds_dir / f"osv-{slug}.jsonl.gz"
        with _temporary(run.feeds_dir, ".jsonl.gz") as compact:
            kept = write_jsonl_gz(records(), compact)
            os.replace(compact, target)
    version = latest[:10] or run.now.strftime("%Y-%m-%d")
    run.stamp(name, target, url, version=version, records=kept, withdrawn_skipped=seen - kept)
    return FeedUpdate(name, before, version)


# -- NVD ---------------------------------------------------------------------------------


def _update_nvd(run: _Run) -> FeedUpdate:
    entry = run.manifest.get("nvd", {})
    before = _before(run, "nvd")
    target = run.feeds_dir / "nvd.jsonl.gz"
    url = run.urls["nvd"]
    since = _parse_time(str(entry.get("version", ""))) if target.exists() else None
    fresh: dict[str, str] = {}
    rejected: set[str] = set()
    if since is None:
        windows: list[dict[str, str]] = [{}]
    else:
        windows = []
        start = since
        while start < run.now:
            end = min(start + NVD_WINDOW, run.now)
            windows.append({"lastModStartDate": _nvd_time(start), "lastModEndDate": _nvd_time(end)})
            start = end
    for window in windows:
        _nvd_pages(run, url, window, fresh, rejected)
    with _temporary(run.feeds_dir, ".jsonl.gz") as part:
        count = _merge_nvd(target if since is not None else None, fresh, rejected, part)
        os.replace(part, target)
    version = run.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    run.stamp("nvd", target, url, version=version, cves=count, rejected=len(rejected))
    return FeedUpdate("nvd", before, version)


def _nvd_pages(
    run: _Run, url: str, window: dict[str, str], fresh: dict[str, str], rejected: set[str]
) -> None:
    start, total = 0, None
    headers = {"apiKey": run.nvd_key} if run.nvd_key else {}
    while total is None or start < total:
        if run.nvd_requests:
            time.sleep(run.nvd_delay)  # NIST's rate limits: 5 (50 with a key) requests / 30 s
        run.nvd_requests += 1
        params = {**window, "resultsPerPage": str(NVD_PAGE), "startIndex": str(start)}
        with _download(run, url, run.limits["nvd"], params=params, headers=headers) as page_file:
            with page_file.open("rb") as stream:
                page, cves = read_page(stream)
                for cve in cves:
                    fresh[cve.id] = cve.to_json()
                    rejected.discard(cve.id)
            for cve_id in page.rejected:
                rejected.add(cve_id)
                fresh.pop(cve_id, None)
        total = page.total_results
        served = page.results_per_page
        if start < total and served <= 0:
            raise FeedFormatError(f"NVD served an empty page at startIndex {start} of {total}")
        start += served


def _merge_nvd(previous: Path | None, fresh: dict[str, str], gone: set[str], out: Path) -> int:
    """Write the previous CVEs not updated nor rejected, then the updated ones."""
    count = 0
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        if previous is not None:
            with gzip.open(previous, "rt", encoding="utf-8") as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    cve_id = str(json.loads(line).get("id", ""))
                    if cve_id not in fresh and cve_id not in gone:
                        packed.write(line.encode("utf-8"))
                        count += 1
        for line in fresh.values():
            packed.write((line + "\n").encode("utf-8"))
            count += 1
    return count


def _nvd_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


# -- EPSS --------------------------------------------------------------------------------


def _update_epss(run: _Run) -> FeedUpdate:
    before = _before(run, "epss")
    url = run.urls["epss"]
    with _download(run, url, run.limits["epss"]) as part:
        table = load_epss(part)
        if not len(table):
            raise FeedFormatError("the EPSS file has no scores")
        target = run.feeds_dir / "epss.csv.gz"
        os.replace(part, target)
    version = table.score_date[:10] or run.now.strftime("%Y-%m-%d")
    run.stamp("epss", target, url, version=version, model=table.model_version, count=len(table))
    return FeedUpdate("epss", before, version)


_UPDATERS = {"kev": _update_kev, "nvd": _update_nvd, "epss": _update_epss}

# -- files and downloads -----------------------------------------------------------------


@contextmanager
def _temporary(folder: Path, suffix: str) -> Iterator[Path]:
    """A temporary file in ``folder`` (same file system: renaming it over a feed is atomic),
    removed afterwards unless it was renamed."""
    handle, name = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def _download(
    run: _Run,
    url: str,
    limit: int,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """The body at ``url`` in a temporary file, at most ``limit`` bytes (else DownloadError).

    HTTP 403/429/5xx are retried twice after a pause (NVD answers 403 when rate-limited).
    """
    with _temporary(run.feeds_dir, ".download") as path:
        if url.startswith("file://"):
            source = Path(unquote(urlparse(url).path))
            if source.stat().st_size > limit:
                raise DownloadError(f"{source} is larger than {limit:,} bytes")
            shutil.copyfile(source, path)
            yield path
            return
        for attempt in range(3):
            with run.client.stream("GET", url, params=params, headers=headers) as response:
                if response.status_code in _RETRY_STATUSES and attempt < 2:
                    time.sleep(min(30.0, max(run.nvd_delay, 1.0) * (attempt + 1)))
                    continue
                if response.status_code != 200:
                    raise DownloadError(f"{url} answered HTTP {response.status_code}")
                _save(response, path, limit, url)
                break
        yield path


def _save(response: httpx.Response, path: Path, limit: int, url: str) -> None:
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise DownloadError(f"{url} announces {int(announced):,} bytes, above {limit:,}")
    size = 0
    with path.open("wb") as out:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise DownloadError(f"{url} sent more than {limit:,} bytes")
            out.write(chunk)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The manifest, or an empty one when missing or damaged: the feeds updated now rewrite
    it (a file the manifest does not list is not loaded)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def _write_json(path: Path, data: object) -> None:
    with _temporary(path.parent, ".json") as part:
        part.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(part, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
