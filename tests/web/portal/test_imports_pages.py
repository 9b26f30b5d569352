"""The portal's imports, software and alerts pages; CVE facts on a finding.

Uploads go through the portal's form like a browser's, and their import job runs through the
real queue (Celery in eager mode, started when the upload's transaction commits). Reports are
real tool output (tests/data/reports, see its README). alice owns business A, bob is a
read-only member of it, dave is the IT provider of A and B, olga is a center analyst.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rempart.web.findings.models import Finding
from rempart.web.imports.models import Alert, Component, Import, ImportStatus
from tests.web.conftest import otp_login
from tests.web.portal.factories import save_finding

REPORTS = Path(__file__).resolve().parents[2] / "data" / "reports"
NMAP = REPORTS / "nmap" / "nmap_multiple_port.xml"
JAKE = REPORTS / "cyclonedx" / "jake2.json"
POLLING = 'hx-trigger="every 1s"'


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    """Jobs run in this process when the request that queued them commits (REMPART_TASKS_EAGER
    for the test): the upload's ``on_commit`` sends the task, Celery runs it eagerly."""
    from rempart.web.celery_app import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True

    @contextmanager
    def running():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    yield running
    app.conf.task_always_eager = before


def imports_url(org) -> str:
    return reverse("portal:imports", kwargs={"org": org.pk})


def upload(client, org, name: str, data: bytes, **fields: str):
    return client.post(imports_url(org), {"file": SimpleUploadedFile(name, data), **fields})


