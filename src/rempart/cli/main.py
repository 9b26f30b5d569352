"""``rempart`` entry point: parse the command line and dispatch to one command module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rempart import __version__
from rempart.cli import demo, imports, lab, scan, serve, verify


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rempart",
        description="Shared cybersecurity center for small businesses: exposure checks.",
    )
    parser.add_argument("--version", action="version", version=f"rempart {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scan.add_parser(commands)
    lab.add_parser(commands)
    demo.add_parser(commands)
    serve.add_parsers(commands)
    imports.add_parsers(commands)
    verify.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
