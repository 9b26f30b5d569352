"""Build the OSV snapshot shipped in ``rempart.intel.data`` from the PyPA advisory database.

    .venv/bin/python scripts/build_intel_snapshot.py --osv-dir /work/shared/data/osv-pypi/vulns

Reads every ``vulns/<package>/PYSEC-….yaml`` (one OSV record in YAML, CC-BY-4.0, see the
README beside the folder), keeps the fields matching and display need (``compact_record``:
id, aliases, summary, CVSS vectors, ECOSYSTEM ranges, versions, dates, a few references),
drops withdrawn records, and writes ``osv-pypi.jsonl.gz`` (one record a line, sorted by id,
gzip without a timestamp: the same input gives the same bytes) and ``manifest.json`` with the
source commit and date, read from that README unless ``--commit``/``--date`` say otherwise.

PyYAML is used here only (it is in the venv as a dependency of drf-spectacular); rempart
itself never parses YAML feeds at run time. YAML is read with the BaseLoader: every scalar
stays a string, so a version ``2.10`` is not turned into the float 2.1, nor a date into a
datetime.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from rempart.intel.osv_records import compact_record, write_jsonl_gz

DATA = Path(__file__).resolve().parent.parent / "src" / "rempart" / "intel" / "data"
SNAPSHOT = "osv-pypi.jsonl.gz"
# libyaml's C loader when PyYAML was built with it (ten times faster), same semantics.
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def read_records(folder: Path) -> tuple[list[dict[str, Any]], int]:
    """Every record of the folder, sorted by id, and how many were withdrawn."""
    records: list[dict[str, Any]] = []
    withdrawn = 0
    for path in sorted(folder.rglob("*.yaml")):
        with path.open(encoding="utf-8") as stream:
            record = yaml.load(stream, Loader=_LOADER)  # noqa: S506 - BaseLoader: strings only
        if not isinstance(record, dict) or "id" not in record:
            raise SystemExit(f"{path}: not an OSV record")
        if record.get("withdrawn"):
            withdrawn += 1
        records.append(record)
    records.sort(key=lambda r: str(r["id"]))
    return records, withdrawn


def provenance(folder: Path) -> tuple[str, str]:
    """(commit, date) from the README beside the ``vulns`` folder, "" when it does not say."""
    readme = folder.parent / "README.md"
    if not readme.is_file():
        return "", ""
    text = readme.read_text(encoding="utf-8")
    commit = re.search(r"Commit: `([0-9a-f]{40})`", text)
    date = re.search(r"committed (\d{4}-\d{2}-\d{2})", text)
    return (commit.group(1) if commit else ""), (date.group(1) if date else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--osv-dir", type=Path, required=True, help="the database's vulns/")
    parser.add_argument("--out", type=Path, default=DATA, help="default: %(default)s")
    parser.add_argument("--commit", default="", help="source commit (default: from README)")
    parser.add_argument("--date", default="", help="source commit date (default: from README)")
    args = parser.parse_args(argv)
    if not args.osv_dir.is_dir():
        parser.error(f"{args.osv_dir} is not a folder")
    records, withdrawn = read_records(args.osv_dir)
    commit, date = provenance(args.osv_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / SNAPSHOT
    written = write_jsonl_gz(records, target)
    kept = [c for c in (compact_record(r) for r in records) if c is not None]
    latest = max((str(r.get("modified", "")) for r in kept), default="")
    manifest = {
        "osv:PyPI": {
            "file": SNAPSHOT,
            "source": "https://github.com/pypa/advisory-database (vulns/)",
            "commit": args.commit or commit,
            "date": args.date or date,
            "latest_modified": latest,
            "records": written,
            "withdrawn_skipped": withdrawn,
            "packages": len({a["package"]["name"] for r in kept for a in r["affected"]}),
            "licence": "CC-BY-4.0",
            "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
            "bytes": target.stat().st_size,
        }
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    print(
        f"{target}: {written} records ({withdrawn} withdrawn skipped), "
        f"{target.stat().st_size:,} bytes; manifest.json written"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
