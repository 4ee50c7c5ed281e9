"""cycle/sources.py: how what the sources found becomes one cycle's images and targets, and config.yaml wins."""

from __future__ import annotations

from dataclasses import replace

from image_updater.cycle import ImageSettings, Target
from image_updater.cycle.sources import resolve_sources
from image_updater.delivery import RepoSettings
from image_updater.policy import PolicySpec
from image_updater.sources import DerivedImage, DerivedTarget, Location, SourceSet

GIT = RepoSettings(url="https://github.com/acme/fleet.git", paths=["clusters"])


def found(*images: DerivedImage, targets: tuple[DerivedTarget, ...] = ()) -> SourceSet:
    return SourceSet(images=list(images), targets=list(targets))


def argocd(name: str = "argocd:argocd/shop:web", scope: str = "apps/shop/.argocd-source-shop.yaml") -> DerivedImage:
    return DerivedImage(
        name,
        "argocd",
        "Application",
        "argocd/shop",
        Location("argocd/shop.yaml", 7),
        f"argocd Application {name}",
        image="ghcr.io/acme/shop",
        policy=PolicySpec(semver="~2.4", lenient=True),
        scope=(scope,),
        served_by=["default"],
    )


def flux(name: str) -> DerivedImage:
    return DerivedImage(
        name,
        "flux",
        "ImagePolicy",
        name.replace(":", "/"),
        Location("flux/p.yaml", 9),
        f"flux ImagePolicy {name}",
        image="ghcr.io/acme/api",
        policy=PolicySpec(semver="^1"),
        markers_only=True,
        served_by=[f"flux:{name.partition(':')[0]}/auto"],
    )


def automation(namespace: str) -> DerivedTarget:
    return DerivedTarget(
        f"flux:{namespace}/auto",
        "ImageUpdateAutomation",
        f"{namespace}/auto",
        Location("flux/a.yaml", 1),
        "main",
        "main",
        ["clusters"],
    )


def entry(name: str, **settings: object) -> ImageSettings:
    image = ImageSettings.model_validate(
        {"name": name, "image": "ghcr.io/acme/other", "policy": {"semver": "~3"}, **settings}
    )
    image.locate("config.yaml:12 images[0]")
    return image


def test_an_entry_named_like_a_found_image_gives_it_its_settings_and_keeps_its_binding() -> None:
    configured = Target("default", GIT, (entry("argocd:argocd/shop:web"), entry("plain")), "w")
    out = resolve_sources(configured, found(argocd()))
    images = {i.name: i for i in out.target.images}
    assert sorted(images) == ["argocd:argocd/shop:web", "plain"]  # the entry is not served twice
    shop = images["argocd:argocd/shop:web"]
    assert shop.image == "ghcr.io/acme/other" and shop.policy.semver == "~3"
    assert shop.scope == ("apps/shop/.argocd-source-shop.yaml",)  # still bound in its write-back file only
    assert shop.origin == (
        "config.yaml:12 images[0] argocd:argocd/shop:web (overrides argocd Application argocd:argocd/shop:web)"
    )
    assert out.target.git.paths == ["clusters", "apps/shop/.argocd-source-shop.yaml"]  # the Application decides


def test_a_flux_policy_is_overridden_by_its_bare_name_only_when_no_other_namespace_has_it() -> None:
    configured = Target("default", GIT, (entry("api"),), "w")
    out = resolve_sources(configured, found(flux("team:api"), targets=(automation("team"),)))
    (child,) = out.children
    assert [i.name for i in child.images] == ["team:api"] and child.images[0].policy.semver == "~3"
    assert child.images[0].bind_by == "name" and out.target.images == ()  # moved to the automation
    out = resolve_sources(
        configured, found(flux("team:api"), flux("ops:api"), targets=(automation("team"), automation("ops")))
    )
    assert [i.name for i in out.target.images] == ["api"]  # ambiguous: it stays a config.yaml image
    assert all(c.images[0].policy.semver == "^1" for c in out.children)
    assert any("overrides none of the Flux policies team:api, ops:api" in line for line in out.preamble)


def test_an_entry_overriding_a_policy_the_source_serves_nowhere_updates_nothing_either() -> None:
    # A suspended ImagePolicy is served by no automation; its override must not update by repository instead.
    configured = Target("default", GIT, (entry("team:api"), entry("plain")), "w")
    suspended = replace(flux("team:api"), status="suspended", served_by=[])
    out = resolve_sources(configured, found(suspended, targets=(automation("team"),)))
    assert [i.name for i in out.target.images] == ["plain"]
    assert all(i.name != "team:api" for c in out.children for i in c.images)
