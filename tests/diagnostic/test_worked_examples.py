"""The worked examples of docs/maturity.md are what the code computes: doc and code cannot drift."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from rempart.diagnostic.maturity import score
from rempart.diagnostic.model import EvidenceFinding, Maturity
from rempart.diagnostic.plan import build_plan
from tests.diagnostic.support import DOC, example

BLOCK = re.compile(r"```toml\n(# worked example: (.+?)\n.*?)```", re.S)
TABLE_START = "<!-- example-questionnaire -->"


def _examples() -> list[tuple[str, dict[str, Any]]]:
    return [(name, tomllib.loads(body)) for body, name in BLOCK.findall(DOC.read_text("utf-8"))]


def _none(value: object) -> object:
    return None if value == "none" else value


def test_the_doc_holds_the_worked_examples_the_issue_asks_for() -> None:
    names = [name for name, _ in _examples()]
    assert len(names) >= 6, names
    assert any("don't know" in name or "does not know" in name for name in names)
    assert any("fatal gap" in name for name in names)
    assert any("plan" in name for name in names)


@pytest.mark.parametrize(("name", "case"), _examples(), ids=[name for name, _ in _examples()])
def test_worked_example(name: str, case: dict[str, Any]) -> None:
    findings = [EvidenceFinding(title=f["check_id"], **f) for f in case.get("findings", [])]
    maturity = score(example(), case["answers"], findings)
    expected = case["expected"]

    assert (maturity.raw, maturity.index, maturity.level) == (
        expected["raw"],
        expected["index"],
        expected["level"],
    )
    assert (maturity.applicable, maturity.answered, maturity.unknown) == (
        expected["applicable"],
        expected["answered"],
        expected["unknown"],
    )
    assert [hit.flag.id for hit in maturity.red_flags] == expected["red_flags"]
    assert [hit.rule.id for hit in maturity.contradictions] == expected["contradictions"]
    _check_themes(maturity, expected.get("themes", {}))
    if "plan" in expected:
        plan = build_plan(example(), case["answers"], maturity, findings, "en")
        got = [{"key": a.key, "priority": a.priority, "severity": a.severity} for a in plan]
        assert got == expected["plan"]


def _check_themes(maturity: Maturity, expected: dict[str, dict[str, Any]]) -> None:
    themes = {theme.theme: theme for theme in maturity.themes}
    for theme_id, values in expected.items():
        theme = themes[theme_id]
        assert (theme.raw, theme.index) == (_none(values["raw"]), _none(values["index"])), theme_id
        assert list(theme.capped_by) == values.get("capped_by", []), theme_id


def test_the_example_table_of_the_doc_describes_the_example_questionnaire() -> None:
    text = DOC.read_text("utf-8")
    rows = text[text.index(TABLE_START) :].split("\n\n", 1)[0].splitlines()[3:]
    described = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        choices = re.findall(r"(\w+) (\d)", cells[3].split("(and")[0])
        skip = re.findall(r"`([\w.]+)` = (\w+)", cells[4])
        described[cells[0].strip("`")] = (
            cells[1],
            float(cells[2]),
            [(choice, int(value)) for choice, value in choices],
            "`na`" in cells[3],
            {context: frozenset({choice}) for context, choice in skip},
        )
    actual = {
        q.id: (
            q.theme,
            q.weight,
            [(c.id, c.value) for c in q.choices if c.value is not None],
            q.choice("na") is not None,
            dict(q.skip_if),
        )
        for q in example().questions
        if q.kind == "scored"
    }
    assert described == actual
