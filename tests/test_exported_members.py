"""Each package's public API is its ``__init__``'s ``__all__``, exactly (httpx's test_exported_members).

A name imported into a package's ``__init__`` but missing from ``__all__`` (or listed but absent) fails
here, so what other packages may rely on is always written down in one place.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import image_updater

PACKAGES = sorted(info.name for info in pkgutil.walk_packages(image_updater.__path__, "image_updater.") if info.ispkg)


def public_names(package: ModuleType) -> set[str]:
    """Names bound in the package's namespace that are not private and not its own submodules."""
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name not in ("annotations",)
    }


def test_every_package_is_checked() -> None:
    assert "image_updater.delivery" in PACKAGES and "image_updater.policy.kinds" in PACKAGES


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exactly_what_the_package_exports(name: str) -> None:
    package = importlib.import_module(name)
    exported = getattr(package, "__all__", None)
    for member in exported or ():
        getattr(package, member)  # a lazily loaded member (``forge``'s, PEP 562) is bound once asked for
    if not public_names(package):
        return  # a namespace of submodules only (commands): nothing is exported
    assert exported is not None, f"{name} has no __all__"
    assert set(exported) == public_names(package)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
