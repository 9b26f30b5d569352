"""FIRST EPSS CSV parser.

tests/intel/data/epss/epss_scores-2025-08-25.csv is hand-written following the published
daily format (a ``#model_version:…,score_date:…`` line, then ``cve,epss,percentile``); its
scores are illustrative.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from rempart.intel.epss import load_epss, parse_epss
from rempart.intel.streaming import FeedFormatError

SAMPLE = Path(__file__).parent / "data/epss/epss_scores-2025-08-25.csv"


@pytest.mark.parametrize("packed", [False, True])
def test_the_daily_file_plain_or_gzipped(packed: bool) -> None:
    raw = SAMPLE.read_bytes()
    table = parse_epss(io.BytesIO(gzip.compress(raw) if packed else raw))
    assert (table.model_version, table.score_date) == ("v2025.03.14", "2025-08-25T12:55:00Z")
    assert len(table) == 4
    assert table.get("CVE-2021-44228") == (0.94358, 0.99962)
    assert table.get("cve-2017-0144") == (0.94433, 0.99977)
    assert table.get("CVE-1999-0001") == (0.01025, 0.76554)
    assert table.get("CVE-2021-4422") is None  # a prefix of a listed id is not that id
    assert table.get("not a cve") is None


def test_lookups_do_not_depend_on_the_files_order() -> None:
    # Sorted as text, CVE-2021-10000 comes before CVE-2021-9999; the table sorts by number.
    rows = ["cve,epss,percentile", "CVE-2021-10000,0.2,0.5", "CVE-2021-9999,0.1,0.4"]
    text = "\n".join([*rows, "CVE-2020-0005,0.3,0.6", ""])
    table = parse_epss(io.BytesIO(text.encode()))
    assert table.model_version == ""  # older files have no comment line
    assert [table.get(c) for c in ("CVE-2021-9999", "CVE-2021-10000", "CVE-2020-0005")] == [
        (0.1, 0.4),
        (0.2, 0.5),
        (0.3, 0.6),
    ]


def test_a_header_only_file_is_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "e.csv.gz"
    path.write_bytes(
        gzip.compress(b"#model_version:v1,score_date:2025-01-01\ncve,epss,percentile\n")
    )
    assert len(load_epss(path)) == 0


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html>Access denied</html>\n", "not an EPSS file"),
        (b"cve,epss,percentile\nCVE-2021-44228,high,0.9\n", "line 2"),
        (b"cve,epss,percentile\nCVE-2021-44228,1.5,0.9\n", "line 2"),  # not a probability
        (b"cve,epss,percentile\nCVE-21-1,0.1,0.9\n", "line 2"),
        (gzip.compress(b"cve,epss,percentile\nCVE-2021-44228,0.9,0.9\n")[:-12], "unreadable"),
    ],
)
def test_what_is_not_an_epss_file_is_refused_with_a_reason(payload: bytes, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse_epss(io.BytesIO(payload))
