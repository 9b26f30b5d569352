"""The diagnostic and its loader are plain Python: no framework, nothing above them.

import-linter enforces it too ("The diagnostic is plain Python"); this test reads the import
statements, so it also holds in a run without import-linter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rempart.diagnostic
import rempart.knowledge.questionnaire

FORBIDDEN = ("django", "celery", "rest_framework", "rempart.web", "rempart.lab", "rempart.cli")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_diagnostic_module_imports_a_framework_or_an_upper_layer() -> None:
    paths = [
        *Path(rempart.diagnostic.__file__).parent.rglob("*.py"),
        Path(rempart.knowledge.questionnaire.__file__),
    ]
    assert len(paths) >= 5
    offenders = [
        f"{path.name}: {name}"
        for path in paths
        for name in _imports(path)
        if name.startswith(FORBIDDEN) or name.startswith("rempart.engine")
    ]
    assert offenders == []
