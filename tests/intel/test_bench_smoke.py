"""bench/intel_match.py builds the SBOM it says and runs (a small size here)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import intel_match


def test_the_benchmark_sbom_mixes_listed_recent_and_unknown_packages() -> None:
    components = intel_match.sbom(400, seed=7)
    assert len(components) == 400
    unknown = [c for c in components if c.name.startswith("acme-internal-lib-")]
    assert len(unknown) == 100
    assert all(c.purl == f"pkg:pypi/{c.name}@{c.version}" for c in components)


def test_the_benchmark_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    assert intel_match.main(["--components", "200"]) == 0
    out = capsys.readouterr().out
    assert "matches found" in out and "peak RSS" in out
