"""``image-updater test``: what a policy would choose from the live registry, with a reason per tag."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from image_updater.config import Settings, load_settings
from image_updater.cycle import ImageSettings, decide, scan_images
from image_updater.errors import ConfigError, RegistryError
from image_updater.policy import KIND_KEYS, PolicySpec
from image_updater.reference import ImageReference
from image_updater.registry import RegistryClient, RegistrySettings


def _image(args: argparse.Namespace) -> ImageSettings:
    """The image as a cycle would see it; only the flags given reach the models, so their validators
    judge exactly what was asked."""
    given = {
        "semver": args.semver,
        "filter": args.filter,
        "extract": args.extract,
        "order": args.order,
        "direction": args.direction if args.order else None,
        "digest": args.digest,
        "lenient": args.lenient or None,
        "newest_build": args.newest_build or None,
        "compatible_suffix": args.compatible_suffix or None,
    }
    spec_fields = {k: v for k, v in given.items() if v is not None}
    if not any(k in spec_fields for k in KIND_KEYS):
        spec_fields["semver"] = "*"
    try:
        return ImageSettings(
            name="test",
            image=args.image,
            policy=PolicySpec(**spec_fields),
            allow=args.allow,
            ignore=args.ignore,
            platforms=args.platform,
            allow_downgrade=args.allow_downgrade,
            **({"platforms_match": args.platforms_match} if args.platforms_match else {}),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(map(str, first["loc"])) or "policy"
        raise ConfigError(f"{key}: {first['msg']}", source="command line") from None


def _registries(args: argparse.Namespace, settings: Settings | None) -> list[RegistrySettings]:
    registries = list(settings.registries) if settings else []
    if args.insecure:
        domain = ImageReference.parse(args.image).domain
        registries.append(RegistrySettings(name=domain, url=f"http://{domain}", prefix=domain, insecure=True))
    return registries


async def run_test(args: argparse.Namespace) -> int:
    """The cycle's own scan and decision (``cycle.scan_images``, ``cycle.decide``) for one image."""
    image = _image(args)
    settings = load_settings(args.config) if args.config else None
    client = RegistryClient(_registries(args, settings), docker_config=settings.docker_config if settings else None)
    try:
        scan = (await scan_images(client, [image], {image.name: {(args.current, None)}}))[image.name]
    finally:
        await client.aclose()
    if scan.tags is None:
        raise RegistryError(scan.error or "no answer", image=args.image)
    tags = scan.tags
    decision = decide(image, scan, args.current, None)
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
