"""``rempart demo``: a whole demonstration center on one machine, with nothing to install.

1. starts the lab (fake small businesses on loopback) as a child process;
2. creates the center's database in the demo folder and the lab's businesses as
   organisations, each proving control of its domain through the lab's DNS;
3. starts the platform (``rempart serve``: a Celery worker on the embedded broker and the
   portal) and runs a campaign scanning every business through the jobs;
4. prints each business's grade and top problems; imports the first business's software
   inventory, fills the diagnostic of the businesses (``demodiagnostic``) and has the worker
   generate the first business's French report with its signed attestation;
5. prints the portal's address with log-ins and where to see and verify the report; then
   keeps serving until Ctrl-C (or stops at once with ``--no-serve``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

LAB_DNS = ("127.53.0.1", 53)


def add_parser(commands: Any) -> None:
    p = commands.add_parser("demo", help="a demonstration center: lab, scans through jobs, portal")
    p.add_argument("--size", type=int, default=20, help="businesses in the lab (default 20)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="demo folder (default rempart-demo-<time>)")
    p.add_argument("--port", type=int, default=8000, help="the portal's port (default 8000)")
    p.add_argument("--no-serve", action="store_true", help="stop once the scans are done")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for the scans")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or f"rempart-demo-{stamp}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    console = Console()
    children: list[subprocess.Popen[bytes]] = []
    try:
        lab_dir = out / "lab"
        console.print(f"Starting a lab of {args.size} businesses…")
        children.append(_start_lab(args.size, args.seed, lab_dir, out / "lab.log"))
        _configure_django(out / "center", lab_dir, args.port)
        assets, logins = _build_center(console, args.size, args.seed)
        console.print("Starting the platform (Celery worker and portal)…")
        serve = _start_serve(args.port, lab_dir, out / "serve.log")
        children.append(serve)
        jobs = _Jobs(serve, args.timeout)
        finished = _run_campaign(console, assets, jobs)
        _print_grades(console, finished)
        _import_inventory(console, assets[0], jobs)
        _fill_diagnostics(console, assets, args.seed)
        report = _generate_report(console, assets[0], jobs)
        _print_access(console, args.port, logins, out)
        _print_report(console, args.port, report, out)
        if args.no_serve:
            return 0
        console.print("Serving the portal; press Ctrl-C to stop the demo.")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        console.print("[red]a demo process stopped on its own; see the logs in the demo folder")
        return 1
    except DemoError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            _stop(child)


class DemoError(Exception):
    """A step of the demo that could not be done; the message says which and why."""


def _start_lab(size: int, seed: int, lab_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "rempart.cli.main", "lab", "--size", str(size)]
    cmd += ["--seed", str(seed), "--dir", str(lab_dir)]
    with log.open("wb") as sink:
        # Our own interpreter and arguments, no shell.
        child = subprocess.Popen(  # noqa: S603
            cmd, stdout=subprocess.PIPE, stderr=sink, start_new_session=True
        )
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = child.stdout.readline().decode(errors="replace")
        if "lab ready" in line:
            # Keep reading what the lab prints, so that a full pipe never blocks it.
            threading.Thread(target=child.stdout.read, daemon=True).start()
            return child
        if not line and child.poll() is not None:
            break
    _stop(child)
    raise DemoError(f"the lab did not start; its messages are in {log}")


def _configure_django(data_dir: Path, lab_dir: Path, port: int) -> None:
    # The attestation's public address and e-mailed links name the demo's portal (the
    # children inherit this environment); a SITE_URL set by the person wins.
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "rempart.web.settings",
            "REMPART_DATA_DIR": str(data_dir),
            "REMPART_LAB": "1",
            "REMPART_RESOLVER": f"{LAB_DNS[0]}:{LAB_DNS[1]}",
            "REMPART_CA_FILE": str(lab_dir / "ca.pem"),
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


def _build_center(console: Console, size: int, seed: int) -> tuple[list[Any], list[Any]]:
    from rempart.cli.democenter import create_center, prove_control
    from rempart.lab.profiles import generate

    businesses = generate(size, seed)
    assets, logins = create_center(businesses)
    verified = prove_control(assets, LAB_DNS)
    console.print(
        f"Demo center: {len(assets)} businesses; {verified} proved control of their domain "
        "with a DNS TXT record."
    )
    return assets, logins


def _start_serve(port: int, lab_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "rempart.cli.main", "serve", "--port", str(port)]
    cmd += ["--lab-dir", str(lab_dir)]
    with log.open("wb") as sink:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments, no shell
            cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


class _Jobs:
    """Waits for the served worker's jobs; gives up at the timeout or if the platform died."""

    def __init__(self, serve: subprocess.Popen[bytes], timeout: float) -> None:
        self.serve = serve
        self.timeout = timeout

    def wait(self, finished: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not finished():
            if self.serve.poll() is not None:
                raise DemoError(f"the platform stopped before {what} (see serve.log)")
            if time.monotonic() > deadline:
                raise DemoError(f"{what} did not finish within {self.timeout:g} s (see serve.log)")
            time.sleep(0.3)


def _run_campaign(console: Console, assets: list[Any], jobs: _Jobs) -> list[Any]:
    from django.db import transaction

    from rempart.web.scans.models import UNFINISHED, Scan, Trigger
    from rempart.web.scans.services import do_request_campaign

    with transaction.atomic():
        campaign = do_request_campaign(assets, None, "Demo campaign", Trigger.DEMO)
    scans = Scan.objects.filter(campaign=campaign)
    total = scans.count()
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("Scanning through the jobs", total=total)

        def scanned() -> bool:
            left = scans.filter(status__in=UNFINISHED).count()
            bar.update(task, completed=total - left)
            return bool(left == 0)

        jobs.wait(scanned, "the scans")
    return list(scans.select_related("asset", "organisation").order_by("organisation__name"))


# What the IT provider of a small business lists for its website and servers (rempart's
# inventory CSV, docs/importers-inventory.md): old versions with published advisories.
DEMO_INVENTORY = """name,version,vendor,ecosystem
django,3.2.0,Django Software Foundation,PyPI
jinja2,2.10,Pallets,PyPI
requests,2.19.1,Python Software Foundation,PyPI
pillow,8.0.0,Python Imaging Library,PyPI
urllib3,1.24.1,urllib3,PyPI
openssh,7.4,OpenBSD,
"""


def _import_inventory(console: Console, asset: Any, jobs: _Jobs) -> None:
    """The first business's software inventory, imported through the jobs like an upload."""
    from rempart.web.imports.models import Import, ImportStatus
    from rempart.web.imports.services import do_upload

    report = do_upload(
        asset.organisation,
        [DEMO_INVENTORY.encode()],
        "inventaire-logiciels.csv",
        None,
        format="inventory-csv",
        scope="parc informatique",
    )
    jobs.wait(lambda: Import.objects.get(pk=report.pk).is_finished, "the inventory import")
    report = Import.objects.get(pk=report.pk)
    if report.status != ImportStatus.DONE:
        raise DemoError(f"the demo inventory was not imported: {report.error or report.status}")
    console.print(
        f"{asset.organisation.name}: software inventory imported, "
        f"{report.counts.get('components', 0)} components, "
        f"{report.counts.get('vulnerable_components', 0)} known vulnerabilities to fix "
        "(portal: Software)."
    )


def _fill_diagnostics(console: Console, assets: list[Any], seed: int) -> None:
    from rempart.cli.demodiagnostic import fill_diagnostics

    done = fill_diagnostics([asset.organisation for asset in assets], seed)
    console.print(
        f"Diagnostic: {done['submitted']} businesses answered it, {done['draft']} left a draft, "
        f"{done['not_started']} did not start (portal: Diagnostic, Action plan)."
    )


def _generate_report(console: Console, asset: Any, jobs: _Jobs) -> Any:
    """The first business's French report and signed attestation, made by the served worker."""
    from rempart.web.orgs.models import Membership, Role
    from rempart.web.reports.models import Report, ReportStatus
    from rempart.web.reports.services import do_request_report

    organisation = asset.organisation
    owner = (
        Membership.objects.filter(organisation=organisation, role=Role.OWNER)
        .select_related("user")
        .first()
    )
    report = do_request_report(organisation, owner.user if owner else None, "fr")
    with console.status(f"{organisation.name}: the worker writes the report…"):
        jobs.wait(lambda: Report.objects.get(pk=report.pk).is_finished, "the report")
    report = Report.objects.select_related("organisation").get(pk=report.pk)
    if report.status != ReportStatus.DONE:
        raise DemoError(f"the demo report was not generated: {report.error or report.status}")
    return report


def _print_grades(console: Console, scans: list[Any]) -> None:
    from rempart.knowledge.loader import guidance_for
    from rempart.web.findings.models import ACTIVE_STATUSES, Finding

    table = Table(title="The demo center's businesses", title_justify="left", show_lines=True)
    for column in ("business", "grade", "scan", "first things to fix"):
        table.add_column(column)
    for scan in scans:
        top = Finding.objects.filter(asset=scan.asset, status__in=ACTIVE_STATUSES).order_by(
            "-known_exploited", "-severity_rank", "due_date"
        )[:3]
        lines = []
        for finding in top:
            guidance = guidance_for(finding.check_id)
            title = guidance.text("fr").title if guidance else finding.title
            lines.append(f"[{finding.severity}] {title}")
        table.add_row(
            f"{scan.organisation.name}\n{scan.asset.name}",
            scan.grade or "-",
            scan.status,
            "\n".join(lines) or "-",
        )
    console.print(table)


def _print_access(console: Console, port: int, logins: list[Any], out: Path) -> None:
    console.print(f"\nPortal: [bold]http://127.0.0.1:{port}/[/bold]  (demo folder: {out})")
    for login in logins:
        console.print(f"  {login.email}  /  {login.password}   ({login.note})")


def _print_report(console: Console, port: int, report: Any, out: Path) -> None:
    from rempart.web.reports.services import pdf_file

    pdf = pdf_file(report)
    site = f"http://127.0.0.1:{port}"
    console.print(
        f"\nReport of {report.organisation.name} ({report.pages} pages, signed attestation "
        f"{report.attestation_id}):"
    )
    # soft_wrap: addresses and paths stay on one line, to be copied whole.
    lines = (
        f"  portal: {site}/reports/{report.pk}/  (log in as its owner)",
        f"  public attestation: {site}/attestations/{report.attestation_id}/",
        f"  PDF: {pdf}",
        f"  verify offline: REMPART_DATA_DIR={out / 'center'} rempart verify {pdf}",
    )
    for line in lines:
        console.print(line, soft_wrap=True, markup=False, highlight=False)


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
