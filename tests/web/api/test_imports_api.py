"""Imports through the API: upload (multipart), the job's record, limits, rights, inventory."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from rempart.web.imports.models import Alert, Import, ImportStatus
from rempart.web.imports.services import run_import
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.imports.conftest import REPORTS
from tests.web.imports.test_reimport import RDP_AND_SMB, T0, nmap_xml


def _url(world, org=None) -> str:
    return f"/api/organisations/{(org or world.org_a).pk}/imports/"


def _upload(api, world, data: bytes, name: str, who: str = "alice", **fields):
    body = {"file": SimpleUploadedFile(name, data), **fields}
    return api[who].post(_url(world), body, format="multipart")


def test_an_upload_is_accepted_as_a_job_then_done(api, world, settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path
    response = _upload(api, world, nmap_xml(RDP_AND_SMB, start=T0), "office.xml", scope="office")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["file_name"], body["scope"]) == ("queued", "office.xml", "office")
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_IMPORTED, object_id=body["id"])
    run_import(body["id"])  # what the worker does with the queued job
    done = api["bob"].get(f"/api/imports/{body['id']}/").json()
    assert (done["status"], done["progress"], done["tool"]) == ("done", 100, "nmap")
    assert done["counts"]["opened"] == 2
    listed = api["bob"].get(_url(world)).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_a_member_reads_but_cannot_upload_and_another_business_sees_nothing(
    api, world, tmp_path, settings
):
    settings.IMPORTS_DIR = tmp_path
    assert _upload(api, world, b"<nmaprun/>", "a.xml", who="bob").status_code == 403
    assert _upload(api, world, b"<nmaprun/>", "a.xml", who="charlie").status_code == 404
    assert not Import.objects.exists()
    ok = _upload(api, world, b"<nmaprun/>", "a.xml", who="dave")  # the IT provider may
    assert ok.status_code == 202
    assert api["charlie"].get(f"/api/imports/{ok.json()['id']}/").status_code == 404


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(api, world, settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path
    settings.REMPART_IMPORT_MAX_BYTES = 200 * 1024
    response = _upload(api, world, b"x" * (400 * 1024), "huge.xml")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert not Import.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_declared_two_gigabyte_body_is_refused_before_it_is_read(api, world, settings):
    settings.REMPART_IMPORT_MAX_BYTES = 1024 * 1024
    response = api["alice"].generic(
        "POST",
        _url(world),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    assert response.status_code == 413


def test_an_unknown_format_is_a_field_error(api, world, settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path
    response = _upload(api, world, b"<nmaprun/>", "a.xml", format="nessus-v9")
    assert response.status_code == 400
    assert "file" in response.json()


def test_formats_and_feeds_are_listed(api, world):
    names = {f["name"] for f in api["bob"].get("/api/import-formats/").json()}
    assert {"nmap-xml", "nuclei-jsonl", "sarif", "cyclonedx-json", "generic-json"} <= names
    feeds = {f["name"]: f["version"] for f in api["bob"].get("/api/feeds/").json()}
    assert feeds.get("kev")


def test_the_inventory_lists_vulnerable_components_with_the_version_to_install(
    api, world, settings, tmp_path
):
    settings.IMPORTS_DIR = tmp_path
    sbom = (REPORTS / "cyclonedx" / "jake2.json").read_bytes()
    response = _upload(api, world, sbom, "jake2.json")
    run_import(response.json()["id"])
    assert Import.objects.get(pk=response.json()["id"]).status == ImportStatus.DONE
    page = api["bob"].get(f"/api/organisations/{world.org_a.pk}/components/?limit=500").json()
    assert page["count"] >= 60
    vulnerable = [c for c in page["results"] if c["vulnerabilities"]]
    assert vulnerable, "jake2.json lists components with known advisories"
    assert any(v["fix"] for c in vulnerable for v in c["vulnerabilities"])
    other = api["charlie"].get(f"/api/organisations/{world.org_a.pk}/components/")
    assert other.status_code == 404


def test_alerts_are_listed_for_their_organisation_only(api, world):
    Alert.objects.create(
        organisation=world.org_a, kind="kev_hit", cve="CVE-2017-0144", subject="127.20.0.9:445"
    )
    rows = api["bob"].get(f"/api/organisations/{world.org_a.pk}/alerts/").json()["results"]
    assert [(r["cve"], r["subject"]) for r in rows] == [("CVE-2017-0144", "127.20.0.9:445")]
    assert api["charlie"].get(f"/api/organisations/{world.org_a.pk}/alerts/").status_code == 404
