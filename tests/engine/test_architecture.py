"""Style rule 1: the engine imports no web framework, no job queue, nothing above it.

import-linter (run by scripts/test.sh) enforces the in-project layers; this test also
covers third-party frameworks that are not installed yet, by reading the import statements.
"""

import ast
from pathlib import Path

import rempart.engine

FORBIDDEN = ("django", "celery", "rest_framework", "rempart.web", "rempart.lab", "rempart.cli")


def test_no_engine_module_imports_a_framework_or_an_upper_layer():
    root = Path(rempart.engine.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(FORBIDDEN):
                    offenders.append(f"{path.relative_to(root)}: {name}")
    assert not offenders
