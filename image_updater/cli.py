"""Command line: ``run`` (service or ``--once``), ``plan`` (dry run), ``sources`` (what the repository's Flux and
Argo CD objects amount to), ``test`` (a policy, live), ``version``.

Every failure ends in one line naming what to fix and a non-zero exit; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from image_updater import __version__, collector
from image_updater.errors import ImageUpdaterError

EXIT_OK, EXIT_FAILED = 0, 1
#: What a shell reports for a program killed by SIGPIPE (128 + 13): the reader went away (``… | head``).
EXIT_BROKEN_PIPE = 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="image-updater", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the service, or one cycle with --once")
    run.add_argument("--config", default="config.yaml", help="settings file (default ./config.yaml)")
    run.add_argument("--once", action="store_true", help="run one cycle and exit")
    run.add_argument("--target", action="append", default=None, help="with --once: only these targets")

    plan = sub.add_parser("plan", help="dry run: print the diff and why each tag was chosen; writes nothing")
    plan.add_argument("--config", default="config.yaml")
    plan.add_argument("--image", action="append", default=None, help="only these configured images")
    plan.add_argument("--target", action="append", default=None, help="only these targets (default: all)")
    plan.add_argument("-v", "--verbose", action="store_true", help="every tag's verdict under each image")
    plan.add_argument("--json", action="store_true", help="one JSON document (docs/plan-output.md) instead of text")
    plan.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 0 when there is nothing to do, 2 when changes are pending, 1 on an error",
    )

    sources = sub.add_parser(
        "sources", help="list the Flux and Argo CD policies found in the repository, and what is not supported"
    )
    sources.add_argument("--config", default="config.yaml")
    sources.add_argument("--format", choices=["text", "json"], default="text")

    test = sub.add_parser("test", help="evaluate a policy against a live registry")
    test.add_argument("image", help="repository, e.g. ghcr.io/org/app")
    test.add_argument("--config", default=None, help="settings file for registry credentials (optional)")
    test.add_argument("--current", default=None, help="the tag deployed now (for no-downgrade and suffix rules)")
    test.add_argument("--semver", default=None, help="semver range, e.g. '^1.2'")
    test.add_argument("--lenient", action="store_true", help="accept 1.2 / 1 style versions")
    test.add_argument("--filter", default=None, help="regex with named groups (unanchored)")
    test.add_argument("--extract", default=None, help="value to order, e.g. '$ts'")
    test.add_argument("--order", choices=["alphabetical", "numerical"], default=None)
    test.add_argument("--direction", choices=["asc", "desc"], default="asc", help="with --order")
    test.add_argument("--newest-build", action="store_true", help="order by the image's creation time")
    test.add_argument("--digest", default=None, metavar="TAG", help="track the digest of a mutable tag")
    test.add_argument("--compatible-suffix", action="store_true")
    test.add_argument("--allow", default=None, help="only tags matching this regex")
    test.add_argument("--ignore", action="append", default=[], help="glob of tags to ignore (repeatable)")
    test.add_argument("--platform", action="append", default=[], help="required platform os/arch (repeatable)")
    test.add_argument(
        "--platforms-match",
        choices=["all", "any"],
        default=None,
        help="with --platform: a tag must offer all of them (default) or any one of them",
    )
    test.add_argument("--allow-downgrade", action="store_true")
    test.add_argument("--insecure", action="store_true", help="plain http, no TLS verification (local registries)")

    sub.add_parser("version", help="print the version")
    return parser


def entry(argv: Sequence[str] | None = None) -> int:
    """The ``image-updater`` process (the script, ``python -m``): ``main`` with the collector set for a
    process whose state is built once and then lives long (``collector``). Not for ``main`` called in
    another program's process (the tests'), whose objects would then never be collected."""
    collector.tune()
    return main(argv, settle=True)


def main(argv: Sequence[str] | None = None, *, settle: bool = False) -> int:
    """``settle``: freeze what is alive once the settings are loaded (``entry`` does)."""
    args = _parser().parse_args(argv)
    try:
        code = _dispatch(args, settle)
        sys.stdout.flush()  # inside the try: a reader that went away fails this write, not the exit's
    except BrokenPipeError:
        # Python's recipe (docs: "Note on SIGPIPE"): what is still buffered goes to /dev/null, so the
        # interpreter's own flush at exit cannot fail again and print a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


def _dispatch(args: argparse.Namespace, settle: bool) -> int:
    try:
        if args.command == "version":
            print(f"image-updater {__version__}")
            return EXIT_OK
        if args.command == "test":
            from image_updater.commands.test import run_test

            return asyncio.run(run_test(args))
        from image_updater.config import load_settings

        settings = load_settings(args.config)
        if settle:
            collector.settle()  # the modules and settings live as long as the process
        if args.command == "sources":
            from image_updater.commands.sources import run_sources

            return asyncio.run(run_sources(settings, output=args.format))
        if args.command == "plan":
            from image_updater.commands.once import PlanOutput, run_once

            only = frozenset(args.image) if args.image else None
            targets = frozenset(args.target) if args.target else None
            output = PlanOutput(verbose=args.verbose, json=args.json, exit_code=args.exit_code)
            return asyncio.run(run_once(settings, dry_run=True, only=only, targets=targets, output=output))
        if args.once:
            from image_updater.commands.once import run_once

            targets = frozenset(args.target) if args.target else None
            return asyncio.run(run_once(settings, dry_run=False, targets=targets))
        from image_updater.commands.run import run_service

        return asyncio.run(run_service(settings))
    except ImageUpdaterError as exc:
        print(f"image-updater: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(entry())