def upload_and_run(client, jobs, org, path: Path, **fields: str):
    with jobs():
        response = upload(client, org, path.name, path.read_bytes(), **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


def stored_files(settings) -> list[Path]:
    root = Path(settings.IMPORTS_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# -- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "form"), [("alice", True), ("dave", True), ("bob", False)])
def test_owners_and_providers_get_the_upload_form_members_only_the_history(
    client, world, who, form
):
    Import.objects.create(
        organisation=world.org_a,
        uploaded_by=world.alice,
        file_name="office-network.xml",
        stored_as="x",
        size=10,
        sha256="a" * 64,
        tool="nmap",
        scope="office network",
        status=ImportStatus.DONE,
        counts={"opened": 4, "reopened": 1, "fixed": 2},
    )
    otp_login(client, getattr(world, who))
    body = client.get(imports_url(world.org_a)).content.decode()
    assert "office-network.xml" in body and "office network" in body
    assert ">4<" in body and ">2<" in body and world.alice.email in body
    assert ('id="import-form"' in body) is form
    if form:
        assert 'enctype="multipart/form-data"' in body
        assert '<option value="office network">' in body  # the scopes already used
        assert '<option value="nmap-xml">' in body  # every format rempart reads
        assert "Detect automatically" in body


def test_the_center_analyst_reads_the_pages_but_gets_no_form(client, world):
    otp_login(client, world.olga)
    for name in ("portal:imports", "portal:software", "portal:alerts"):
        response = client.get(reverse(name, kwargs={"org": world.org_a.pk}))
        assert response.status_code == 200, name
        assert 'id="import-form"' not in response.content.decode()


@pytest.mark.parametrize("who", ["bob", "olga", "charlie"])
def test_an_upload_by_someone_who_may_not_act_is_refused_and_stores_nothing(
    client, world, settings, who
):
    otp_login(client, getattr(world, who))
    response = upload(client, world.org_a, NMAP.name, NMAP.read_bytes())
    assert response.status_code == 404
    assert not Import.objects.exists() and not stored_files(settings)


def test_the_menu_leads_to_imports_software_and_alerts(client, world):
    otp_login(client, world.bob)
    body = client.get(reverse("portal:dashboard", kwargs={"org": world.org_a.pk})).content.decode()
    for name in ("portal:imports", "portal:software", "portal:alerts"):
        assert f'href="{reverse(name, kwargs={"org": world.org_a.pk})}"' in body


# -- uploads ----------------------------------------------------------------------------------


def test_an_nmap_report_uploaded_in_the_portal_is_imported_and_its_findings_shown(
    client, world, jobs
):
    otp_login(client, world.alice)
    page = upload_and_run(client, jobs, world.org_a, NMAP, scope="office network")
    body = page.content.decode()
    report = Import.objects.get()
    assert report.status == ImportStatus.DONE, report.error
    assert report.uploaded_by == world.alice and report.scope == "office network"
    assert report.tool == "nmap" and report.tool_version == "7.12"
    assert "Import of nmap_multiple_port.xml" in body
    assert report.sha256 in body  # the file's fingerprint, for audit
    assert POLLING not in body  # finished: no polling
    # The sample's host 198.38.82.159 (joaquinlp.me) has FTP (21) and MySQL (3306) open.
    checks = set(
        Finding.objects.filter(organisation=world.org_a).values_list("check_id", "location")
    )
    assert ("net.exposed.ftp", "198.38.82.159:21") in checks
    assert ("net.exposed.database", "198.38.82.159:3306") in checks
    assert f"<strong>{report.counts['opened']}</strong> new problems" in body
    assert report.counts["opened"] >= 2
    findings = client.get(reverse("portal:findings", kwargs={"org": world.org_a.pk}))
    assert "198.38.82.159:3306" in findings.content.decode()
    history = client.get(imports_url(world.org_a)).content.decode()
    assert "nmap_multiple_port.xml" in history and "office network" in history


def test_an_upload_over_the_size_limit_is_refused_while_it_streams(client, world, settings):
    """The file is bigger than the limit but the request is not declared too big: the upload
    handler cuts it off at the limit, and nothing is kept."""
    settings.REMPART_IMPORT_MAX_BYTES = 2048
    otp_login(client, world.alice)
    data = NMAP.read_bytes()
    assert len(data) > 2048
    response = upload(client, world.org_a, NMAP.name, data)
    assert response.status_code == 413
    body = response.content.decode()
    assert "larger than the limit of 1 MB" in body and "nothing was stored" in body
    assert 'id="import-form"' in body  # the form is there to try again
    assert not Import.objects.exists() and not stored_files(settings)


def test_an_upload_declared_too_large_is_refused_before_it_is_read(client, world, settings):
    settings.REMPART_IMPORT_MAX_BYTES = 1024
    otp_login(client, world.alice)
    response = upload(client, world.org_a, "huge.xml", b"<nmaprun>" + b" " * 200_000)
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    assert not Import.objects.exists() and not stored_files(settings)


def test_an_unknown_format_is_refused_on_the_form(client, world, settings):
    otp_login(client, world.alice)
    unknown = upload(client, world.org_a, NMAP.name, NMAP.read_bytes(), format="word-docx")
    assert unknown.status_code == 400
    body = unknown.content.decode()
    assert "The report was not imported." in body and "word-docx" in body
    assert 'href="#import_format"' in body  # the error summary leads to the field
    assert not Import.objects.exists() and not stored_files(settings)


def test_an_empty_file_fails_its_import_with_a_sentence(client, world, jobs):
    """An empty file is a valid Nuclei report ("nothing found"), so the upload is accepted;
    as an nmap report it is not, and the job says so."""
    otp_login(client, world.alice)
    with jobs():
        response = upload(client, world.org_a, "empty.xml", b"", format="nmap-xml")
    body = client.get(response["Location"]).content.decode()
    report = Import.objects.get()
    assert report.status == ImportStatus.FAILED
    assert report.error == "empty.xml: the file is empty"
    assert "empty.xml: the file is empty" in body


def test_a_malformed_report_fails_with_a_sentence_naming_the_file(client, world, jobs):
    otp_login(client, world.alice)
    truncated = NMAP.read_bytes()[: len(NMAP.read_bytes()) // 2]
    with jobs():
        response = upload(client, world.org_a, "cut-in-half.xml", truncated)
    page = client.get(response["Location"])
    body = page.content.decode()
    report = Import.objects.get()
    assert report.status == ImportStatus.FAILED
    assert report.error.startswith("cut-in-half.xml: ")
    assert "could not be imported: your findings were not changed" in body
    assert report.error.split(": ", 1)[1] in body.replace("&#x27;", "'")
    assert "Traceback" not in body and 'id="result-heading"' not in body
    assert not Finding.objects.filter(organisation=world.org_a).exists()


# -- progress ---------------------------------------------------------------------------------


def test_the_progress_fragment_polls_while_the_import_runs_and_stops_when_it_is_done(client, world):
    report = Import.objects.create(
        organisation=world.org_a,
        file_name="big.xml",
        stored_as="x",
        size=10,
        sha256="b" * 64,
        status=ImportStatus.RUNNING,
        stage="reading",
        progress=42,
    )
    otp_login(client, world.bob)
    url = reverse("portal:import_progress", kwargs={"report": report.pk})
    running = client.get(url).content.decode()
    assert POLLING in running and f'hx-get="{url}"' in running
    assert 'value="42"' in running and "42 % done" in running
    page = client.get(reverse("portal:import", kwargs={"report": report.pk})).content.decode()
    region = page.index('aria-live="polite"')
    assert region < page.index(POLLING) < page.index("</section>", region)
    Import.objects.filter(pk=report.pk).update(
        status=ImportStatus.DONE, progress=100, stage="", finished_at=timezone.now()
    )
    finished = client.get(url).content.decode()
    assert POLLING not in finished and "hx-get" not in finished
    assert reverse("portal:import", kwargs={"report": report.pk}) in finished


def test_the_import_page_lists_what_was_not_imported_and_why(client, world):
    report = Import.objects.create(
        organisation=world.org_a,
        file_name="zap.xml",
        stored_as="x",
        size=2048,
        sha256="c" * 64,
        tool="zap",
        status=ImportStatus.DONE,
        counts={
            "opened": 3,
            "reopened": 0,
            "fixed": 1,
            "seen": 0,
            "observations": 9,
            "statuses": {"fail": 5, "info": 4},
            "findings": 3,
            "merged": 2,
            "components": 0,
            "not_imported": {"alert without any instance": 2, "false positive (confidence 0)": 5},
        },
    )
    otp_login(client, world.bob)
    body = client.get(reverse("portal:import", kwargs={"report": report.pk})).content.decode()
    assert "What was not imported, and why" in body
    assert "7 items of the report did not become findings" in body
    # The most frequent reason first.
    assert body.index("false positive (confidence 0)") < body.index("alert without any instance")
    assert "5 problems" in body and "4 for information" in body and "2 duplicates merged" in body


# -- software ---------------------------------------------------------------------------------


def test_the_software_page_explains_how_to_add_a_list_when_empty(client, world):
    otp_login(client, world.bob)
    body = client.get(reverse("portal:software", kwargs={"org": world.org_a.pk})).content.decode()
    assert "No software is known yet." in body and "CycloneDX" in body
    assert f'href="{imports_url(world.org_a)}"' in body


def _software_sections(client, org) -> tuple[str, str]:
    body = client.get(reverse("portal:software", kwargs={"org": org.pk})).content.decode()
    vulnerable, others = body.index('id="vulnerable-heading"'), body.index('id="other-heading"')
    return body[vulnerable:others], body[others:]


def _article(section: str, name: str) -> str:
    """The card of one component in the vulnerable section."""
    start = section.index(f"<h3>{name} ")
    return section[start : section.index("</article>", start)]


def test_an_sbom_lists_its_vulnerable_components_first_with_the_version_to_install(
    client, world, jobs
):
    otp_login(client, world.alice)
    upload_and_run(client, jobs, world.org_a, JAKE, scope="shop backend")
    report = Import.objects.get()
    assert report.status == ImportStatus.DONE, report.error
    assert Component.objects.filter(organisation=world.org_a).count() == 67
    vulnerable, others = _software_sections(client, world.org_a)
    # The SBOM's own vulnerabilities: 7 OSS Index advisories of Django 2.0.
    django = _article(vulnerable, "Django")
    assert "listed by cyclonedx (shop backend)" in django  # the tool and scope of its import
    for cve in ("CVE-2018-6188", "CVE-2019-6975", "CVE-2021-33203", "CVE-2019-3498"):
        assert cve in django
    finding = Finding.objects.get(organisation=world.org_a, check_id="vuln.CVE-2021-33203")
    assert reverse("portal:finding", kwargs={"finding": finding.pk}) in django
    # Matched by the PyPI advisories of the package snapshot (OSV, 2024-10-10): cryptography
    # 36.0.1 is hit by CVE-2023-49083 (fixed in 41.0.6) and CVE-2023-23931 (fixed in 39.0.1).
    cryptography = _article(vulnerable, "cryptography")
    assert "CVE-2023-49083" in cryptography and "41.0.6" in cryptography
    assert "CVE-2023-23931" in cryptography and "39.0.1" in cryptography
    assert "CVE-2023-32681" in _article(vulnerable, "requests")  # fixed in 2.31.0
    assert "2.31.0" in _article(vulnerable, "requests")
    assert '<th scope="row">attrs</th>' in others  # nothing known against it
    assert "Django" not in others and "cryptography" not in others
    # 67 components, 50 a page: the rest of the inventory is on page 2, by name.
    url = reverse("portal:software", kwargs={"org": world.org_a.pk})
    second = client.get(url, {"page": 2}).content.decode()
    assert '<th scope="row">webencodings</th>' in second
    assert 'id="vulnerable-heading"' not in second


def test_the_fixed_version_known_by_the_advisories_reaches_a_finding_the_sbom_opened(
    client, world, jobs
):
    otp_login(client, world.alice)
    upload_and_run(client, jobs, world.org_a, JAKE)
    finding = Finding.objects.get(organisation=world.org_a, check_id="vuln.CVE-2021-33203")
    assert "2.2.24" in finding.fix


def test_the_software_page_marks_known_exploited_and_ransomware_vulnerabilities(client, world):
    Component.objects.create(
        organisation=world.org_a,
        scope="inventory:office",
        name="FortiOS",
        version="7.0.1",
        vendor="Fortinet",
    )
    Component.objects.create(
        organisation=world.org_a, scope="inventory:office", name="Notepad++", version="8.6"
    )
    kev = save_finding(
        world.org_a,
        check_id="vuln.CVE-2022-42475",
        location="fortios@7.0.1",
        severity="critical",
        known_exploited=True,
        ransomware=True,
        fix="7.0.9",
    )
    otp_login(client, world.bob)
    body = client.get(reverse("portal:software", kwargs={"org": world.org_a.pk})).content.decode()
    section = body[body.index('id="vulnerable-heading"') : body.index('id="other-heading"')]
    assert "FortiOS" in section and "7.0.9" in section
    assert "Known exploited" in section and "Used by ransomware" in section
    assert reverse("portal:finding", kwargs={"finding": kev.pk}) in section
    assert "Notepad++" in body[body.index('id="other-heading"') :]
    assert "inventory (office)" in body


# -- alerts -----------------------------------------------------------------------------------


def _alerts(world) -> tuple[Alert, Alert]:
    finding = save_finding(
        world.org_a,
        check_id="vuln.CVE-2024-3400",
        location="pan-os@10.2.9",
        severity="critical",
        known_exploited=True,
    )
    on_finding = Alert.objects.create(
        organisation=world.org_a,
        kind="kev_hit",
        cve="CVE-2024-3400",
        subject="pan-os@10.2.9",
        detail={"name": "Palo Alto Networks PAN-OS Command Injection", "ransomware": False},
        finding=finding,
    )
    on_component = Alert.objects.create(
        organisation=world.org_a,
        kind="kev_hit",
        cve="CVE-2023-4966",
        subject="NetScaler ADC 13.1",
        detail={"name": "Citrix Bleed", "ransomware": True, "epss": 0.9431},
    )
    return on_finding, on_component


def test_unread_alerts_show_on_the_dashboard_and_in_the_menu(client, world):
    on_finding, _on_component = _alerts(world)
    otp_login(client, world.bob)
    body = client.get(reverse("portal:dashboard", kwargs={"org": world.org_a.pk})).content.decode()
    assert "2 alerts: attackers exploit vulnerabilities that hit you" in body
    assert "Known exploited vulnerability CVE-2024-3400 hits pan-os@10.2.9." in body
    assert "Known exploited vulnerability CVE-2023-4966 hits NetScaler ADC 13.1." in body
    assert "Ransomware gangs use it." in body
    assert reverse("portal:finding", kwargs={"finding": on_finding.finding_id}) in body
    assert '<span class="count-badge">2<' in body
    Alert.objects.update(read_at=timezone.now())
    quiet = client.get(reverse("portal:dashboard", kwargs={"org": world.org_a.pk})).content
    assert b"alerts-heading" not in quiet and b"count-badge" not in quiet


def test_a_member_marks_an_alert_as_read(client, world):
    on_finding, on_component = _alerts(world)
    otp_login(client, world.bob)
    alerts_url = reverse("portal:alerts", kwargs={"org": world.org_a.pk})
    body = client.get(alerts_url).content.decode()
    assert "Citrix Bleed" in body and "94.31 %" in body  # EPSS as a percentage
    read_url = reverse("portal:alert_read", kwargs={"alert": on_component.pk})
    assert f'action="{read_url}"' in body
    response = client.post(read_url, {"next": alerts_url})
    assert response.status_code == 302 and response["Location"] == alerts_url
    on_component.refresh_from_db()
    on_finding.refresh_from_db()
    assert on_component.read_at is not None and on_finding.read_at is None
    after = client.get(alerts_url).content.decode()
    assert "Marked as read on" in after and f'action="{read_url}"' not in after


def test_marking_read_ignores_a_next_page_elsewhere(client, world):
    _on_finding, on_component = _alerts(world)
    otp_login(client, world.alice)
    url = reverse("portal:alert_read", kwargs={"alert": on_component.pk})
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:alerts", kwargs={"org": world.org_a.pk})


@pytest.mark.parametrize("who", ["olga", "charlie"])
def test_only_the_business_people_mark_its_alerts_as_read(client, world, who):
    _on_finding, on_component = _alerts(world)
    otp_login(client, getattr(world, who))
    url = reverse("portal:alert_read", kwargs={"alert": on_component.pk})
    assert client.post(url).status_code == 404
    on_component.refresh_from_db()
    assert on_component.read_at is None


# -- finding detail ---------------------------------------------------------------------------


def test_a_finding_shows_the_facts_of_its_cves_its_sources_and_the_fix(client, world):
    finding = save_finding(
        world.org_a,
        check_id="vuln.CVE-2021-44228",
        location="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        severity="critical",
        known_exploited=True,
        ransomware=True,
        sources=["trivy", "cyclonedx"],
        rule="CVE-2021-44228",
        fix="2.15.0",
        cves=[
            {
                "id": "CVE-2021-44228",
                "kev": True,
                "ransomware": True,
                "kev_date": "2021-12-10",
                "epss": 0.97565,
                "percentile": 0.99996,
                "cvss": 10.0,
                "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            },
            {"id": "CVE-2021-45046", "kev": False, "ransomware": False, "epss": None},
        ],
    )
    otp_login(client, world.bob)
    body = client.get(reverse("portal:finding", kwargs={"finding": finding.pk})).content.decode()
    table = body[
        body.index('id="cve-facts"') : body.index("</table>", body.index('id="cve-facts"'))
    ]
    assert "CVE-2021-44228" in table and "since 2021-12-10" in table
    assert "97.56 %" in table or "97.57 %" in table
    assert "(higher than 99.9 % of vulnerabilities)" in table  # 0.99996, rounded down
    assert "10.0" in table and "Used by ransomware" in table
    row_45046 = table[table.index("CVE-2021-45046") :]
    assert ">No<" in row_45046 and "Used by ransomware" not in row_45046
    assert "trivy, cyclonedx" in body and "Version to install" in body and "2.15.0" in body


def test_a_finding_without_cves_has_no_cve_table(client, world):
    finding = save_finding(world.org_a, check_id="mail.spf.missing", severity="high")
    otp_login(client, world.bob)
    body = client.get(reverse("portal:finding", kwargs={"finding": finding.pk})).content.decode()
    assert 'id="cve-facts"' not in body
