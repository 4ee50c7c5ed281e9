"""Decisions last across cycles: an image whose settings, tags and metadata are the same is not decided again."""

from __future__ import annotations

from image_updater.config import Settings
from image_updater.cycle import Decisions, ImageScan
from image_updater.cycle.settings import ImageSettings
from image_updater.registry import TagMetadata


def _image(**policy: object) -> ImageSettings:
    settings = Settings(
        git={"url": "https://git.example.com/config.git"},
        images=[{"name": "web", "image": "registry.example.com/web", "policy": policy or {"semver": "^1.0"}}],
    )
    return settings.cycle_targets[0].images[0]


def test_a_cycle_with_the_same_tags_reuses_the_last_cycles_decisions() -> None:
    image = _image()
    first = Decisions({"web": ImageScan(image, ["1.0.0", "1.1.0", "2.0.0"])})
    decided = first.get(image, "1.0.0", None)
    again = Decisions({"web": ImageScan(image, ["1.0.0", "1.1.0", "2.0.0"])}, previous=first)
    assert again.get(image, "1.0.0", None) is decided  # the same object: nothing was judged or decided again
    assert decided.chosen == "1.1.0"


def test_a_new_tag_settings_change_or_new_metadata_is_decided_afresh() -> None:
    image = _image()
    first = Decisions({"web": ImageScan(image, ["1.0.0", "1.1.0"])})
    assert first.get(image, "1.0.0", None).chosen == "1.1.0"
    # a tag pushed since
    pushed = Decisions({"web": ImageScan(image, ["1.0.0", "1.1.0", "1.2.0"])}, previous=first)
    assert pushed.get(image, "1.0.0", None).chosen == "1.2.0"
    # the policy edited (a new settings object that differs)
    narrowed = _image(semver="~1.0")
    edited = Decisions({"web": ImageScan(narrowed, ["1.0.0", "1.0.5", "1.1.0"])}, previous=pushed)
    assert edited.get(narrowed, "1.0.0", None).chosen == "1.0.5"
    # metadata the policy reads changed
    newest = _image(newest_build=True)
    old = {"a": TagMetadata(digest="sha256:" + "a" * 64), "b": TagMetadata(digest="sha256:" + "b" * 64)}
    metadata = Decisions({"web": ImageScan(newest, ["a", "b"], dict(old))})
    before = metadata.get(newest, "a", None)
    rebuilt = {**old, "b": TagMetadata(digest="sha256:" + "c" * 64)}
    after = Decisions({"web": ImageScan(newest, ["a", "b"], rebuilt)}, previous=metadata).get(newest, "a", None)
    assert after is not before
