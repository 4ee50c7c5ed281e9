"""Configuration errors surface when the config loads, naming the bad value."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from image_updater.policy import PolicySpec, SelectionRules


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"semver": "latest"}, "invalid semver range 'latest'"),
        ({"semver": ">= 1.0 <"}, "invalid semver range '>= 1.0 <'"),
        ({"order": "numerical", "filter": "^(unclosed"}, "policy.filter: invalid regular expression '^(unclosed'"),
        ({"order": "numerical", "filter": r"^(?P<n>\d+)$", "extract": "$m"}, "refers to group 'm'"),
        ({"order": "numerical", "filter": r"^(\d+)$", "extract": "$2"}, "refers to group '2'"),
        ({"order": "numerical", "extract": "$1"}, "policy.extract needs policy.filter"),
        ({}, "exactly one of semver, order, newest_build, digest (found: none)"),
        ({"semver": "^1", "order": "alphabetical"}, "(found: semver, order)"),
        ({"digest": "latest", "newest_build": True}, "(found: newest_build, digest)"),
        ({"order": "alphabetical", "lenient": True}, "lenient only applies to a semver policy"),
        ({"semver": "^1", "direction": "desc"}, "direction only applies to an order policy"),
        ({"digest": "not a tag"}, "'not a tag' is not a valid tag"),
        ({"digest": "latest", "filter": "x"}, "digest tracks one tag"),
        ({"newest_build": True, "filter": "(x)", "extract": "$1"}, "extract has no effect with newest_build"),
        ({"order": "sideways"}, "order"),
        ({"semver": "^1", "unknown_key": 1}, "unknown_key"),
    ],
)
def test_invalid_policy_is_rejected_at_construction(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        PolicySpec.model_validate(mapping)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"allow": "[a-"}, "allow: invalid regular expression '[a-'"),
        ({"platforms": ["linux"]}, "'linux' is not os/arch"),
        ({"platforms": ["linux/amd64", "Linux/ARM64"]}, "'Linux/ARM64' is not os/arch"),
        ({"ignore": "latest"}, "ignore"),
        ({"allow_downgrades": True}, "allow_downgrades"),
    ],
)
def test_invalid_rules_are_rejected(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        SelectionRules.model_validate(mapping)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "mapping",
    [
        {"semver": ""},
        {"semver": "*", "lenient": True},
        {"semver": ">=1.0.0-0", "filter": "^v", "compatible_suffix": True},
        {"order": "numerical", "direction": "desc", "filter": r"^(?<ts>\d+)$", "extract": "$ts"},
        {"newest_build": True, "filter": "^main-"},
        {"digest": "latest"},
    ],
)
def test_valid_policies(mapping: dict[str, Any]) -> None:
    spec = PolicySpec.model_validate(mapping)
    assert spec.kind in ("semver", "alphabetical", "numerical", "newest_build", "digest")


def test_rules_are_inheritable_by_the_image_model() -> None:
    class Image(SelectionRules):
        name: str

    image = Image.model_validate({"name": "nginx", "platforms": ["linux/arm/v7"], "ignore": ["*-rc*"]})
    assert image.platforms == ["linux/arm/v7"]
    with pytest.raises(pydantic.ValidationError, match="not os/arch"):
        Image.model_validate({"name": "nginx", "platforms": ["arm"]})
