"""rempart.intel is plain Python: no web framework, no job queue, and never the importers
(they import intel, not the other way round). Read from the import statements, so it also
holds for frameworks that are not installed."""

import ast
from pathlib import Path

import rempart.intel

FORBIDDEN = (
    "django",
    "celery",
    "rest_framework",
    "rempart.web",
    "rempart.lab",
    "rempart.cli",
    "rempart.importers",
    "yaml",  # PyYAML is for scripts/build_intel_snapshot.py only
)


def test_no_intel_module_imports_a_framework_an_upper_layer_or_the_importers() -> None:
    root = Path(rempart.intel.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
