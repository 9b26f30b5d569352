"""The OpenAPI schema describes every endpoint and generates without a single warning."""

from __future__ import annotations

import re

import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver


def _api_routes() -> set[str]:
    """Every /api/ route, written like the schema writes its paths."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/"):
                found.add("/" + re.sub(r"<(?:[\w]+:)?(\w+)>", r"{\1}", route).replace(".{", "{"))

    walk(get_resolver().url_patterns, "")
    return found - {"/api/schema/"}


def test_the_schema_generates_without_warnings_and_covers_every_route(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any inference problem into an error, --validate checks OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    routes = _api_routes()
    assert len(routes) >= 15
    assert routes <= set(schema["paths"]), routes - set(schema["paths"])


def test_every_operation_documents_its_answers_and_its_authentication(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert codes & {"200", "201", "202", "204"}, (method, path)
            if path == "/api/token/":
                assert "429" in codes and operation.get("security") in (None, [], [{}])
                continue
            # Paths naming no object cannot answer 404.
            objectless = (
                "/api/me/",
                "/api/organisations/",
                "/api/feeds/",
                "/api/import-formats/",
                "/api/questionnaire/",
            )
            assert {"401", "404"} <= codes or path in objectless
            assert "401" in codes
            assert {"tokenAuth", "cookieAuth"} <= {k for s in operation["security"] for k in s}
            if method in ("post", "delete"):
                assert {"400", "403"} <= codes, (method, path)
