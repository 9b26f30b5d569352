"""Exports of findings: CSV safe for spreadsheets, JSON like the API, SARIF 2.1.0."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest
from django.utils import timezone

from rempart.web.api.exports import COLUMNS, finding_row, safe_cell
from rempart.web.api.finding_serializers import FindingExportSerializer
from rempart.web.findings.models import Finding
from tests.web.api.conftest import make_finding


def _get(api, world, fmt: str, who: str = "bob", **params):
    response = api[who].get(f"/api/organisations/{world.org_a.pk}/findings/export.{fmt}", params)
    assert response.status_code == 200, response.status_code
    return response, b"".join(
        response.streaming_content
    ) if response.streaming else response.content


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+33 1 23", "'+33 1 23"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "true"),
        (["rempart", "nmap"], "rempart nmap"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_quoted(value, cell):
    assert safe_cell(value) == cell


def test_the_csv_is_utf8_with_a_bom_and_neutralises_formulas(api, world):
    make_finding(
        world.org_a,
        world.asset_a,
        title="=cmd|' /C calc'!A0",
        location="@évènement.boulangerie-alice.lab",
        evidence="-2+3",
    )
    response, body = _get(api, world, "csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0]["title"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["location"] == "'@évènement.boulangerie-alice.lab"
    assert rows[0]["evidence"] == "'-2+3"


def test_exports_are_not_paginated_and_follow_the_filters(api, world):
    for _ in range(130):
        make_finding(world.org_a, world.asset_a, severity="low")
    make_finding(world.org_a, world.asset_a, "tls.cert.expired", severity="critical")
    make_finding(world.org_b, world.asset_b)
    _, body = _get(api, world, "csv")
    assert len(list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))) == 131
    _, body = _get(api, world, "json", severity="critical")
    assert [row["check_id"] for row in json.loads(body)] == ["tls.cert.expired"]
    _, body = _get(api, world, "sarif", check_id="tls.")
    assert len(json.loads(body)["runs"][0]["results"]) == 1


def test_a_bad_filter_on_an_export_is_a_400(api, world):
    url = f"/api/organisations/{world.org_a.pk}/findings/export.csv"
    assert api["bob"].get(url, {"severity": "urgent"}).status_code == 400


def test_the_json_rows_are_what_the_export_serializer_documents(api, world):
    finding = make_finding(world.org_a, world.asset_a, references=["https://example.org/x"])
    orphan = make_finding(world.org_a, None, "nmap.smb-vuln", title="SMB")
    _, body = _get(api, world, "json")
    rows = {row["id"]: row for row in json.loads(body)}
    for item in (finding, orphan):
        found = Finding.objects.select_related("asset").get(pk=item.pk)
        documented = json.loads(json.dumps(FindingExportSerializer(found).data))
        assert rows[str(item.pk)] == documented
        assert finding_row(found, timezone.localdate()).keys() == documented.keys()


# The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) the export produces.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "$schema", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription"],
                                            "properties": {
                                                "shortDescription": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                },
                                                "defaultConfiguration": {
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    }
                                                },
                                            },
                                        },
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "message": {"type": "object", "required": ["text"]},
                                "partialFingerprints": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "logicalLocations": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "required": ["name"],
                                                },
                                            },
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                            },
                                        },
                                    },
                                },
                                "properties": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_the_sarif_log_has_one_run_whose_rules_cover_every_result(api, world):
    make_finding(world.org_a, world.asset_a, "mail.spf.missing")
    make_finding(
        world.org_a, world.asset_a, "mail.spf.missing", location="mx.boulangerie-alice.lab"
    )
    late = make_finding(
        world.org_a,
        world.asset_a,
        "web.hsts.missing",
        severity="medium",
        location="https://boulangerie-alice.lab/",
        known_exploited=True,
    )
    make_finding(world.org_a, None, "nuclei.exposed-panel", title="Exposed panel", severity="low")
    response, body = _get(api, world, "sarif")
    assert response["Content-Type"].startswith("application/sarif+json")
    log = json.loads(body)
    jsonschema.validate(log, SARIF_SUBSET)
    assert log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "rempart"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules)) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    by_rule = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert by_rule["mail.spf.missing"]["shortDescription"]["text"] == "No SPF record"
    assert by_rule["nuclei.exposed-panel"]["shortDescription"]["text"] == "Exposed panel"
    web = next(r for r in run["results"] if r["ruleId"] == "web.hsts.missing")
    assert web["level"] == "warning"
    assert web["partialFingerprints"] == {"rempartFinding/v1": late.fingerprint}
    assert web["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == late.location
    assert web["properties"]["status"] == "open"
    assert web["properties"]["knownExploited"] is True
    assert web["properties"]["dueDate"] == late.due_date.isoformat()


def test_an_outsider_gets_404_in_every_format_and_nothing_of_a(api, world):
    make_finding(world.org_a, world.asset_a, title="Secret of A")
    for fmt in ("json", "csv", "sarif"):
        url = f"/api/organisations/{world.org_a.pk}/findings/export.{fmt}"
        response = api["charlie"].get(url)
        assert response.status_code == 404
        assert b"Secret of A" not in response.content
