"""``rempart import`` and ``rempart feeds``: pool third-party reports, refresh the feeds.

``rempart import FILE --org ORG`` stores the file and runs its import here, with a progress
bar (``--queue`` hands it to the workers instead); ``rempart import --check FILE`` only reads
the report and says what it holds, without a database. ``rempart feeds update`` downloads the
official feeds (KEV, OSV, NVD, EPSS) and alerts the businesses a new KEV entry hits.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

SETTINGS = "rempart.web.settings"
CHUNK = 1024 * 1024


def add_parsers(commands: Any) -> None:
    p = commands.add_parser(
        "import",
        help="import third-party scanner reports, SBOMs or inventories into an organisation",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--org", help="the organisation: SIREN, id or exact name")
    p.add_argument("--format", default="", help="format name (default: detected); see --formats")
    p.add_argument(
        "--scope",
        default="",
        help="what the report covers; a newer report of the same tool and scope closes what "
        "it no longer lists (default: 'default')",
    )
    p.add_argument("--queue", action="store_true", help="let the workers run the import")
    p.add_argument(
        "--check", action="store_true", help="only read the report and summarise it (no database)"
    )
    p.set_defaults(handler=run_import_command)
    f = commands.add_parser("feeds", help="vulnerability feeds: status and update")
    sub = f.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    u = sub.add_parser("update", help="download the official feeds and alert on new KEV hits")
    u.add_argument(
        "--only", default="", help="comma-separated feeds among kev,osv,nvd,epss (default: all)"
    )
    u.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="FEED=URL",
        help="download a feed from another address (a mirror), e.g. kev=https://…",
    )
    u.set_defaults(handler=run_feeds_update)
    s = sub.add_parser("status", help="the version of each loaded feed")
    s.set_defaults(handler=run_feeds_status)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def _find_org(text: str) -> Any:
    from django.core.exceptions import ValidationError
    from django.db.models import Q

    from rempart.web.orgs.models import Organisation

    query = Q(siren=text) | Q(name=text)
    try:
        import uuid

        query |= Q(pk=uuid.UUID(text))
    except ValueError:
        pass
    try:
        found = list(Organisation.objects.filter(query)[:2])
    except ValidationError:
        found = []
    if len(found) != 1:
        return None
    return found[0]


def run_import_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if args.check:
        return _check_only(args, console)
    if not args.org:
        console.print("rempart import: --org is required (or --check to only read the file)")
        return 2
    _django()
    from rempart.web.imports.models import Import, ImportStatus
    from rempart.web.imports.services import ImportRefused, do_upload, run_import

    organisation = _find_org(args.org)
    if organisation is None:
        console.print(f"rempart import: no single organisation matches {args.org!r}")
        return 2
    failures = 0
    for path in args.files:
        try:
            with path.open("rb") as stream:
                report = do_upload(
                    organisation,
                    iter(lambda s=stream: s.read(CHUNK), b""),
                    path.name,
                    None,
                    format=args.format,
                    scope=args.scope,
                    queue=args.queue,
                )
        except (OSError, ImportRefused) as exc:
            console.print(f"[red]{path}: {getattr(exc, 'strerror', None) or exc}[/red]")
            failures += 1
            continue
        if args.queue:
            console.print(f"{path.name}: queued as import {report.pk}")
            continue
        with _bar(console) as bar:
            task = bar.add_task(path.name, total=report.size)
            run_import(
                str(report.pk),
                progress=lambda done, _t, task=task: bar.update(task, completed=done),
            )
        report = Import.objects.get(pk=report.pk)
        if report.status != ImportStatus.DONE:
            console.print(f"[red]{report.error}[/red]")
            failures += 1
            continue
        _summary(console, report)
    return 1 if failures else 0


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _summary(console: Console, report: Any) -> None:
    c = report.counts
    table = Table(
        title=f"{report.file_name} ({report.format}, {report.tool} {report.tool_version})"
    )
    for column in ("opened", "reopened", "fixed", "seen", "components", "vulnerable"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(c.get(k, 0)) for k in ("opened", "reopened", "fixed", "seen", "components")),
        str(c.get("vulnerable_components", 0)),
    )
    console.print(table)
    for reason, count in sorted(c.get("not_imported", {}).items()):
        console.print(f"  not imported: {count} × {reason}")


def _check_only(args: argparse.Namespace, console: Console) -> int:
    from rempart.engine.model import Observation
    from rempart.importers import ReportError, ReportInfo, read_report

    failures = 0
    for path in args.files:
        info = ReportInfo(name=path.name)
        statuses: dict[str, int] = {}
        components = 0
        try:
            with path.open("rb") as stream:
                for item in read_report(stream, info, format=args.format or None):
                    if isinstance(item, Observation):
                        statuses[str(item.status)] = statuses.get(str(item.status), 0) + 1
                    else:
                        components += 1
        except OSError as exc:
            console.print(f"[red]{path}: {exc.strerror or exc}[/red]")
            failures += 1
            continue
        except ReportError as exc:
            console.print(f"[red]{exc}[/red]")
            failures += 1
            continue
        print(
            f"{path.name}: {info.format} ({info.tool} {info.tool_version}".rstrip()
            + "), "
            + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
            + f", {components} components, {len(info.targets)} targets"
        )
        for reason, count in sorted(info.notes.items()):
            print(f"  not imported: {count} × {reason}")
    return 1 if failures else 0


def run_feeds_update(args: argparse.Namespace) -> int:
    _django()
    from rempart.web.imports.feeds import do_update_feeds

    urls: dict[str, str] = {}
    for item in args.url:
        name, sep, url = item.partition("=")
        if not sep or not url:
            print(f"rempart feeds update: --url wants FEED=URL, got {item!r}", file=sys.stderr)
            return 2
        urls[name.strip()] = url.strip()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    result = do_update_feeds(None, sources=only or None, urls=urls or None)
    failed = 0
    for update in result.updates:
        if update.error:
            failed += 1
            print(f"{update.name}: kept {update.before or 'the snapshot'} ({update.error})")
        else:
            added = f", {len(update.added_kev)} new KEV entries" if update.added_kev else ""
            print(f"{update.name}: {update.before or 'snapshot'} -> {update.after}{added}")
    if result.alerts:
        print(f"{len(result.alerts)} alerts sent to the businesses concerned")
    return 1 if failed else 0


def run_feeds_status(args: argparse.Namespace) -> int:
    _django()
    from rempart.web.intel_bridge import intel

    for name, version in sorted(intel().versions().items()):
        print(f"{name}: {version}")
    return 0
