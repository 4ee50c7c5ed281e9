"""``image-updater test``: what a policy would choose from the live registry, with a reason per tag."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from image_updater.config import load_settings
from image_updater.errors import ConfigError
from image_updater.policy import PolicySpec, SelectionRules, TagMetadata, metadata_needed, select
from image_updater.registry import RegistryClient


def _policy(args: argparse.Namespace) -> tuple[PolicySpec, SelectionRules]:
    try:
        spec = PolicySpec(semver=args.semver, lenient=args.lenient, filter=args.filter, extract=args.extract,
                          order=args.order, direction=args.direction, newest_build=args.newest_build,
                          digest=args.digest, compatible_suffix=args.compatible_suffix) \
            if any((args.semver is not None, args.order, args.newest_build, args.digest)) \
            else PolicySpec(semver="*", lenient=args.lenient, filter=args.filter, extract=args.extract,
                            compatible_suffix=args.compatible_suffix)
        rules = SelectionRules(allow=args.allow, ignore=args.ignore, platforms=args.platform,
                               allow_downgrade=args.allow_downgrade)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}", source="command line") from None
    return spec, rules


async def run_test(args: argparse.Namespace) -> int:
    spec, rules = _policy(args)
    settings = load_settings(args.config) if args.config else None
    client = RegistryClient(settings.registries if settings else [],
                            docker_config=settings.docker_config if settings else None)
    try:
        tags = await client.list_tags(args.image)
        wanted = metadata_needed(spec, rules, tags, args.current)
        fetched = await asyncio.gather(*(client.tag_metadata(args.image, t, rules.platforms) for t in wanted))
        metadata: dict[str, TagMetadata] = dict(zip(wanted, fetched, strict=True))
        decision = select(spec, rules, tags, args.current, metadata)
    finally:
        await client.aclose()
    chosen = decision.chosen or "(none)"
    if decision.digest:
        chosen += f"@{decision.digest}"
    print(f"image:   {args.image}")
    print(f"current: {args.current or '(none)'}")
    print(f"chosen:  {chosen}")
    print(f"why:     {decision.reason}")
    print(f"tags:    {len(tags)}")
    width = max([len(v.tag) for v in decision.verdicts] + [3])
    for verdict in decision.verdicts:
        mark = "take" if verdict.accepted else "skip"
        print(f"  {mark}  {verdict.tag:<{width}}  {verdict.reason}")
    sys.stdout.flush()
    return 0 if decision.chosen is not None else 1
